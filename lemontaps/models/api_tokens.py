"""API tokens (stored hashed) and Idempotency-Key records for the capture app's API."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lemontaps.extensions import db
from lemontaps.models.accounts import User
from lemontaps.models.accounts import utcnow


class ApiToken(db.Model):
    """One token per user; regenerating replaces the row, revoking deletes it."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # SHA-256 of the token, hex: the plain token is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters of the token, shown on the profile page for recognition.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class IdempotencyRecord(db.Model):
    """A request made with an Idempotency-Key: in flight while response_status is null,
    then the stored response that a retry with the same key and body gets back."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    # SHA-256 over method, path and the (canonical) body.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_location: Mapped[str | None] = mapped_column(sa.String(2000))
    # Refreshed when a request takes the key; an in-flight record older than the API's
    # lock timeout belongs to a request that died and may be taken over.
    locked_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow(), index=True)
