from flask import redirect, url_for
from flask_login import login_required

from lemontaps.main import bp


@bp.route("/")
@login_required
def index():
    return redirect(url_for("contacts.list_contacts"))
