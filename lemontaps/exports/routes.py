"""Pushes from the contact table: the push dialog, starting and retrying pushes, the live poll,
a contact's export details and the progress bars.

Every view checks the account and role on the server: contacts and pushes another user may
not see are a 404, whatever the browser sends."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort
from flask import flash
from flask import make_response
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from sqlalchemy.orm import contains_eager
from werkzeug.datastructures import MultiDict

from lemontaps.exports import bp
from lemontaps.extensions import db
from lemontaps.forms import EmptyForm
from lemontaps.htmx import STOP_POLLING
from lemontaps.htmx import hx_trigger
from lemontaps.htmx import is_htmx
from lemontaps.htmx import render_page_or_partial
from lemontaps.htmx import varies_on_htmx
from lemontaps.models import Contact
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import utcnow
from lemontaps.params import whole_number
from lemontaps.pushes import progress
from lemontaps.pushes.dispatch import enqueue_push
from lemontaps.pushes.permissions import user_may_push
from lemontaps.pushes.reasons import note_text
from lemontaps.pushes.reasons import reason_hint
from lemontaps.pushes.reasons import reason_text
from lemontaps.pushes.start import PushRefused
from lemontaps.pushes.start import refusal
from lemontaps.pushes.start import start_manual_push
from lemontaps.queueing import enqueue_safely
from lemontaps.services import contacts
from lemontaps.services.salesforce_connect import connection_for

REFUSALS = {
    "not_allowed": lambda: _("Only admins may push contacts to Salesforce."),
    "not_connected": lambda: _("No Salesforce org is connected."),
    "needs_reconnect": lambda: _("Salesforce needs to be reconnected before pushing."),
    "nothing_selected": lambda: _("Select at least one contact to push."),
}
# Ticked rows come from one page of 50; more ids than this are not a real selection.
MAX_TICKED = 500
PUSH_STARTED = "push-started"


def visible_push_or_404(push_id: int) -> Push:
    push = progress.get_visible_push(current_user, push_id)
    if push is None:
        abort(404)
    return push


def _contact_or_404(contact_id: int) -> Contact:
    contact = contacts.get_visible_contact(current_user, contact_id)
    if contact is None:
        abort(404)
    return contact


class Selection:
    """Ticked rows, or "all matching this filter" (search, state and push filter), read from
    the request and always re-applied on the server to the contacts the user may see."""

    def __init__(self, values: MultiDict):
        self.all = values.get("all") == "1"
        self.filter = progress.ListFilter.parse(
            values.get("q", "")[:200], values.get("state"), values.get("push")
        )
        ids = (whole_number(v) for v in values.getlist("contact_ids"))
        self.ids = [i for i in ids if i is not None]
        self.ids = sorted(set(self.ids))[:MAX_TICKED]
        if self.all and self.filter.push_id is not None:
            visible_push_or_404(self.filter.push_id)

    @property
    def limit(self) -> int:
        return progress.SELECT_ALL_LIMIT if self.all else MAX_TICKED

    def query(self) -> sa.Select:
        if self.all:
            return progress.filtered_contacts(current_user, self.filter)
        return contacts.visible_contacts(current_user).where(Contact.id.in_(self.ids))

    def capped_query(self) -> sa.Select:
        """What a push takes: at most `limit` contacts, in id order (and the dialog's
        forecast counts exactly these)."""
        ids = progress.capped_selection(self.query(), self.limit)
        return sa.select(Contact).where(Contact.id.in_(ids))

    def hidden_fields(self) -> list[tuple[str, str]]:
        if self.all:
            return [("all", "1"), *((k, str(v)) for k, v in self.filter.params().items())]
        return [("contact_ids", str(i)) for i in self.ids]


def _refusal(code: str) -> dict:
    link = None
    if code in ("not_connected", "needs_reconnect") and current_user.is_admin:
        link = url_for("integrations.salesforce")
    return {"code": code, "message": REFUSALS[code](), "link": link}


def _dialog_refusal() -> dict | None:
    """The reason a push would be refused now (checked again when it starts)."""
    code = refusal(current_user)
    return _refusal(code) if code else None


def _target_object() -> str:
    from lemontaps.models import IntegrationSettings
    from lemontaps.models import TargetObject

    settings = db.session.get(IntegrationSettings, current_user.account_id)
    return settings.target_object if settings else TargetObject.LEAD.value


@bp.route("/push/dialog")
@login_required
def push_dialog():
    selection = Selection(request.args)
    connection = connection_for(current_user.account_id)
    refusal = _dialog_refusal()
    forecast = None
    if refusal is None:
        target = _target_object()
        forecast = progress.forecast(
            selection.query(),
            connection.org_id,
            selection.limit,
            target,
            progress.cached_describe(current_user.account_id, connection.org_id, target),
        )
        if forecast.selected == 0:
            refusal = _refusal("nothing_selected")
    return render_page_or_partial(
        "exports/partials/push_dialog.html",
        "exports/push_dialog.html",
        selection=selection,
        forecast=forecast,
        refusal=refusal,
        connection=connection,
        target_object=_target_object(),
        form=EmptyForm(),
    )


@bp.route("/push", methods=["POST"])
@login_required
def start_push():
    if not EmptyForm().validate_on_submit():
        abort(400)
    selection = Selection(request.form)
    try:
        push = start_manual_push(current_user, selection.capped_query())
    except PushRefused as refused:
        db.session.rollback()
        if is_htmx():
            return render_page_or_partial(
                "exports/partials/push_dialog.html",
                selection=selection,
                forecast=None,
                refusal=_refusal(refused.code),
                connection=connection_for(current_user.account_id),
                target_object=_target_object(),
                form=EmptyForm(),
            )
        flash(REFUSALS[refused.code](), "error")
        if refused.code in ("not_connected", "needs_reconnect") and current_user.is_admin:
            return redirect(url_for("integrations.salesforce"))
        return redirect(url_for("contacts.list_contacts"))
    db.session.commit()  # recorded before Redis hears of it
    push_id, total = push.id, push.total
    enqueue_safely(enqueue_push, push_id)
    if is_htmx():
        response = render_page_or_partial(
            "exports/partials/push_started.html", total=total, push_id=push_id
        )
        return hx_trigger(response, PUSH_STARTED, {"push": push_id})
    flash(_("Push started: %(n)s contacts.", n=total), "success")
    return redirect(url_for("contacts.list_contacts", push=push_id))


def _embedded() -> bool:
    """The details sit on the contact's own page (not in the table's panel)."""
    return request.values.get("in") == "contact"


def details_context(contact: Contact, message: dict | None = None, embedded: bool = False) -> dict:
    """What exports/partials/details.html shows about a contact the viewer may see."""
    from lemontaps.pushes import states

    connection = connection_for(current_user.account_id)
    export = states.current_exports([contact.id]).get(contact.id)
    history = list(
        db.session.scalars(
            sa.select(PushItem)
            .where(PushItem.contact_id == contact.id)
            .join(Push, Push.id == PushItem.push_id)
            .options(contains_eager(PushItem.push).joinedload(Push.started_by))
            .order_by(PushItem.id.desc())
            .limit(50)
        )
    )
    current = next((i for i in history if export and i.id == export.item_id), None)
    cells = progress.export_cells([contact.id], connection.org_id if connection else None)
    return {
        "contact": contact,
        "export": export,
        "current": current,
        "history": history,
        "cell": cells[contact.id],
        "connection": connection,
        "may_push": user_may_push(current_user),
        "message": message,
        "form": EmptyForm(),
        "embedded": embedded,
    }


@bp.route("/contacts/<int:contact_id>")
@login_required
def contact_details(contact_id: int):
    contact = _contact_or_404(contact_id)
    return render_page_or_partial(
        "exports/partials/details.html",
        "exports/details.html",
        **details_context(contact, embedded=_embedded()),
    )


@bp.route("/contacts/<int:contact_id>/push", methods=["POST"])
@login_required
def push_contact_again(contact_id: int):
    """ "Push again" from the details panel: the same checks as any manual push."""
    contact = _contact_or_404(contact_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    query = sa.select(Contact).where(Contact.id == contact.id)
    try:
        push = start_manual_push(current_user, query)
    except PushRefused as refused:
        db.session.rollback()
        message = {"error": True, **_refusal(refused.code)}
        if not is_htmx():
            flash(message["message"], "error")
            return redirect(_after_push_again(contact))
        return render_page_or_partial(
            "exports/partials/details.html", **details_context(contact, message, _embedded())
        )
    db.session.commit()
    push_id = push.id
    enqueue_safely(enqueue_push, push_id)
    db.session.expire_all()
    if not is_htmx():
        flash(_("Pushed again."), "success")
        return redirect(_after_push_again(contact))
    response = render_page_or_partial(
        "exports/partials/details.html",
        **details_context(contact, {"error": False, "message": _("Pushed again.")}, _embedded()),
    )
    return hx_trigger(response, PUSH_STARTED, {"push": push_id})


def _after_push_again(contact: Contact) -> str:
    if _embedded():
        return url_for("contacts.view_contact", contact_id=contact.id)
    return url_for("exports.contact_details", contact_id=contact.id)


@bp.route("/pushes/<int:push_id>")
@login_required
def push_progress(push_id: int):
    push = visible_push_or_404(push_id)
    return render_page_or_partial(
        "exports/partials/push_bar.html",
        "exports/push.html",
        bar=progress.push_bar(push),
        form=EmptyForm(),
    )


@bp.route("/pushes/<int:push_id>/dismiss", methods=["POST"])
@login_required
def dismiss_push(push_id: int):
    push = visible_push_or_404(push_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    push.dismissed_at = push.dismissed_at or utcnow()
    db.session.commit()
    if is_htmx():
        return varies_on_htmx(make_response(""))  # the bar swaps itself out
    return redirect(url_for("contacts.list_contacts"))


@bp.route("/pushes/automatic/dismiss", methods=["POST"])
@login_required
def dismiss_automatic_pushes():
    """The automatic line's "Dismiss": the pushes it summed up (a later one shows anew)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    up_to = whole_number(request.form.get("up_to"))
    if up_to is None:
        abort(400)
    progress.dismiss_automatic(current_user, up_to)
    db.session.commit()
    if is_htmx():
        return render_page_or_partial(
            "exports/partials/push_auto.html", progress=progress.progress_bars(current_user)
        )
    return redirect(url_for("contacts.list_contacts"))


@bp.route("/pushes/dismiss-finished", methods=["POST"])
@login_required
def dismiss_finished_pushes():
    if not EmptyForm().validate_on_submit():
        abort(400)
    progress.dismiss_finished(current_user)
    db.session.commit()
    if is_htmx():
        return render_page_or_partial(
            "exports/partials/progress.html", progress=progress.progress_bars(current_user)
        )
    return redirect(url_for("contacts.list_contacts"))


@bp.route("/poll")
@login_required
def poll():
    """One request every 2 s per page: the cells and bars the page shows, with the tokens it
    shows them with. The answer carries only what changed, as out-of-band swaps; 286 stops
    the polling once nothing shown is unsettled (an idle, slow poller takes over, so new
    contacts and pushes started elsewhere still show)."""
    args = request.args
    since = args.get("since", "")
    shown_new = args.get("new", "0")
    mode = "idle" if args.get("mode") == "idle" else "active"
    connection = connection_for(current_user.account_id)
    answer = progress.poll(
        current_user,
        connection.org_id if connection else None,
        progress.parse_tokens(args.getlist("c")),
        progress.parse_tokens(args.getlist("b")),
        whole_number(since),
        whole_number(shown_new, max_digits=8) or 0,
        args.get("a", "")[:64],
    )
    next_mode = "active" if answer.active else "idle"
    status = STOP_POLLING if (mode == "active" and not answer.active) else 200
    if answer.empty and next_mode == mode:
        return varies_on_htmx(make_response("", 204))  # nothing changed: htmx swaps nothing
    response = render_page_or_partial(
        "exports/partials/poll.html",
        answer=answer,
        poller={"mode": next_mode, "since": since if whole_number(since) is not None else None}
        if next_mode != mode
        else None,
        org_id=connection.org_id if connection else None,
        form=EmptyForm(),
    )
    response.status_code = status
    return response


@bp.app_template_global()
def export_poller_vals(mode: str, since) -> dict:
    values = {"mode": mode}
    if since is not None:
        values["since"] = str(since)
    return values


@bp.app_template_global()
def record_url(connection, sf_id: str | None, org_id: str | None = None) -> str | None:
    """The record's page in the connected org; None when it lives in another org."""
    if not sf_id or connection is None:
        return None
    if org_id and org_id != connection.org_id:
        return None
    return f"{connection.instance_url.rstrip('/')}/{sf_id}"


@bp.app_template_global()
def org_label(connection) -> str:
    return urlsplit(connection.instance_url).netloc if connection else ""


@bp.app_template_global()
def reason_words(code: str | None, details: dict | None = None) -> str:
    details = details or {}
    if code == "too_long" and {"field", "limit", "length"} <= set(details):
        return reason_text(code, **{k: details[k] for k in ("field", "limit", "length")})
    if code == "too_long":
        return _("Too long for Salesforce.")
    return reason_text(code)


@bp.app_template_global()
def reason_advice(code: str | None) -> str:
    return reason_hint(code)


@bp.app_template_filter("note_words")
def note_words(note: str) -> str:
    return note_text(note)
