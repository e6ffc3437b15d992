"""Recording pushes and moving contacts through export states (no Salesforce calls here).

The only module that changes a PushItem's state or a contact's current export state."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import UNSETTLED
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import EmailClaim
from lemontaps.models import ExportState
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import PushStatus
from lemontaps.models import User
from lemontaps.models import utcnow

BATCH_SIZE = 200  # one sObject Collections call; no job handles more


def contact_label(contact: Contact) -> str:
    return (contact.full_name or contact.email or f"#{contact.id}")[:255]


def current_exports(contact_ids: Iterable[int]) -> dict[int, ContactExport]:
    ids = list(contact_ids)
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(ContactExport).where(ContactExport.contact_id.in_(ids)))
    return {row.contact_id: row for row in rows}


def create_push(
    account_id: int,
    contacts: list[Contact],
    target_object: str,
    started_by: User | None,
    kind: PushKind,
    org_id: str | None,
) -> Push:
    """Record a push of `contacts` (in id order); see record_push."""
    db.session.flush()
    chosen = sa.select(Contact).where(Contact.id.in_([c.id for c in contacts])).order_by(Contact.id)
    return record_push(account_id, chosen, target_object, started_by, kind, org_id)


def contact_label_sql() -> sa.ColumnElement:
    """contact_label() in SQL, for items recorded by INSERT ... SELECT."""
    first, last, email = Contact.first_name, Contact.last_name, Contact.email
    label = sa.case(
        (sa.and_(first != "", last != ""), first + " " + last),
        (first != "", first),
        (last != "", last),
        (email != "", email),
        else_=sa.literal("#") + sa.cast(Contact.id, sa.String),
    )
    return sa.func.substr(label, 1, 255)


def record_push(
    account_id: int,
    contacts: sa.Select,
    target_object: str,
    started_by: User | None,
    kind: PushKind,
    org_id: str | None,
) -> Push:
    """Record a push of the contacts `contacts` selects (a select from Contact; its order,
    limit and joins kept). Contacts already exported to this org, or in another unsettled
    push, become skipped items that say so; the rest are queued and become their contacts'
    current state.

    Set-based: a fixed number of statements whatever the number of contacts (the items by one
    INSERT ... SELECT, the current states by one UPDATE and one INSERT ... SELECT)."""
    push = Push(
        account_id=account_id,
        kind=kind.value,
        target_object=target_object,
        started_by_id=started_by.id if started_by else None,
        org_id=org_id,
        total=0,
    )
    db.session.add(push)
    db.session.flush()
    now = utcnow()
    # Aliased: the caller's query may join ContactExport itself (a state filter).
    current = sa.orm.aliased(ContactExport)
    skip = _skip_reason_sql(current, org_id)
    skipped = skip.is_not(None)
    when_skipped = lambda value: sa.case((skipped, value), else_=sa.null())  # noqa: E731
    rows = (
        contacts.with_only_columns(
            sa.literal(push.id),
            sa.literal(account_id),
            Contact.id,
            contact_label_sql(),
            sa.case((skipped, ExportState.SKIPPED.value), else_=ExportState.QUEUED.value),
            skip,
            when_skipped(current.sf_id),
            when_skipped(current.sf_object),
            when_skipped(current.org_id),
            when_skipped(sa.literal(now, sa.DateTime)),
            sa.literal({}, sa.JSON),
            sa.literal(0),
            sa.literal(now, sa.DateTime),
            sa.literal(now, sa.DateTime),
        )
        .outerjoin(current, current.contact_id == Contact.id)
        .where(Contact.account_id == account_id)
    )
    columns = (
        "push_id account_id contact_id contact_label state reason_code sf_id sf_object org_id"
        " finished_at details attempts created_at updated_at"
    ).split()
    db.session.execute(sa.insert(PushItem).from_select(columns, rows))
    # Counted, not the INSERT's rowcount: psycopg reports none for INSERT ... SELECT here.
    push.total = db.session.scalar(
        sa.select(sa.func.count()).select_from(PushItem).where(PushItem.push_id == push.id)
    )
    _queued_become_current(push.id, now)
    db.session.flush()
    return push


def _skip_reason_sql(current, org_id: str | None) -> sa.ColumnElement:
    """_skip_reason() in SQL, over the contact's outer-joined current state."""
    exported_here = sa.and_(
        current.state == ExportState.EXPORTED.value,
        sa.true() if org_id is None else current.org_id == org_id,
    )
    return sa.case(
        (current.state.in_([s.value for s in UNSETTLED]), "already_being_pushed"),
        (exported_here, "already_in_salesforce"),
        else_=sa.null(),
    )


def _queued_become_current(push_id: int, now) -> None:
    """set_current() for every queued item of the push: one UPDATE, one INSERT ... SELECT."""
    queued = sa.select(PushItem.contact_id).where(
        PushItem.push_id == push_id, PushItem.state == ExportState.QUEUED.value
    )
    # UPDATE ... FROM (a join), not a subquery per row: PostgreSQL ran that one per contact.
    db.session.execute(
        sa.update(ContactExport)
        .where(
            ContactExport.contact_id == PushItem.contact_id,
            PushItem.push_id == push_id,
            PushItem.state == ExportState.QUEUED.value,
        )
        .values(state=ExportState.QUEUED.value, item_id=PushItem.id, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    missing = queued.add_columns(
        PushItem.account_id, sa.literal(ExportState.QUEUED.value), PushItem.id, sa.literal(now)
    ).where(~sa.exists().where(ContactExport.contact_id == PushItem.contact_id))
    db.session.execute(
        sa.insert(ContactExport).from_select(
            ["contact_id", "account_id", "state", "item_id", "updated_at"], missing
        )
    )


def _skip_reason(export: ContactExport | None, org_id: str | None) -> str | None:
    if export is None:
        return None
    if export.state in UNSETTLED:
        return "already_being_pushed"
    if export.state == ExportState.EXPORTED and (org_id is None or export.org_id == org_id):
        return "already_in_salesforce"
    return None  # not exported, failed, duplicate, or exported to another org: send it


def set_current(contact_id: int, account_id: int, item: PushItem) -> None:
    """Make `item` the contact's current export state (skipped attempts never are)."""
    export = db.session.get(ContactExport, contact_id)
    if export is None:
        export = ContactExport(contact_id=contact_id, account_id=account_id)
        db.session.add(export)
    export.state = item.state
    export.item_id = item.id
    if item.state == ExportState.EXPORTED:
        export.sf_id, export.sf_object, export.org_id = item.sf_id, item.sf_object, item.org_id


def settle(
    item: PushItem,
    state: ExportState,
    reason_code: str | None = None,
    reason_detail: str | None = None,
    **fields,
) -> None:
    item.state = state.value
    item.reason_code = reason_code
    item.reason_detail = reason_detail
    for name, value in fields.items():
        setattr(item, name, value)
    if state in (
        ExportState.EXPORTED,
        ExportState.DUPLICATE,
        ExportState.FAILED,
        ExportState.SKIPPED,
    ):
        item.finished_at = utcnow()
    if item.contact_id is not None and state != ExportState.SKIPPED:
        set_current(item.contact_id, item.account_id, item)
    release_claim(item)


def requeue(item: PushItem) -> None:
    """Back to queued: a killed worker's item, a waiting one whose reason is gone, or one
    retargeted to the connected org."""
    item.state = ExportState.QUEUED.value
    if item.contact_id:
        set_current(item.contact_id, item.account_id, item)


def revert_to_not_exported(item: PushItem, reason: str) -> None:
    """The item is dropped unsent; its contact shows "not exported" again."""
    settle(item, ExportState.SKIPPED, reason)
    export = db.session.get(ContactExport, item.contact_id) if item.contact_id else None
    if export is not None and export.item_id == item.id:
        export.state = ExportState.NOT_EXPORTED.value


def release_claim(item: PushItem) -> None:
    db.session.execute(sa.delete(EmailClaim).where(EmailClaim.item_id == item.id))


def queued_item_ids(push_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(PushItem.id)
            .where(PushItem.push_id == push_id, PushItem.state == ExportState.QUEUED.value)
            .order_by(PushItem.id)
        )
    )


def account_items(account_id: int, *conditions) -> sa.Select:
    """The account's push items that meet `conditions` (on PushItem and Push)."""
    return (
        sa.select(PushItem)
        .join(Push, PushItem.push_id == Push.id)
        .where(Push.account_id == account_id, *conditions)
    )


def batches(item_ids: list[int], size: int = BATCH_SIZE) -> list[list[int]]:
    return [item_ids[i : i + size] for i in range(0, len(item_ids), size)]


def counts_of_pushes(push_ids: list[int]) -> dict[int, dict[str, int]]:
    """Items of each push per state (every state, 0 when none), plus "already_in_salesforce":
    the skipped ones Salesforce had already. One grouped query."""
    empty = {state.value: 0 for state in ExportState} | {"already_in_salesforce": 0}
    counts = {push_id: dict(empty) for push_id in push_ids}
    if not push_ids:
        return counts
    rows = db.session.execute(
        sa.select(PushItem.push_id, PushItem.state, PushItem.reason_code, sa.func.count())
        .where(PushItem.push_id.in_(push_ids))
        .group_by(PushItem.push_id, PushItem.state, PushItem.reason_code)
    )
    for push_id, state, reason, number in rows:
        if state == ExportState.SKIPPED and reason == "already_in_salesforce":
            counts[push_id]["already_in_salesforce"] += number
        counts[push_id][state] += number
    return counts


def push_counts(push_id: int) -> dict[str, int]:
    return counts_of_pushes([push_id])[push_id]


def finish_if_settled(push: Push) -> bool:
    counts = push_counts(push.id)
    if any(counts[s.value] for s in UNSETTLED):
        return False
    if push.status != PushStatus.FINISHED:
        push.status = PushStatus.FINISHED.value
        push.finished_at = utcnow()
    return True
