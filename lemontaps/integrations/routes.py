from flask import abort
from flask import current_app
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from lemontaps.authz import admin_required
from lemontaps.extensions import db
from lemontaps.forms import EmptyForm
from lemontaps.htmx import render_page_or_partial
from lemontaps.integrations import bp
from lemontaps.integrations.forms import ConnectForm
from lemontaps.integrations.forms import SettingsForm
from lemontaps.integrations.messages import connect_error_message
from lemontaps.models import ExportMode
from lemontaps.models import OAuthAttempt
from lemontaps.pushes.dispatch import enqueue_push
from lemontaps.pushes.dispatch import enqueue_resume_after_connect
from lemontaps.pushes.start import count_unsettled
from lemontaps.pushes.start import drop_for_other_orgs
from lemontaps.pushes.start import drop_waiting_automatic
from lemontaps.pushes.start import retarget_to_org
from lemontaps.pushes.start import waiting_for_other_org
from lemontaps.queueing import enqueue_safely
from lemontaps.salesforce.errors import HostNotAllowed
from lemontaps.salesforce.errors import SalesforceError
from lemontaps.services import salesforce_connect as connect


def _setup():
    return current_app.extensions["salesforce"]


def _panel_context(connect_form=None):
    account_id = current_user.account_id
    connection = connect.connection_for(account_id)
    failed = connect.last_failed_attempt(account_id)
    if failed and connection and failed.created_at < connection.connected_at:
        failed = None
    return {
        "connection": connection,
        "failed_attempt": failed,
        "failed_message": connect_error_message(failed.error_code) if failed else None,
        "connect_form": connect_form or ConnectForm(),
        "action_form": EmptyForm(),
        "settings": connect.integration_settings(account_id),
        "waiting_other_org": (
            waiting_for_other_org(account_id, connection.org_id) if connection else 0
        ),
    }


def _render_page(connect_form=None, settings_form=None, status=200):
    context = _panel_context(connect_form)
    context["settings_form"] = settings_form or SettingsForm(obj=context["settings"])
    return render_template("integrations/salesforce.html", **context), status


@bp.route("/salesforce")
@admin_required
def salesforce():
    response, status = _render_page()
    db.session.commit()  # integration_settings() may have created the account's defaults
    return response, status


@bp.route("/salesforce/panel")
@admin_required
def connection_panel():
    return render_page_or_partial("integrations/partials/connection_panel.html", **_panel_context())


@bp.route("/salesforce/authorize", methods=["POST"])
@admin_required
def authorize():
    form = ConnectForm()
    if form.validate_on_submit():
        try:
            url = connect.start_authorization(
                _setup(), current_user, form.environment.data, form.my_domain.data or ""
            )
        except HostNotAllowed:
            form.my_domain.errors.append(
                _("Enter your org's My Domain, e.g. acme.my.salesforce.com (a Salesforce domain).")
            )
        else:
            db.session.commit()
            return redirect(url, code=303)
    if request.form.get("popup") == "1":
        # Posted into the OAuth popup: it hands the error to the page that opened it and
        # closes, and that page shows it at the field.
        field = next((f for f in form if f.errors), form.my_domain)
        response = _callback_page(
            "invalid", field.errors[0] if field.errors else "", field=field.id
        )
        response.status_code = 422
        return response
    return _render_page(connect_form=form, status=422)


@bp.route("/salesforce/callback")
@admin_required
def callback():
    params = request.args.to_dict()
    switch = None
    try:
        connection = connect.complete_authorization(_setup(), current_user, params)
        db.session.commit()
        enqueue_safely(enqueue_resume_after_connect, connection.account_id)
        status, message, detail = "connected", _connected_message(connection), ""
    except connect.OrgSwitchPending as pending:
        db.session.commit()  # keeps the pending connection on the attempt
        switch = pending
        status, message, detail = (
            "switch",
            _(
                "You signed in to the Salesforce org %(new)s, but this account is connected to "
                "%(current)s.",
                new=pending.new_org,
                current=pending.current_org,
            ),
            "",
        )
    except connect.ConnectError as error:
        db.session.rollback()
        connect.note_failed_attempt(current_user, params.get("state"), error)
        db.session.commit()
        status, message, detail = "error", connect_error_message(error.code), error.description
        if error.code in STATE_ERRORS:
            # Forged, replayed, foreign or expired: a bad request, whatever the page says.
            return _callback_page(status, message, detail), 400
    return _callback_page(status, message, detail, switch)


STATE_ERRORS = {"invalid_state", "replayed_state", "foreign_state", "expired_state"}


def _connected_message(connection) -> str:
    return _(
        "Connected to Salesforce org %(org)s as %(user)s.",
        org=connection.org_id,
        user=connection.sf_user_name,
    )


def _callback_page(status: str, message: str, detail: str = "", switch=None, field: str = ""):
    response = make_response(
        render_template(
            "integrations/callback.html",
            status=status,
            message=message,
            detail=detail,
            field=field,
            switch=switch,
            waiting=_waiting_for_other_org() if switch else 0,
            action_form=EmptyForm(),
        )
    )
    # The authorization code is in this page's URL: never send it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _waiting_for_other_org() -> int:
    return count_unsettled(current_user.account_id)


@bp.route("/salesforce/switch/<int:attempt_id>", methods=["POST"])
@admin_required
def confirm_switch(attempt_id: int):
    attempt = db.session.get(OAuthAttempt, attempt_id)
    if attempt is None or attempt.account_id != current_user.account_id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    switch = request.form.get("decision") == "switch"
    try:
        connection = connect.confirm_org_switch(_setup(), current_user, attempt_id, switch)
    except connect.ConnectError as error:
        db.session.rollback()
        return _callback_page("error", connect_error_message(error.code))
    db.session.commit()
    if connection is None:
        return _callback_page("kept", _("Nothing changed: the account stays connected to its org."))
    return _callback_page("connected", _connected_message(connection))


@bp.route("/salesforce/waiting", methods=["POST"])
@admin_required
def waiting_after_switch():
    """Pushes started for the previous org: push them to the connected org, or drop them."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    connection = connect.connection_for(current_user.account_id)
    if connection is None:
        return redirect(url_for("integrations.salesforce"))
    if request.form.get("decision") == "push":
        push_ids = retarget_to_org(current_user.account_id, connection.org_id)
        db.session.commit()
        for push_id in push_ids:
            enqueue_safely(enqueue_push, push_id)
        flash(_("The waiting contacts are pushed to the connected org."), "success")
    else:
        dropped = drop_for_other_orgs(current_user.account_id, connection.org_id)
        db.session.commit()
        flash(
            _("%(n)s waiting contacts were dropped; they can be pushed again.", n=dropped), "info"
        )
    return redirect(url_for("integrations.salesforce"))


@bp.route("/salesforce/disconnect", methods=["POST"])
@admin_required
def disconnect():
    connection = connect.connection_for(current_user.account_id)
    if connection is None or not EmptyForm().validate_on_submit():
        return redirect(url_for("integrations.salesforce"))
    revoked = connect.disconnect(_setup(), connection)
    db.session.commit()
    if revoked:
        flash(_("Disconnected. Salesforce has revoked the app's access."), "success")
    else:
        flash(
            _(
                "Disconnected here. Salesforce could not be reached to revoke the access; "
                "we will try again."
            ),
            "info",
        )
    return redirect(url_for("integrations.salesforce"))


@bp.route("/salesforce/recheck", methods=["POST"])
@admin_required
def recheck():
    from lemontaps.services.salesforce_session import checks_for_connection

    connection = connect.connection_for(current_user.account_id)
    if connection is None or not EmptyForm().validate_on_submit():
        return redirect(url_for("integrations.salesforce"))
    try:
        checks_for_connection(_setup(), connection)
        db.session.commit()
        flash(_("Checks updated."), "success")
    except SalesforceError as error:
        db.session.rollback()
        flash(_("Salesforce answered: %(message)s", message=error.message), "error")
    return redirect(url_for("integrations.salesforce"))


@bp.route("/salesforce/settings", methods=["POST"])
@admin_required
def save_settings():
    form = SettingsForm()
    if not form.validate_on_submit():
        return _render_page(settings_form=form, status=422)
    settings = connect.integration_settings(current_user.account_id)
    was_automatic = settings.export_mode == ExportMode.AUTOMATIC.value
    form.populate_obj(settings)
    dropped = 0
    if was_automatic and settings.export_mode == ExportMode.MANUAL.value:
        dropped = drop_waiting_automatic(current_user.account_id)
    db.session.commit()
    flash(_("Settings saved."), "success")
    if dropped:
        flash(
            _(
                "%(n)s contacts waiting for automatic push are no longer pushed; push them by "
                "hand if you want them in Salesforce.",
                n=dropped,
            ),
            "info",
        )
    return redirect(url_for("integrations.salesforce"))
