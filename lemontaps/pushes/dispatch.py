"""Enqueueing the push workflow's jobs. Call after the commit that recorded the work.

Jobs are named by their dotted path (RQ imports them in the worker), so this module imports
no job module and the workflow never imports the jobs that call it."""

from __future__ import annotations

from lemontaps.pushes import states
from lemontaps.queueing import EMAILS
from lemontaps.queueing import EXPORTS
from lemontaps.queueing import enqueue
from lemontaps.queueing import mail_retry

RUN_PUSH_BATCH = "lemontaps.jobs.export.run_push_batch"
RUN_AUTOMATIC_PUSH = "lemontaps.jobs.export.run_automatic_push"
RESUME_AFTER_CONNECT = "lemontaps.jobs.export.resume_after_connect"
SEND_PUSH_SUMMARY = "lemontaps.jobs.email.send_push_summary"
SEND_RECONNECT_MAILS = "lemontaps.jobs.email.send_reconnect_mails"
MAIL_JOB_FAILED = "lemontaps.jobs.email.mail_job_failed"


def batch_job_id(push_id: int, item_ids: list[int]) -> str:
    return f"push-{push_id}-{item_ids[0]}"


def enqueue_push(push_id: int, replace_live: bool = False) -> int:
    """Enqueue a job per batch of queued items; returns how many jobs were added."""
    added = 0
    for batch in states.batches(states.queued_item_ids(push_id)):
        job_id = batch_job_id(push_id, batch)
        if enqueue(
            EXPORTS, RUN_PUSH_BATCH, push_id, batch, job_id=job_id, replace_live=replace_live
        ):
            added += 1
    return added


def enqueue_automatic(account_id: int) -> None:
    enqueue(EXPORTS, RUN_AUTOMATIC_PUSH, account_id, job_id=f"auto-{account_id}")


def enqueue_resume_after_connect(account_id: int) -> None:
    enqueue(EXPORTS, RESUME_AFTER_CONNECT, account_id)


def enqueue_push_summary(push_id: int, still_waiting: int = 0) -> str | None:
    args = (push_id, still_waiting) if still_waiting else (push_id,)
    return _enqueue_mail(SEND_PUSH_SUMMARY, *args, job_id=f"mail-push-{push_id}")


def enqueue_reconnect_mails(connection_id: int) -> str | None:
    return _enqueue_mail(
        SEND_RECONNECT_MAILS, connection_id, job_id=f"mail-reconnect-{connection_id}"
    )


def _enqueue_mail(func: str, *args, job_id: str) -> str | None:
    """Mails are retried with growing delays (MAIL_RETRY_INTERVALS), then given up; a mail
    given up stays in RQ's failed registry and is not tried again (keep_failed)."""
    return enqueue(
        EMAILS,
        func,
        *args,
        job_id=job_id,
        keep_failed=True,
        retry=mail_retry(),
        on_failure=MAIL_JOB_FAILED,
    )
