"""Flask-Login wiring: sessions carry the user's session_version, checked on every request."""

from flask import jsonify
from flask import request
from flask_babel import lazy_gettext as _l

from lemontaps.extensions import db
from lemontaps.extensions import login_manager
from lemontaps.models import User
from lemontaps.params import whole_number

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    user_id, version = whole_number(user_id), whole_number(version)
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    from flask import redirect
    from flask import url_for

    if request.path.startswith("/api/"):
        return jsonify(error="unauthorized", message="Authentication required."), 401
    # Mirror Flask-Login's default: message flashed, `next` kept to a local path only.
    from flask import flash

    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
