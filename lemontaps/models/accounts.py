"""Tenants and their people: accounts and users."""

import enum
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lemontaps.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Role(enum.StrEnum):
    ADMIN = "admin"
    USER = "user"


class Account(db.Model):
    """A company using Lemontaps: the tenant every row belongs to."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())

    users: Mapped[list["User"]] = relationship(back_populates="account")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    # Stored lower-cased: log-in, owner matching and uniqueness ignore case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.USER.value)
    # Null until the invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    # Bumped on logout, password change and deactivation: older session cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    last_login_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship(back_populates="users")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"
