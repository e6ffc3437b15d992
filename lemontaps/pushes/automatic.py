"""Automatic push: what follows a committed new or edited contact.

New contacts (and edited ones whose automatic push failed on their data) join the account's
automatic push. These two functions run after the caller's commit, as a unit of work of
their own: they commit what they queued and then enqueue the job (docs/architecture.md)."""

from __future__ import annotations

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import PushItem
from lemontaps.pushes.dispatch import enqueue_automatic
from lemontaps.pushes.start import queue_automatic
from lemontaps.pushes.start import repush_after_edit
from lemontaps.queueing import enqueue_safely

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


def contacts_created(account_id: int, contact_ids: list[int]) -> None:
    """Every way of creating contacts (form, API, CSV import) calls this once per commit, so
    contacts from any source are "new contacts" alike."""
    if queue_automatic(account_id, contact_ids) is not None:
        db.session.commit()
        enqueue_safely(enqueue_automatic, account_id)


def contact_updated(contact: Contact) -> None:
    """After an edit is committed: a failed automatic push is retried."""
    export = db.session.get(ContactExport, contact.id)
    if export is None:
        return
    item = db.session.get(PushItem, export.item_id)
    if item is None or item.reason_code not in DATA_REASONS:
        return
    if repush_after_edit(contact) is not None:
        db.session.commit()
        enqueue_safely(enqueue_automatic, contact.account_id)
