"""Starting pushes: by hand (ticked rows or a whole filter) and automatically for new contacts.

The push is recorded in the database and committed before Redis hears of it; a sweeper
re-enqueues anything Redis lost."""

from __future__ import annotations

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import UNSETTLED
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import ExportMode
from lemontaps.models import ExportState
from lemontaps.models import IntegrationSettings
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import PushStatus
from lemontaps.models import User
from lemontaps.pushes import states
from lemontaps.pushes.permissions import user_may_push
from lemontaps.services.contacts import visible_contacts
from lemontaps.services.salesforce_connect import connection_for
from lemontaps.services.salesforce_connect import integration_settings

MAX_CONTACTS_PER_PUSH = 100_000


class PushRefused(Exception):
    """Starting the push is not possible; `code` picks the message (not_connected, ...)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def refusal(user: User) -> str | None:
    """Why `user` may not push now (a PushRefused code), or None."""
    if not user_may_push(user):
        return "not_allowed"
    connection = connection_for(user.account_id)
    if connection is None:
        return "not_connected"
    if not connection.connected:
        return "needs_reconnect"
    return None


def check_can_push(user: User) -> IntegrationSettings:
    code = refusal(user)
    if code is not None:
        raise PushRefused(code)
    return integration_settings(user.account_id)


def start_manual_push(user: User, contact_query: sa.Select) -> Push:
    """Record a manual push of the contacts `contact_query` selects (already limited to what
    the user may see). Returns the push; the caller commits and then enqueues it."""
    settings = check_can_push(user)
    # The viewer's limits go into the query itself, not IN (subquery): nested subqueries
    # let PostgreSQL loop over every contact per contact when its statistics lag.
    chosen = (
        contact_query.where(visible_contacts(user).whereclause)
        .order_by(Contact.id)
        .limit(MAX_CONTACTS_PER_PUSH)
    )
    if db.session.scalar(sa.select(chosen.with_only_columns(Contact.id).exists())) is not True:
        raise PushRefused("nothing_selected")
    return states.record_push(
        user.account_id,
        chosen,
        settings.target_object,
        user,
        PushKind.MANUAL,
        connection_for(user.account_id).org_id,
    )


def queue_automatic(account_id: int, contact_ids: list[int]) -> Push | None:
    """New contacts of an account in automatic mode join the account's open automatic push."""
    settings = db.session.get(IntegrationSettings, account_id)
    if settings is None or settings.export_mode != ExportMode.AUTOMATIC.value or not contact_ids:
        return None
    push = open_automatic_push(account_id, settings.target_object)
    contacts = list(db.session.scalars(sa.select(Contact).where(Contact.id.in_(contact_ids))))
    for contact in contacts:
        item = PushItem(
            push_id=push.id,
            account_id=account_id,
            contact_id=contact.id,
            contact_label=states.contact_label(contact),
        )
        db.session.add(item)
        db.session.flush()
        states.set_current(contact.id, account_id, item)
    push.total += len(contacts)
    return push


def open_automatic_push(account_id: int, target_object: str) -> Push:
    """The account's automatic push that has not started yet, or a new one."""
    push = db.session.scalar(
        sa.select(Push)
        .where(
            Push.account_id == account_id,
            Push.kind == PushKind.AUTOMATIC.value,
            Push.status == PushStatus.QUEUED.value,
            Push.target_object == target_object,
        )
        .order_by(Push.id.desc())
        .limit(1)
        .with_for_update()
    )
    if push is None:
        connection = connection_for(account_id)
        push = Push(
            account_id=account_id,
            kind=PushKind.AUTOMATIC.value,
            target_object=target_object,
            org_id=connection.org_id if connection else None,
        )
        db.session.add(push)
        db.session.flush()
    return push


def drop_waiting_automatic(account_id: int) -> int:
    """Switching to manual: automatic pushes not yet sent are dropped (contacts return to
    not exported)."""
    items = db.session.scalars(
        states.account_items(
            account_id,
            Push.kind == PushKind.AUTOMATIC.value,
            PushItem.state.in_([ExportState.QUEUED.value, ExportState.WAITING.value]),
        )
    ).all()
    for item in items:
        states.revert_to_not_exported(item, "automatic_off")
    return len(items)


def repush_after_edit(contact: Contact) -> Push | None:
    """An automatic push that failed for a data reason is retried once the contact is edited."""
    export = db.session.get(ContactExport, contact.id)
    if export is None or export.state != ExportState.FAILED:
        return None
    item = db.session.get(PushItem, export.item_id)
    if item is None or item.push.kind != PushKind.AUTOMATIC.value:
        return None
    return queue_automatic(contact.account_id, [contact.id])


def _other_org_items(account_id: int, org_id: str):
    return states.account_items(
        account_id,
        Push.org_id.is_not(None),
        Push.org_id != org_id,
        PushItem.state.in_([s.value for s in UNSETTLED]),
    )


def count_unsettled(account_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(PushItem.id)).where(
            PushItem.account_id == account_id, PushItem.state.in_([s.value for s in UNSETTLED])
        )
    )


def waiting_for_other_org(account_id: int, org_id: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(_other_org_items(account_id, org_id).subquery())
    )


def retarget_to_org(account_id: int, org_id: str) -> list[int]:
    """After an org switch the admin confirmed: waiting pushes go to the connected org."""
    items = db.session.scalars(_other_org_items(account_id, org_id)).all()
    push_ids = sorted({item.push_id for item in items})
    for push in db.session.scalars(sa.select(Push).where(Push.id.in_(push_ids))):
        push.org_id = org_id
    for item in items:
        item.reason_code = None
        states.requeue(item)
    return push_ids


def drop_for_other_orgs(account_id: int, org_id: str) -> int:
    items = db.session.scalars(_other_org_items(account_id, org_id)).all()
    for item in items:
        states.revert_to_not_exported(item, "org_changed_dropped")
    return len(items)
