"""JSON in and out: the documented contact fields only, checked by the shared rules."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import User
from lemontaps.services import contact_validation as rules
from lemontaps.services.contacts import ContactRuleError
from lemontaps.services.contacts import check_met_by

# What a client may send. account_id, uuid, source, id and the timestamps are not here:
# sending them is a 422, never a silent write (no mass assignment).
WRITABLE_FIELDS = (*rules.STRING_FIELDS, "gdpr_consent", "met_on", "met_by")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def contact_json(contact: Contact) -> dict[str, Any]:
    body: dict[str, Any] = {"id": contact.id, "uuid": contact.uuid, "source": contact.source}
    for name in rules.STRING_FIELDS:
        body[name] = getattr(contact, name)
    body["gdpr_consent"] = contact.gdpr_consent
    body["met_on"] = contact.met_on.isoformat()
    body["met_by"] = {
        "id": contact.met_by.id,
        "email": contact.met_by.email,
        "name": contact.met_by.name,
    }
    body["created_at"] = _iso(contact.created_at)
    body["updated_at"] = _iso(contact.updated_at)
    return body


def _find_met_by(caller: User, value: Any) -> User | None:
    query = sa.select(User).where(User.account_id == caller.account_id)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return db.session.scalar(query.where(User.id == value))
    if isinstance(value, str) and value.strip():
        return db.session.scalar(query.where(User.email == value.strip().lower()))
    return None


def validate_payload(
    payload: dict[str, Any], caller: User, contact: Contact | None = None
) -> tuple[rules.ContactValidation, User | None]:
    """Check a POST (contact=None) or PATCH body. Returns the result and the chosen met_by
    (None: keep the current one, or the caller for a new contact)."""
    result = rules.ContactValidation()
    for name in payload:
        if name not in WRITABLE_FIELDS:
            result.add_error(name, "Unknown field.")

    strings = {}
    for name in rules.STRING_FIELDS:
        if name not in payload:
            continue
        value = payload[name]
        if value is not None and not isinstance(value, str):
            result.add_error(name, "Must be a string or null.")
        else:
            strings[name] = value
    rules.validate_strings(strings, result)

    if "gdpr_consent" in payload:
        if isinstance(payload["gdpr_consent"], bool):
            result.data["gdpr_consent"] = payload["gdpr_consent"]
        else:
            result.add_error("gdpr_consent", "Must be true or false.")

    if "met_on" in payload:
        value = payload["met_on"]
        parsed = rules.parse_date(value) if isinstance(value, str) else None
        if value is None:
            result.add_error("met_on", rules.message_met_on_required())
        elif parsed is None:
            result.add_error("met_on", "Enter the date as YYYY-MM-DD.")
        else:
            for message in rules.met_on_errors(parsed):
                result.add_error("met_on", message)
            result.data["met_on"] = parsed
    elif contact is None:
        result.data["met_on"] = date.today()

    met_by = None
    if "met_by" in payload:
        met_by = _check_met_by(payload["met_by"], caller, contact, result)

    if "first_name" not in result.errors:
        existing = rules.contact_values(contact) if contact is not None else None
        if not rules.has_identity({**(existing or {}), **result.data}):
            result.add_error("first_name", rules.message_need_identity())
    return result, met_by


def _check_met_by(value, caller: User, contact: Contact | None, result) -> User | None:
    if not caller.is_admin:
        result.add_error("met_by", "Only account admins may choose who met the contact.")
        return None
    user = _find_met_by(caller, value)
    if user is None:
        result.add_error("met_by", "Choose a user of your account (by id or e-mail).")
        return None
    previous = contact.met_by if contact is not None else None
    try:
        check_met_by(caller.account_id, user, previous)
    except ContactRuleError:
        result.add_error("met_by", "This user is deactivated.")
        return None
    return user
