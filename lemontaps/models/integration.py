"""Per-account integration settings and the Salesforce connection (tokens encrypted)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lemontaps.extensions import db
from lemontaps.models.accounts import utcnow


class ExportMode(enum.StrEnum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"


class TargetObject(enum.StrEnum):
    LEAD = "Lead"
    CONTACT = "Contact"


class PushPermission(enum.StrEnum):
    ADMINS = "admins"
    EVERYONE = "everyone"


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"


class IntegrationSettings(db.Model):
    __tablename__ = "integration_settings"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    export_mode: Mapped[str] = mapped_column(sa.String(16), default=ExportMode.MANUAL.value)
    target_object: Mapped[str] = mapped_column(sa.String(16), default=TargetObject.LEAD.value)
    push_permission: Mapped[str] = mapped_column(sa.String(16), default=PushPermission.ADMINS.value)
    # Other integrations share the org's daily API allocation: stop at this share of it.
    api_usage_threshold_pct: Mapped[int] = mapped_column(default=90)
    updated_at: Mapped[datetime] = mapped_column(
        default=lambda: utcnow(), onupdate=lambda: utcnow()
    )


class SalesforceConnection(db.Model):
    __tablename__ = "salesforce_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(24), default=ConnectionStatus.CONNECTED.value)
    environment: Mapped[str] = mapped_column(sa.String(16))
    # Refresh and revoke go to the login host the connection was made with.
    login_url: Mapped[str] = mapped_column(sa.String(255))
    instance_url: Mapped[str] = mapped_column(sa.String(255))
    org_id: Mapped[str] = mapped_column(sa.String(18), index=True)
    sf_user_id: Mapped[str] = mapped_column(sa.String(18))
    sf_username: Mapped[str] = mapped_column(sa.String(255), default="")
    sf_user_email: Mapped[str] = mapped_column(sa.String(255), default="")
    sf_user_name: Mapped[str] = mapped_column(sa.String(255), default="")
    refresh_token_enc: Mapped[str] = mapped_column(sa.Text)
    access_token_enc: Mapped[str | None] = mapped_column(sa.Text)
    # Bumped on each refresh: a process that waited for the refresh lock sees it moved on.
    token_version: Mapped[int] = mapped_column(default=1)
    connected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    connected_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    refreshed_at: Mapped[datetime | None]
    needs_reconnect_since: Mapped[datetime | None]
    # Set once the admins were told to reconnect: one mail per admin, not one per job.
    reconnect_mail_sent_at: Mapped[datetime | None]
    # The reconnect mail was given up after its retries; the Salesforce page shows why.
    reconnect_mail_error: Mapped[str | None] = mapped_column(sa.String(255))
    # An operator error at the token endpoint (e.g. invalid_client): /healthz reports it.
    token_error: Mapped[str | None] = mapped_column(sa.String(64))
    checks: Mapped[list] = mapped_column(sa.JSON, default=list)
    lead_external_id: Mapped[bool] = mapped_column(default=False)
    contact_external_id: Mapped[bool] = mapped_column(default=False)
    api_used: Mapped[int | None]
    api_limit: Mapped[int | None]
    api_checked_at: Mapped[datetime | None]

    @property
    def connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED.value


class OAuthAttempt(db.Model):
    """One "Authorize Salesforce" click: state and PKCE verifier kept server-side, used once."""

    __tablename__ = "oauth_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    code_verifier: Mapped[str] = mapped_column(sa.String(128))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    environment: Mapped[str] = mapped_column(sa.String(16))
    login_url: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    used_at: Mapped[datetime | None]
    # Why the attempt ended without a connection, shown on the integration page.
    error_code: Mapped[str | None] = mapped_column(sa.String(32))
    error_description: Mapped[str | None] = mapped_column(sa.String(500))
    # Another org than the connected one: the new connection (tokens encrypted) waits here
    # until the admin confirms the switch or keeps the current org.
    pending_switch: Mapped[dict | None] = mapped_column(sa.JSON)


class PendingRevocation(db.Model):
    """A refresh token whose revoke call failed at disconnect: retried later, never forgotten."""

    __tablename__ = "pending_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    login_url: Mapped[str] = mapped_column(sa.String(255))
    token_enc: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=1)
    last_error: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    next_attempt_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())


class OrgDescribe(db.Model):
    """What describe told us about an object in the connected org (fields, lengths, picklists).

    Cached so pushes cost no describe call; cleared when the account switches orgs."""

    __tablename__ = "org_describes"
    __table_args__ = (sa.UniqueConstraint("account_id", "org_id", "sobject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    org_id: Mapped[str] = mapped_column(sa.String(18))
    sobject: Mapped[str] = mapped_column(sa.String(64))
    fields: Mapped[dict] = mapped_column(sa.JSON)
    createable: Mapped[bool] = mapped_column(default=True)
    fetched_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
