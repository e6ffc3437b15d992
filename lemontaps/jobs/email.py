"""E-mail jobs (queue "emails"): retried with growing delays (MAIL_RETRY_INTERVALS), then
given up: the reason is kept where an admin looks and the job stays in RQ's failed registry."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from lemontaps.extensions import db
from lemontaps.jobs.context import job_session
from lemontaps.models import Push
from lemontaps.models import SalesforceConnection
from lemontaps.models import utcnow
from lemontaps.notifications.email import send_push_summary_mail

log = logging.getLogger(__name__)


def send_push_summary(push_id: int, still_waiting: int = 0) -> bool:
    """Mail the person who pushed, exactly once per push (a retried job never mails twice)."""
    with job_session():
        claimed = db.session.execute(
            sa.update(Push)
            .where(Push.id == push_id, Push.mail_sent_at.is_(None), Push.started_by_id.is_not(None))
            .values(mail_sent_at=utcnow())
        ).rowcount
        db.session.commit()  # the claim is durable before the mail leaves
        if not claimed:
            return False
        push = db.session.get(Push, push_id)
        try:
            send_push_summary_mail(push, still_waiting)
        except Exception:
            # Not sent: give the claim back so the retry can send it.
            db.session.execute(sa.update(Push).where(Push.id == push_id).values(mail_sent_at=None))
            db.session.commit()
            raise
        return True


def send_reconnect_mails(connection_id: int) -> int:
    """Tell every active admin once that Salesforce needs reconnecting."""
    from lemontaps.models import ConnectionStatus
    from lemontaps.models import Role
    from lemontaps.models import User
    from lemontaps.notifications.email import send_reconnect_mail

    with job_session():
        claimed = db.session.execute(
            sa.update(SalesforceConnection)
            .where(
                SalesforceConnection.id == connection_id,
                SalesforceConnection.status == ConnectionStatus.NEEDS_RECONNECT.value,
                SalesforceConnection.reconnect_mail_sent_at.is_(None),
            )
            .values(reconnect_mail_sent_at=utcnow())
        ).rowcount
        db.session.commit()
        if not claimed:
            return 0
        connection = db.session.get(SalesforceConnection, connection_id)
        admins = db.session.scalars(
            sa.select(User).where(
                User.account_id == connection.account_id,
                User.role == Role.ADMIN.value,
                User.active.is_(True),
            )
        ).all()
        try:
            for admin in admins:
                send_reconnect_mail(admin, connection)
        except Exception:
            # Not sent: give the claim back so the retry can send it.
            db.session.execute(
                sa.update(SalesforceConnection)
                .where(SalesforceConnection.id == connection_id)
                .values(reconnect_mail_sent_at=None)
            )
            db.session.commit()
            raise
        return len(admins)


def mail_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's failure callback, after every failed attempt: log it; after the last one keep
    the reason where an admin looks (an inline queue never retries: its first is the last)."""
    reason = _reason(exc_type, exc_value)
    final = not job.should_retry or not current_app.extensions["rq"].is_async
    if not final:
        log.warning("mail job %s failed (%s); %s retries left", job.id, reason, job.retries_left)
        return
    log.error("mail job %s given up after its retries: %s", job.id, reason)
    with job_session():
        if job.func_name.endswith(".send_push_summary"):
            db.session.execute(
                sa.update(Push)
                .where(Push.id == job.args[0], Push.mail_sent_at.is_(None))
                .values(mail_failed_at=utcnow(), mail_error=reason)
            )
        elif job.func_name.endswith(".send_reconnect_mails"):
            from lemontaps.models import SalesforceConnection

            db.session.execute(
                sa.update(SalesforceConnection)
                .where(
                    SalesforceConnection.id == job.args[0],
                    SalesforceConnection.reconnect_mail_sent_at.is_(None),
                )
                .values(reconnect_mail_error=reason)
            )
        db.session.commit()


def _reason(exc_type, exc_value) -> str:
    text = str(exc_value).strip() if exc_value is not None else ""
    name = exc_type.__name__ if exc_type is not None else "Error"
    return (f"{name}: {text}" if text else name)[:255]
