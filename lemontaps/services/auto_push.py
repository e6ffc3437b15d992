"""Automatic push: new contacts (and edited ones whose automatic push failed on their data)
join the account's automatic push in their own transaction, then a job is enqueued."""

from __future__ import annotations

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.services.push_start import queue_automatic, repush_after_edit

# Data reasons: fixed by editing the contact. Duplicates are not retried.
DATA_REASONS = {
    "missing_name",
    "missing_company",
    "too_long",
    "STRING_TOO_LONG",
    "INVALID_EMAIL_ADDRESS",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "REQUIRED_FIELD_MISSING",
    "FIELD_INTEGRITY_EXCEPTION",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
}


def on_contacts_created(account_id: int, contact_ids: list[int]) -> None:
    if queue_automatic(account_id, contact_ids) is not None:
        db.session.commit()
        _enqueue(account_id)


def on_contact_updated(contact: Contact) -> None:
    from lemontaps.exports.models import ContactExport, PushItem

    export = db.session.get(ContactExport, contact.id)
    if export is None:
        return
    item = db.session.get(PushItem, export.item_id)
    if item is None or item.reason_code not in DATA_REASONS:
        return
    if repush_after_edit(contact) is not None:
        db.session.commit()
        _enqueue(contact.account_id)


def _enqueue(account_id: int) -> None:
    from lemontaps.jobs import enqueue_safely
    from lemontaps.jobs.export import enqueue_automatic

    enqueue_safely(enqueue_automatic, account_id)
