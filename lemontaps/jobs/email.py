"""E-mail jobs (queue "emails")."""

from __future__ import annotations

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.jobs.context import job_session
from lemontaps.models import Push, utcnow
from lemontaps.notifications.email import send_push_summary_mail


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
    from lemontaps.models import ConnectionStatus, Role, SalesforceConnection, User
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
        for admin in admins:
            send_reconnect_mail(admin, connection)
        return len(admins)
