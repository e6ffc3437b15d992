from flask import current_app
from flask import jsonify
from flask import redirect
from flask import url_for
from flask_login import login_required

from lemontaps.main import bp


@bp.route("/")
@login_required
def index():
    return redirect(url_for("contacts.list_contacts"))


@bp.route("/healthz")
def healthz():
    """For load balancers and operators: 200 when everything answers, 503 otherwise.
    Counts only, never which account: it is public."""
    from lemontaps.services.health import health_report

    report = health_report(current_app.extensions["rq"])
    return jsonify(report), 200 if report["status"] == "ok" else 503
