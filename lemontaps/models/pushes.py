"""Pushes to Salesforce: each push, each contact's attempt in it, and each contact's current state.

The database is the single source of truth for the jobs and the UI (not RQ's job data)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lemontaps.extensions import db
from lemontaps.models.accounts import User
from lemontaps.models.accounts import utcnow
from lemontaps.models.contacts import Contact


class ExportState(enum.StrEnum):
    """A contact's state, and the outcome of one attempt. An explicit set that can grow."""

    NOT_EXPORTED = "not_exported"
    QUEUED = "queued"
    WAITING = "waiting"
    PUSHING = "pushing"
    EXPORTED = "exported"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    # An attempt that sent nothing and left the contact as it was (reason says why).
    SKIPPED = "skipped"


UNSETTLED = (ExportState.QUEUED, ExportState.WAITING, ExportState.PUSHING)
SETTLED = (ExportState.EXPORTED, ExportState.DUPLICATE, ExportState.FAILED, ExportState.SKIPPED)
# Contacts in these states may be pushed (again) by hand.
PUSHABLE = (ExportState.NOT_EXPORTED, ExportState.FAILED, ExportState.DUPLICATE)


class PushKind(enum.StrEnum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"


class PushStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"


class Push(db.Model):
    __tablename__ = "pushes"
    __table_args__ = (sa.Index("ix_pushes_account_status", "account_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(sa.String(16), default=PushKind.MANUAL.value)
    # Null for automatic pushes: nobody pushed by hand, nobody gets a mail.
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Kept from the moment the push started, whatever the settings say later.
    target_object: Mapped[str] = mapped_column(sa.String(16))
    org_id: Mapped[str | None] = mapped_column(sa.String(18))
    status: Mapped[str] = mapped_column(sa.String(16), default=PushStatus.QUEUED.value)
    total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    finished_at: Mapped[datetime | None]
    mail_sent_at: Mapped[datetime | None]
    # The summary mail was given up after its retries; the push's bar shows why.
    mail_failed_at: Mapped[datetime | None]
    mail_error: Mapped[str | None] = mapped_column(sa.String(255))
    dismissed_at: Mapped[datetime | None]

    started_by: Mapped[User | None] = relationship()


class PushItem(db.Model):
    """One contact in one push: the attempt, kept as history."""

    __tablename__ = "push_items"
    __table_args__ = (
        sa.Index("ix_push_items_push_state", "push_id", "state"),
        sa.Index("ix_push_items_contact", "contact_id", "id"),
        sa.Index("ix_push_items_account_state", "account_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    push_id: Mapped[int] = mapped_column(sa.ForeignKey("pushes.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    # Null once the contact is deleted; the attempt stays in the push's history.
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    contact_label: Mapped[str] = mapped_column(sa.String(255), default="")
    state: Mapped[str] = mapped_column(sa.String(16), default=ExportState.QUEUED.value)
    # Machine-readable reason (missing_company, api_limit, ...) and Salesforce's own words.
    reason_code: Mapped[str | None] = mapped_column(sa.String(48))
    reason_detail: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    sf_object: Mapped[str | None] = mapped_column(sa.String(16))
    sf_id: Mapped[str | None] = mapped_column(sa.String(18))
    org_id: Mapped[str | None] = mapped_column(sa.String(18))
    owner_id: Mapped[str | None] = mapped_column(sa.String(18))
    owner_name: Mapped[str | None] = mapped_column(sa.String(255))
    owner_reason: Mapped[str | None] = mapped_column(sa.String(32))
    # Set just before the create is sent: a retry after a lost answer reconciles first.
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(
        default=lambda: utcnow(), onupdate=lambda: utcnow()
    )
    finished_at: Mapped[datetime | None]

    push: Mapped[Push] = relationship()


class ContactExport(db.Model):
    """The current export state of a contact (no row: never pushed)."""

    __tablename__ = "contact_exports"
    __table_args__ = (sa.Index("ix_contact_exports_account_state", "account_id", "state"),)

    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    state: Mapped[str] = mapped_column(sa.String(16))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("push_items.id"))
    # Where the record lives once exported (also after a later failed attempt).
    sf_object: Mapped[str | None] = mapped_column(sa.String(16))
    sf_id: Mapped[str | None] = mapped_column(sa.String(18))
    org_id: Mapped[str | None] = mapped_column(sa.String(18))
    updated_at: Mapped[datetime] = mapped_column(
        default=lambda: utcnow(), onupdate=lambda: utcnow()
    )

    item: Mapped[PushItem] = relationship()
    contact: Mapped[Contact] = relationship()


class EmailClaim(db.Model):
    """While a contact with this e-mail is being created in the org, no other push creates one:
    the duplicate check holds across concurrent pushes and workers."""

    __tablename__ = "email_claims"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    email_key: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("push_items.id"))
    claimed_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
