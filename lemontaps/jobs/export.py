"""RQ entry points for pushes. Thin: they call the push engine and enqueue what follows."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from lemontaps.exports.models import ExportState, Push, PushItem, PushKind, PushStatus
from lemontaps.extensions import db
from lemontaps.integrations.models import IntegrationSettings, PushPermission
from lemontaps.jobs import EXPORTS, enqueue
from lemontaps.jobs.context import job_session
from lemontaps.models import User
from lemontaps.services import push_engine, pushes
from lemontaps.services.push_start import may_push, revert_to_not_exported

log = logging.getLogger(__name__)


def batch_job_id(push_id: int, item_ids: list[int]) -> str:
    return f"push-{push_id}-{item_ids[0]}"


def enqueue_push(push_id: int, replace_live: bool = False) -> int:
    """Enqueue a job per batch of unsettled items; returns how many jobs were added."""
    added = 0
    for batch in pushes.batches(pushes.queued_item_ids(push_id)):
        job_id = batch_job_id(push_id, batch)
        if enqueue(
            EXPORTS, run_push_batch, push_id, batch, job_id=job_id, replace_live=replace_live
        ):
            added += 1
    return added


def enqueue_automatic(account_id: int) -> None:
    enqueue(EXPORTS, run_automatic_push, account_id, job_id=f"auto-{account_id}")


def run_automatic_push(account_id: int) -> None:
    """Take every contact of the account waiting for automatic push, 200 per batch job."""
    with job_session():
        open_pushes = db.session.scalars(
            sa.select(Push).where(
                Push.account_id == account_id,
                Push.kind == PushKind.AUTOMATIC.value,
                Push.status == PushStatus.QUEUED.value,
            )
        ).all()
        for push in open_pushes:
            push.status = PushStatus.RUNNING.value  # new contacts start a new push from now
        db.session.commit()
        for push in open_pushes:
            enqueue_push(push.id)


def run_push_batch(push_id: int, item_ids: list[int]) -> None:
    with job_session():
        push = db.session.get(Push, push_id)
        if push is None:
            return
        if not _pusher_still_allowed(push):
            for item in db.session.scalars(
                sa.select(PushItem).where(
                    PushItem.id.in_(item_ids), PushItem.state == ExportState.QUEUED.value
                )
            ):
                revert_to_not_exported(item, "not_allowed")
            pushes.finish_if_settled(push)
            db.session.commit()
        else:
            push_engine.run_batch(current_app.extensions["salesforce"], push_id, item_ids)
        after_batch(push_id)


def _pusher_still_allowed(push: Push) -> bool:
    if push.kind != PushKind.MANUAL.value or push.started_by_id is None:
        return True
    user = db.session.get(User, push.started_by_id)
    settings = db.session.get(IntegrationSettings, push.account_id) or IntegrationSettings(
        push_permission=PushPermission.ADMINS.value
    )
    return user is not None and may_push(user, settings)


def resume_after_connect(account_id: int) -> None:
    from lemontaps.jobs.sweeper import resume_account

    with job_session():
        resume_account(account_id)


def after_batch(push_id: int) -> None:
    from lemontaps.jobs.sweeper import notify_reconnect_needed

    push = db.session.get(Push, push_id)
    if push is not None:
        notify_reconnect_needed(push.account_id)
    if push is not None and pushes.finish_if_settled(push):
        db.session.commit()
        if push.kind == PushKind.MANUAL.value and push.mail_sent_at is None:
            from lemontaps.jobs.email import enqueue_push_summary

            enqueue_push_summary(push_id)
