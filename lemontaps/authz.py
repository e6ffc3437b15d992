"""Role checks, enforced on the server for every admin-only view."""

from functools import wraps

from flask import abort
from flask_login import current_user
from flask_login import login_required


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
