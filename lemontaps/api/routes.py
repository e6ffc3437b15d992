"""/api/v1/contacts: the same contacts, permissions and rules as the web pages."""

from flask import g
from flask import jsonify
from flask import request
from flask import url_for

from lemontaps.api import bp
from lemontaps.api.idempotency import after_commit
from lemontaps.api.idempotency import write
from lemontaps.api.payload import contact_json
from lemontaps.api.payload import validate_payload
from lemontaps.api.responses import CODES
from lemontaps.api.responses import api_error
from lemontaps.api.responses import http_error
from lemontaps.extensions import csrf
from lemontaps.extensions import db
from lemontaps.extensions import login_manager
from lemontaps.models import ContactSource
from lemontaps.pushes import automatic
from lemontaps.services import api_tokens
from lemontaps.services import contacts

# Bodies are one contact: far below the app-wide limit that the CSV upload needs.
MAX_BODY = 64 * 1024
SEARCH_MAX = 200

# Bearer tokens only: no cookie is ever read here, so there is no CSRF surface to protect.
csrf.exempt(bp)
# By status code: Flask prefers the app's code handlers over a blueprint's class handler.
for _status in CODES:
    bp.register_error_handler(_status, http_error)


@bp.before_request
def authenticate():
    # Fix Flask-Login's user for this request so nothing (locale, templates) falls back to
    # the session cookie: a request carrying only a cookie stays anonymous and gets a 401.
    g._login_user = login_manager.anonymous_user()
    request.max_content_length = MAX_BODY
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return api_error(401, message="Send Authorization: Bearer <API token>.")
    user = api_tokens.user_for_token(token)
    if user is None:
        db.session.rollback()
        return api_error(401, message="This API token is not valid.")
    if db.session.dirty:
        db.session.commit()  # last_used_at
    g.api_user = g._login_user = user


def _json_body():
    """The request's JSON object, or a 400 response."""
    if not request.is_json:
        return None, api_error(400, message="Send the body as application/json.")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return None, api_error(400, message="The body must be a JSON object.")
    return payload, None


def _validation_error(errors: dict):
    return api_error(422, "validation_failed", "Some fields are not valid.", fields=errors)


def _visible_or_none(contact_id: int):
    return contacts.get_visible_contact(g.api_user, contact_id)


def _not_found():
    return api_error(404, message="No such contact, or you cannot see it.")


@bp.get("/contacts")
def list_contacts():
    args = request.args
    page = contacts.contact_page(
        g.api_user,
        search=args.get("q", "")[:SEARCH_MAX].strip(),
        sort=contacts.Sort.parse(args.get("sort")),
        after=contacts.Cursor.parse(args.get("after")),
        before=contacts.Cursor.parse(args.get("before")),
    )
    return jsonify(
        contacts=[contact_json(c) for c in page.contacts],
        next_cursor=page.next_cursor.token() if page.next_cursor else None,
        prev_cursor=page.prev_cursor.token() if page.prev_cursor else None,
        total=page.total,
        more=page.more,
    )


@bp.post("/contacts")
@write
def create_contact():
    payload, error = _json_body()
    if error:
        return error
    user = g.api_user
    result, met_by = validate_payload(payload, user)
    if not result.ok:
        return _validation_error(result.errors)
    try:
        contact = contacts.create_contact(
            user.account_id, met_by or user, result.data, ContactSource.API
        )
    except contacts.ContactRuleError:
        return _validation_error({"met_by": ["Choose an active user of your account."]})
    account_id, contact_id = contact.account_id, contact.id
    after_commit(lambda: automatic.contacts_created(account_id, [contact_id]))
    response = jsonify(contact_json(contact))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_contact", contact_id=contact.id)
    return response


@bp.get("/contacts/<int:contact_id>")
def get_contact(contact_id: int):
    contact = _visible_or_none(contact_id)
    if contact is None:
        return _not_found()
    return jsonify(contact_json(contact))


@bp.patch("/contacts/<int:contact_id>")
@write
def update_contact(contact_id: int):
    contact = _visible_or_none(contact_id)
    if contact is None:
        return _not_found()
    payload, error = _json_body()
    if error:
        return error
    result, met_by = validate_payload(payload, g.api_user, contact)
    if not result.ok:
        return _validation_error(result.errors)
    try:
        contacts.update_contact(contact, result.data, met_by)
    except contacts.ContactRuleError:
        return _validation_error({"met_by": ["Choose an active user of your account."]})
    # As after the form's edit: the hook sees the committed contact.
    after_commit(lambda: automatic.contact_updated(contact))
    return jsonify(contact_json(contact))


@bp.delete("/contacts/<int:contact_id>")
@write
def delete_contact(contact_id: int):
    """Deletes the contact here only: nothing in Salesforce is ever deleted."""
    contact = _visible_or_none(contact_id)
    if contact is None:
        return _not_found()
    contacts.delete_contact(contact)
    return "", 204
