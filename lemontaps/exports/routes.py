import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lemontaps.accounts.forms import EmptyForm
from lemontaps.exports import bp
from lemontaps.exports.models import Push
from lemontaps.extensions import db
from lemontaps.jobs import enqueue_safely
from lemontaps.jobs.export import enqueue_push
from lemontaps.models import Contact
from lemontaps.services.push_start import PushRefused, start_manual_push

REFUSALS = {
    "not_allowed": lambda: _("Only admins may push contacts to Salesforce."),
    "not_connected": lambda: _("No Salesforce org is connected."),
    "needs_reconnect": lambda: _("Salesforce needs to be reconnected before pushing."),
    "nothing_selected": lambda: _("Select at least one contact to push."),
}


def _selected_contacts() -> sa.Select:
    ids = [int(v) for v in request.form.getlist("contact_ids") if v.isdigit()]
    return sa.select(Contact).where(Contact.id.in_(ids))


@bp.route("/push", methods=["POST"])
@login_required
def start_push():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        push = start_manual_push(current_user, _selected_contacts())
    except PushRefused as refused:
        db.session.rollback()
        flash(REFUSALS[refused.code](), "error")
        if refused.code in ("not_connected", "needs_reconnect") and current_user.is_admin:
            return redirect(url_for("integrations.salesforce"))
        return redirect(url_for("contacts.list_contacts"))
    db.session.commit()  # recorded before Redis hears of it
    enqueue_safely(enqueue_push, push.id)
    flash(_("Push started: %(n)s contacts.", n=push.total), "success")
    return redirect(url_for("contacts.list_contacts", push=push.id))


def visible_push_or_404(push_id: int) -> Push:
    query = sa.select(Push).where(Push.id == push_id, Push.account_id == current_user.account_id)
    if not current_user.is_admin:
        query = query.where(Push.started_by_id == current_user.id)
    push = db.session.scalar(query)
    if push is None:
        abort(404)
    return push
