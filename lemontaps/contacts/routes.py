from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from lemontaps.contacts import bp
from lemontaps.contacts.forms import ContactForm
from lemontaps.contacts.forms import country_suggestions
from lemontaps.extensions import db
from lemontaps.forms import EmptyForm
from lemontaps.htmx import render_page_or_partial
from lemontaps.models import Contact
from lemontaps.models import ContactSource
from lemontaps.models import User
from lemontaps.pushes import automatic
from lemontaps.pushes import progress
from lemontaps.pushes.permissions import user_may_push
from lemontaps.services import contacts
from lemontaps.services.salesforce_connect import connection_for

SEARCH_MAX = 200

RULE_MESSAGES = {
    "met_by_other_account": lambda: _("Choose a user of your account."),
    "met_by_inactive": lambda: _("This user is deactivated."),
}


def _contact_or_404(contact_id: int) -> Contact:
    contact = contacts.get_visible_contact(current_user, contact_id)
    if contact is None:
        abort(404)
    return contact


def _list_args() -> dict:
    return {
        "q": request.args.get("q", "")[:SEARCH_MAX].strip(),
        "sort": contacts.Sort.parse(request.args.get("sort")),
    }


@bp.route("/")
@login_required
def list_contacts():
    args = _list_args()
    flt = progress.ListFilter.parse(args["q"], request.args.get("state"), request.args.get("push"))
    push = None
    if flt.push_id is not None:
        push = progress.get_visible_push(current_user, flt.push_id)
        if push is None:
            abort(404)
    connection = connection_for(current_user.account_id)
    after = contacts.Cursor.parse(request.args.get("after"))
    before = contacts.Cursor.parse(request.args.get("before"))
    view = progress.filtered_page(
        current_user,
        flt,
        connection.org_id if connection else None,
        sort=args["sort"],
        after=after,
        before=before,
    )
    push_progress = progress.progress_bars(current_user)

    def page_url_for(**changes):
        params = {"q": flt.search, "state": flt.state, "push": flt.push_id, "sort": args["sort"]}
        params.update(changes)
        if params["sort"] == contacts.Sort.NEWEST:
            params["sort"] = None
        return url_for("contacts.list_contacts", **{k: v for k, v in params.items() if v})

    def page_url(**cursor):
        return page_url_for(**cursor)

    unsettled = any(c.unsettled for c in view.cells.values()) or push_progress.active
    return render_page_or_partial(
        "contacts/partials/table.html",
        "contacts/list.html",
        page=view.page,
        cells=view.cells,
        counts=view.counts,
        matching=view.matching,
        flt=flt,
        push=push,
        progress=push_progress,
        may_push=user_may_push(current_user),
        mode="active" if unsettled else "idle",
        since=progress.newest_contact_id(),
        q=args["q"],
        sort=args["sort"],
        sorts=[
            (contacts.Sort.NEWEST, _("Met on, newest first")),
            (contacts.Sort.OLDEST, _("Met on, oldest first")),
        ],
        page_url=page_url,
        page_url_for=page_url_for,
        current_page_url=page_url_for(
            after=after.token() if after else None, before=before.token() if before else None
        ),
    )


def _prepare_form(form: ContactForm, contact: Contact | None = None) -> ContactForm:
    if current_user.is_admin:
        current = contact.met_by if contact else None
        form.met_by_id.choices = [
            (user.id, user.display_name)
            for user in contacts.met_by_candidates(current_user.account_id, current)
        ]
        if form.met_by_id.data is None:
            form.met_by_id.data = contact.met_by_id if contact else current_user.id
    else:
        del form.met_by_id
    # A language set elsewhere (API, import) stays selectable when editing.
    language = contact.language if contact else ""
    if language and language not in [value for value, _label in form.language.choices]:
        form.language.choices = [*form.language.choices, (language, language)]
    return form


def _render_form(form: ContactForm, contact: Contact | None, status: int = 200):
    return render_template(
        "contacts/form.html",
        form=form,
        contact=contact,
        countries=country_suggestions(),
    ), status


def _chosen_met_by(form: ContactForm, contact: Contact | None) -> User:
    if "met_by_id" not in form:
        return contact.met_by if contact else current_user._get_current_object()
    user = db.session.get(User, form.met_by_id.data)
    if user is None or user.account_id != current_user.account_id:
        raise contacts.ContactRuleError("met_by_other_account")
    return user


def _save(form: ContactForm, contact: Contact | None):
    created = contact is None
    try:
        met_by = _chosen_met_by(form, contact)
        if contact is None:
            contact = contacts.create_contact(
                current_user.account_id, met_by, form.contact_data(), ContactSource.FORM
            )
        else:
            contacts.update_contact(contact, form.contact_data(), met_by)
    except contacts.ContactRuleError as error:
        db.session.rollback()
        field = form.met_by_id if "met_by_id" in form else form.first_name
        field.errors = [*field.errors, RULE_MESSAGES[error.code]()]
        return None
    db.session.commit()
    if created:
        automatic.contacts_created(contact.account_id, [contact.id])
    else:
        automatic.contact_updated(contact)
    return contact


def _submit(form: ContactForm, contact: Contact | None):
    """Save a valid form and show the contact; the form again with its errors otherwise."""
    saved = _save(form, contact) if form.validate_on_submit() else None
    if saved is None:
        return _render_form(form, contact, 422)
    flash(_("Contact saved."), "success")
    return redirect(url_for("contacts.view_contact", contact_id=saved.id))


@bp.route("/new")
@login_required
def new_contact():
    return _render_form(_prepare_form(ContactForm()), None)


@bp.route("/new", methods=["POST"])
@login_required
def create_contact():
    return _submit(_prepare_form(ContactForm()), None)


@bp.route("/<int:contact_id>")
@login_required
def view_contact(contact_id: int):
    from lemontaps.exports.routes import details_context

    contact = _contact_or_404(contact_id)
    # details_context carries the contact itself too.
    return render_template("contacts/view.html", **details_context(contact, embedded=True))


@bp.route("/<int:contact_id>/edit")
@login_required
def edit_contact(contact_id: int):
    contact = _contact_or_404(contact_id)
    return _render_form(_prepare_form(ContactForm(obj=contact), contact), contact)


@bp.route("/<int:contact_id>/edit", methods=["POST"])
@login_required
def update_contact(contact_id: int):
    contact = _contact_or_404(contact_id)
    return _submit(_prepare_form(ContactForm(), contact), contact)


@bp.route("/<int:contact_id>/delete")
@login_required
def confirm_delete_contact(contact_id: int):
    contact = _contact_or_404(contact_id)
    return render_template("contacts/delete.html", contact=contact, form=EmptyForm())


@bp.route("/<int:contact_id>/delete", methods=["POST"])
@login_required
def delete_contact(contact_id: int):
    contact = _contact_or_404(contact_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_template("contacts/delete.html", contact=contact, form=form), 422
    contacts.delete_contact(contact)
    db.session.commit()
    flash(_("Contact deleted. Nothing was deleted in Salesforce."), "success")
    return redirect(url_for("contacts.list_contacts"))
