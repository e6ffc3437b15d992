"""RQ entry points for pushes. Thin: load, call the workflow, commit, enqueue what follows."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from lemontaps.extensions import db
from lemontaps.jobs.context import job_session
from lemontaps.jobs.heartbeat import item_heartbeat
from lemontaps.jobs.sweeper import notify_reconnect_needed
from lemontaps.jobs.sweeper import resume_account
from lemontaps.models import ExportState
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import PushStatus
from lemontaps.models import User
from lemontaps.pushes import dispatch
from lemontaps.pushes import engine
from lemontaps.pushes import states
from lemontaps.pushes.permissions import user_may_push


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
            dispatch.enqueue_push(push.id)


def run_push_batch(push_id: int, item_ids: list[int]) -> None:
    with job_session():
        push = db.session.get(Push, push_id)
        if push is None:
            return
        if _pusher_still_allowed(push):
            with item_heartbeat(item_ids):
                engine.run_batch(current_app.extensions["salesforce"], push_id, item_ids)
        else:
            for item in db.session.scalars(
                sa.select(PushItem).where(
                    PushItem.id.in_(item_ids), PushItem.state == ExportState.QUEUED.value
                )
            ):
                states.revert_to_not_exported(item, "not_allowed")
            states.finish_if_settled(push)
            db.session.commit()
        after_batch(push_id)


def _pusher_still_allowed(push: Push) -> bool:
    """A manual push stops when its pusher lost the right to push while it waited."""
    if push.kind != PushKind.MANUAL.value or push.started_by_id is None:
        return True
    user = db.session.get(User, push.started_by_id)
    return user is not None and user_may_push(user)


def resume_after_connect(account_id: int) -> None:
    with job_session():
        resume_account(account_id)


def after_batch(push_id: int) -> None:
    push = db.session.get(Push, push_id)
    if push is None:
        return
    notify_reconnect_needed(push.account_id)
    if states.finish_if_settled(push):
        db.session.commit()
        if push.kind == PushKind.MANUAL.value and push.mail_sent_at is None:
            dispatch.enqueue_push_summary(push_id)
