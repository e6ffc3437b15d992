"""The sweeper: every minute, in each worker (and `flask sweep`), it finds work the database
has and Redis lost. `lemontaps.pushes.recovery` decides; this commits, then enqueues."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from lemontaps.extensions import db
from lemontaps.models import utcnow
from lemontaps.pushes import dispatch
from lemontaps.pushes import recovery
from lemontaps.queueing import enqueue_safely
from lemontaps.services.salesforce_connect import retry_pending_revocations


def stuck_after() -> timedelta:
    # A running batch touches its items several times within this (jobs/heartbeat.py).
    return timedelta(seconds=current_app.config["PUSH_STUCK_GRACE_SECONDS"])


def sweep() -> dict[str, int]:
    now = utcnow()
    unstuck = recovery.unstick(now, stuck_after())
    stats = {"unstuck": len(unstuck), "resumed": recovery.resume_waiting(now)}
    summaries = recovery.summaries_due(now)
    db.session.commit()
    stats["enqueued"] = enqueue_queued_pushes(force=unstuck)
    mails = sum(dispatch.enqueue_push_summary(*due) is not None for due in summaries)
    stats["mails"] = mails + notify_reconnect_needed()
    stats["revocations"] = retry_pending_revocations(current_app.extensions["salesforce"])
    db.session.commit()
    return stats


def enqueue_queued_pushes(force: set[int]) -> int:
    """A job for every push with queued items; `force` replaces jobs a killed worker held."""
    added = 0
    for push in recovery.pushes_with_queued_items():
        if recovery.waits_for_automatic_run(push):
            dispatch.enqueue_automatic(push.account_id)
            continue
        added += dispatch.enqueue_push(push.id, replace_live=push.id in force)
    return added


def notify_reconnect_needed(account_id: int | None = None) -> int:
    """Enqueue the one "please reconnect" mail per connection that lost its refresh token."""
    connection_ids = recovery.connections_awaiting_reconnect_mail(account_id)
    return sum(dispatch.enqueue_reconnect_mails(c) is not None for c in connection_ids)


def resume_account(account_id: int) -> int:
    """After (re)connecting: waiting contacts of the account go again at once."""
    push_ids = recovery.resume_account(account_id, utcnow())
    db.session.commit()
    for push_id in push_ids:
        enqueue_safely(dispatch.enqueue_push, push_id)
    return len(push_ids)
