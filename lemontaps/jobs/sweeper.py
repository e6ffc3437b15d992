"""The sweeper: every minute, in each worker, it finds work the database has and Redis lost.

- queued pushes without a live job (Redis was down or restarted) are enqueued again;
- items "pushing" for longer than the job timeout plus 2 minutes (a killed worker) go back
  to queued; the engine's reconciliation makes the re-run safe;
- waiting items resume when their reason is gone (connection back, API budget re-checked at
  most every 15 minutes, Salesforce answering again);
- finished manual pushes without their mail get it; failed revocations are retried."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from lemontaps.exports.models import ExportState, Push, PushItem, PushKind, PushStatus
from lemontaps.extensions import db
from lemontaps.integrations.models import ConnectionStatus, SalesforceConnection
from lemontaps.models import utcnow
from lemontaps.services import pushes

log = logging.getLogger(__name__)

API_LIMIT_RECHECK = timedelta(minutes=15)
UNAVAILABLE_RETRY = timedelta(minutes=5)
MAIL_WAITING_AFTER = timedelta(hours=1)


def stuck_after() -> timedelta:
    config = current_app.config
    return timedelta(seconds=config["PUSH_JOB_TIMEOUT"] + config["PUSH_STUCK_GRACE_SECONDS"])


def sweep() -> dict[str, int]:
    now = utcnow()
    unstuck_pushes = _unstick(now)
    stats = {"unstuck": len(unstuck_pushes), "resumed": _resume_waiting(now)}
    db.session.commit()
    stats["enqueued"] = _enqueue_unsettled(force=unstuck_pushes)
    stats["mails"] = _mail_finished(now) + notify_reconnect_needed()
    stats["revocations"] = _retry_revocations()
    return stats


def _unstick(now) -> set[int]:
    """Items of a killed worker go back to queued; returns their pushes."""
    stuck = db.session.scalars(
        sa.select(PushItem).where(
            PushItem.state == ExportState.PUSHING.value, PushItem.updated_at < now - stuck_after()
        )
    ).all()
    for item in stuck:
        item.state = ExportState.QUEUED.value
        if item.contact_id:
            pushes.set_current(item.contact_id, item.account_id, item)
    return {item.push_id for item in stuck}


def _resume_waiting(now) -> int:
    waiting = db.session.execute(
        sa.select(PushItem, Push, SalesforceConnection)
        .join(Push, PushItem.push_id == Push.id)
        .outerjoin(SalesforceConnection, SalesforceConnection.account_id == Push.account_id)
        .where(PushItem.state == ExportState.WAITING.value)
    ).all()
    resumed = 0
    for item, push, connection in waiting:
        if _may_resume(item, push, connection, now):
            item.state = ExportState.QUEUED.value
            if item.contact_id:
                pushes.set_current(item.contact_id, item.account_id, item)
            resumed += 1
    return resumed


def _may_resume(item: PushItem, push: Push, connection, now) -> bool:
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


def _enqueue_unsettled(force: set[int]) -> int:
    from lemontaps.jobs.export import enqueue_automatic, enqueue_push

    push_ids = db.session.scalars(
        sa.select(PushItem.push_id).where(PushItem.state == ExportState.QUEUED.value).distinct()
    ).all()
    added = 0
    for push_id in push_ids:
        push = db.session.get(Push, push_id)
        if push.kind == PushKind.AUTOMATIC.value and push.status == PushStatus.QUEUED.value:
            enqueue_automatic(push.account_id)
            continue
        added += enqueue_push(push_id, replace_live=push_id in force)
    return added


def _mail_finished(now) -> int:
    from lemontaps.jobs.email import enqueue_push_summary

    candidates = db.session.scalars(
        sa.select(Push).where(
            Push.kind == PushKind.MANUAL.value,
            Push.mail_sent_at.is_(None),
            Push.mail_failed_at.is_(None),  # given up after its retries: shown on the push
            Push.started_by_id.is_not(None),
        )
    ).all()
    sent = 0
    for push in candidates:
        counts = pushes.push_counts(push.id)
        active = counts[ExportState.QUEUED] + counts[ExportState.PUSHING]
        waiting = counts[ExportState.WAITING]
        if active == 0 and waiting == 0:
            pushes.finish_if_settled(push)
            db.session.commit()
            sent += enqueue_push_summary(push.id) is not None
        elif active == 0 and waiting and _settled_long_ago(push.id, now):
            sent += enqueue_push_summary(push.id, waiting) is not None
    return sent


def _settled_long_ago(push_id: int, now) -> bool:
    last = db.session.scalar(
        sa.select(sa.func.max(PushItem.finished_at)).where(
            PushItem.push_id == push_id, PushItem.finished_at.is_not(None)
        )
    )
    return last is not None and last < now - MAIL_WAITING_AFTER


def _retry_revocations() -> int:
    from lemontaps.services.salesforce_connect import retry_pending_revocations

    settled = retry_pending_revocations(current_app.extensions["salesforce"])
    db.session.commit()
    return settled


def notify_reconnect_needed(account_id: int | None = None) -> int:
    """Enqueue the one "please reconnect" mail per connection that lost its refresh token."""
    from lemontaps.jobs.email import enqueue_reconnect_mails

    query = sa.select(SalesforceConnection).where(
        SalesforceConnection.status == ConnectionStatus.NEEDS_RECONNECT.value,
        SalesforceConnection.reconnect_mail_sent_at.is_(None),
        SalesforceConnection.reconnect_mail_error.is_(None),
    )
    if account_id is not None:
        query = query.where(SalesforceConnection.account_id == account_id)
    connections = db.session.scalars(query).all()
    return sum(enqueue_reconnect_mails(c.id) is not None for c in connections)


def resume_account(account_id: int) -> int:
    """After (re)connecting: waiting contacts of the account go again at once."""
    from lemontaps.jobs.export import enqueue_push

    items = db.session.scalars(
        sa.select(PushItem)
        .join(Push)
        .where(
            Push.account_id == account_id,
            PushItem.state == ExportState.WAITING.value,
            PushItem.reason_code.in_(["not_connected", "needs_reconnect"]),
        )
    ).all()
    connection = db.session.scalar(
        sa.select(SalesforceConnection).where(SalesforceConnection.account_id == account_id)
    )
    resumed = [i for i in items if _may_resume(i, i.push, connection, utcnow())]
    for item in resumed:
        item.state = ExportState.QUEUED.value
        if item.contact_id:
            pushes.set_current(item.contact_id, item.account_id, item)
    db.session.commit()
    for push_id in {i.push_id for i in resumed}:
        enqueue_push(push_id)
    return len(resumed)
