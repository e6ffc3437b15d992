"""What the sweeper decides: work the database has and Redis lost, or a worker left behind.

- items "pushing" whose job stopped beating for a grace period (a killed worker) go back
  to queued; the engine's reconciliation makes the re-run safe;
- waiting items resume when their reason is gone (connection back, API budget re-checked at
  most every 15 minutes, Salesforce answering again);
- queued pushes are enqueued again (Redis was down or restarted);
- finished manual pushes without their mail get it.

These functions change and flush; `lemontaps.jobs.sweeper` commits and enqueues."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ConnectionStatus
from lemontaps.models import ExportState
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import PushStatus
from lemontaps.models import SalesforceConnection
from lemontaps.pushes import states
from lemontaps.services.salesforce_connect import connection_for

API_LIMIT_RECHECK = timedelta(minutes=15)
UNAVAILABLE_RETRY = timedelta(minutes=5)
MAIL_WAITING_AFTER = timedelta(hours=1)


def unstick(now: datetime, stuck_after: timedelta) -> set[int]:
    """Items of a killed worker go back to queued; returns their pushes."""
    stuck = db.session.scalars(
        sa.select(PushItem).where(
            PushItem.state == ExportState.PUSHING.value, PushItem.updated_at < now - stuck_after
        )
    ).all()
    for item in stuck:
        states.requeue(item)
    return {item.push_id for item in stuck}


def resume_waiting(now: datetime) -> int:
    waiting = db.session.execute(
        sa.select(PushItem, Push, SalesforceConnection)
        .join(Push, PushItem.push_id == Push.id)
        .outerjoin(SalesforceConnection, SalesforceConnection.account_id == Push.account_id)
        .where(PushItem.state == ExportState.WAITING.value)
    ).all()
    resumed = 0
    for item, push, connection in waiting:
        if may_resume(item, push, connection, now):
            states.requeue(item)
            resumed += 1
    return resumed


def may_resume(
    item: PushItem, push: Push, connection: SalesforceConnection | None, now: datetime
) -> bool:
    connected = connection is not None and connection.status == ConnectionStatus.CONNECTED
    reason = item.reason_code
    if reason in ("not_connected", "needs_reconnect"):
        return connected and (push.org_id in (None, connection.org_id))
    if reason == "org_changed":
        return False  # an admin confirms these (switching orgs)
    if reason == "api_limit":
        checked = connection.api_checked_at if connection else None
        return connected and (checked is None or checked < now - API_LIMIT_RECHECK)
    if reason == "salesforce_unavailable":
        return item.updated_at < now - UNAVAILABLE_RETRY
    return True  # email_in_flight and anything else: try again, the engine re-checks


def pushes_with_queued_items() -> list[Push]:
    push_ids = db.session.scalars(
        sa.select(PushItem.push_id).where(PushItem.state == ExportState.QUEUED.value).distinct()
    ).all()
    return list(db.session.scalars(sa.select(Push).where(Push.id.in_(push_ids))))


def waits_for_automatic_run(push: Push) -> bool:
    """An automatic push still collecting contacts: its account's automatic job takes it."""
    return push.kind == PushKind.AUTOMATIC.value and push.status == PushStatus.QUEUED.value


def summaries_due(now: datetime) -> list[tuple[int, int]]:
    """Manual pushes whose summary mail is due: (push id, contacts still waiting). A push is
    due when nothing is left to do, or when only waiting contacts are left for an hour."""
    candidates = db.session.scalars(
        sa.select(Push).where(
            Push.kind == PushKind.MANUAL.value,
            Push.mail_sent_at.is_(None),
            Push.mail_failed_at.is_(None),  # given up after its retries: shown on the push
            Push.started_by_id.is_not(None),
        )
    ).all()
    due = []
    for push in candidates:
        counts = states.push_counts(push.id)
        active = counts[ExportState.QUEUED] + counts[ExportState.PUSHING]
        waiting = counts[ExportState.WAITING]
        if active == 0 and waiting == 0:
            states.finish_if_settled(push)
            due.append((push.id, 0))
        elif active == 0 and waiting and _settled_long_ago(push.id, now):
            due.append((push.id, waiting))
    return due


def _settled_long_ago(push_id: int, now: datetime) -> bool:
    last = db.session.scalar(
        sa.select(sa.func.max(PushItem.finished_at)).where(
            PushItem.push_id == push_id, PushItem.finished_at.is_not(None)
        )
    )
    return last is not None and last < now - MAIL_WAITING_AFTER


def connections_awaiting_reconnect_mail(account_id: int | None = None) -> list[int]:
    """Connections that lost their refresh token and whose admins were not told yet."""
    query = sa.select(SalesforceConnection.id).where(
        SalesforceConnection.status == ConnectionStatus.NEEDS_RECONNECT.value,
        SalesforceConnection.reconnect_mail_sent_at.is_(None),
        SalesforceConnection.reconnect_mail_error.is_(None),
    )
    if account_id is not None:
        query = query.where(SalesforceConnection.account_id == account_id)
    return list(db.session.scalars(query))


def resume_account(account_id: int, now: datetime) -> set[int]:
    """After (re)connecting: the account's contacts waiting for a connection go again at
    once. Returns the pushes to enqueue."""
    items = db.session.scalars(
        states.account_items(
            account_id,
            PushItem.state == ExportState.WAITING.value,
            PushItem.reason_code.in_(["not_connected", "needs_reconnect"]),
        )
    ).all()
    connection = connection_for(account_id)
    resumed = [i for i in items if may_resume(i, i.push, connection, now)]
    for item in resumed:
        states.requeue(item)
    return {item.push_id for item in resumed}
