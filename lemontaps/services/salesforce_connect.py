"""Connecting an account to a Salesforce org: authorize, exchange, check, store, disconnect.

Services take explicit arguments (never `request` or `current_user`) and never commit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

import requests
import sqlalchemy as sa

from lemontaps.crypto import TokenCipher
from lemontaps.extensions import db
from lemontaps.models import ConnectionStatus
from lemontaps.models import IntegrationSettings
from lemontaps.models import OAuthAttempt
from lemontaps.models import OrgDescribe
from lemontaps.models import PendingRevocation
from lemontaps.models import SalesforceConnection
from lemontaps.models import TargetObject
from lemontaps.models import User
from lemontaps.models import utcnow
from lemontaps.salesforce import oauth
from lemontaps.salesforce.client import ApiUsage
from lemontaps.salesforce.client import SalesforceClient
from lemontaps.salesforce.errors import ApiDisabled
from lemontaps.salesforce.errors import HostNotAllowed
from lemontaps.salesforce.errors import SalesforceError
from lemontaps.salesforce.errors import TokenError
from lemontaps.salesforce.hosts import HostPolicy

ATTEMPT_MAX_AGE = timedelta(minutes=15)
REFRESH_TOKEN = "refresh_token"
ACCESS_TOKEN = "access_token"
EXTERNAL_ID_FIELD = "Lemontaps_Id__c"
LEAD_SOURCE = "Lemontaps"
REVOKE_BACKOFF = (timedelta(minutes=5), timedelta(hours=1), timedelta(hours=6))


@dataclass
class SalesforceSetup:
    """Everything the integration needs from configuration, built once per app."""

    oauth: oauth.OAuthClientConfig
    hosts: HostPolicy
    cipher: TokenCipher
    api_version: str
    http_factory: Callable[[], requests.Session]
    # A cross-process lock per account for token refreshes, where the database cannot lock
    # rows (SQLite); on PostgreSQL `SELECT ... FOR UPDATE` serializes them already.
    refresh_lock: Callable[[int], AbstractContextManager] = lambda _account_id: nullcontext()

    def new_http(self) -> requests.Session:
        return self.http_factory()


class ConnectError(Exception):
    """The connection attempt ended without a connection; `code` picks the message shown."""

    def __init__(self, code: str, description: str = ""):
        super().__init__(code)
        self.code = code
        self.description = description


def integration_settings(account_id: int) -> IntegrationSettings:
    settings = db.session.get(IntegrationSettings, account_id)
    if settings is None:
        settings = IntegrationSettings(account_id=account_id)
        db.session.add(settings)
        db.session.flush()
    return settings


def connection_for(account_id: int) -> SalesforceConnection | None:
    return db.session.scalar(
        sa.select(SalesforceConnection).where(SalesforceConnection.account_id == account_id)
    )


def _hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start_authorization(
    setup: SalesforceSetup, user: User, environment: str, my_domain: str = ""
) -> str:
    """Record a new attempt and return the URL of Salesforce's login page for the popup."""
    login_url = setup.hosts.login_url_for(environment, my_domain)
    state = secrets.token_urlsafe(32)
    verifier = oauth.new_pkce_verifier()
    db.session.add(
        OAuthAttempt(
            state_hash=_hash_state(state),
            code_verifier=verifier,
            account_id=user.account_id,
            user_id=user.id,
            environment=environment,
            login_url=login_url,
        )
    )
    return oauth.authorization_url(setup.oauth, login_url, state, verifier)


def _take_attempt(user: User, state: str | None) -> OAuthAttempt:
    if not state:
        raise ConnectError("invalid_state")
    attempt = db.session.scalar(
        sa.select(OAuthAttempt).where(OAuthAttempt.state_hash == _hash_state(state))
    )
    if attempt is None:
        raise ConnectError("invalid_state")
    if attempt.used_at is not None:
        raise ConnectError("replayed_state")
    if attempt.user_id != user.id or attempt.account_id != user.account_id:
        raise ConnectError("foreign_state")
    # Used once, whatever happens next; the caller commits this even when connecting fails.
    attempt.used_at = utcnow()
    if utcnow() - attempt.created_at > ATTEMPT_MAX_AGE:
        raise ConnectError("expired_state")
    return attempt


def note_failed_attempt(user: User, state: str | None, error: ConnectError) -> None:
    """Keep the failure on the user's own attempt (never on another user's)."""
    if not state:
        return
    attempt = db.session.scalar(
        sa.select(OAuthAttempt).where(OAuthAttempt.state_hash == _hash_state(state))
    )
    if attempt is None or attempt.user_id != user.id:
        return
    attempt.used_at = attempt.used_at or utcnow()
    if attempt.error_code is None:
        attempt.error_code = error.code
        attempt.error_description = (error.description or "")[:500]


def last_failed_attempt(account_id: int) -> OAuthAttempt | None:
    """The latest attempt of the account, if it failed (and is newer than the connection)."""
    attempt = db.session.scalar(
        sa.select(OAuthAttempt)
        .where(OAuthAttempt.account_id == account_id, OAuthAttempt.used_at.is_not(None))
        .order_by(OAuthAttempt.id.desc())
        .limit(1)
    )
    if attempt is None or attempt.error_code is None:
        return None
    return attempt


def complete_authorization(
    setup: SalesforceSetup, user: User, params: dict[str, str]
) -> SalesforceConnection:
    """Handle the callback's query parameters; returns the stored connection or raises."""
    attempt = _take_attempt(user, params.get("state"))
    if params.get("error"):
        code = "denied" if params["error"] == "access_denied" else "authorize_error"
        raise ConnectError(code, params.get("error_description", params["error"]))
    if not params.get("code"):
        raise ConnectError("authorize_error", "no authorization code")
    http = setup.new_http()
    try:
        tokens = oauth.exchange_code(
            http, setup.oauth, attempt.login_url, params["code"], attempt.code_verifier
        )
        return _store_connection(setup, http, user, attempt, tokens)
    except TokenError as error:
        raise ConnectError("token_error", error.message) from None
    except HostNotAllowed as error:
        raise ConnectError("host_not_allowed", error.message) from None
    except ApiDisabled as error:
        raise ConnectError("api_disabled", error.message) from None
    except SalesforceError as error:
        raise ConnectError("salesforce_error", error.message) from None
    finally:
        http.close()


def _store_connection(setup, http, user, attempt, tokens) -> SalesforceConnection:
    # Mix-up and SSRF defence: no bearer token goes to a host outside Salesforce's domains.
    for url in (tokens.instance_url, tokens.identity_url):
        if not setup.hosts.is_allowed(url):
            _revoke_quietly(
                setup, http, attempt.account_id, attempt.login_url, tokens.refresh_token
            )
            raise HostNotAllowed(f"Salesforce named a host outside its domains: {url}")
    identity = oauth.fetch_identity(http, tokens.identity_url, tokens.access_token)
    client = SalesforceClient(
        http, tokens.instance_url, tokens.access_token, api_version=setup.api_version
    )
    try:
        checks, describes = run_checks(client, target_object_of(user.account_id))
    except ApiDisabled:
        _revoke_quietly(setup, http, attempt.account_id, attempt.login_url, tokens.refresh_token)
        raise
    if not tokens.refresh_token:
        raise ConnectError("token_error", "Salesforce sent no refresh token (scope refresh_token)")
    new = {
        "environment": attempt.environment,
        "login_url": attempt.login_url,
        "instance_url": tokens.instance_url.rstrip("/"),
        "org_id": identity["organization_id"],
        "sf_user_id": identity["user_id"],
        "sf_username": identity.get("username", ""),
        "sf_user_email": identity.get("email", ""),
        "sf_user_name": identity.get("display_name", ""),
        "refresh_token_enc": setup.cipher.encrypt(
            user.account_id, REFRESH_TOKEN, tokens.refresh_token
        ),
        "access_token_enc": setup.cipher.encrypt(
            user.account_id, ACCESS_TOKEN, tokens.access_token
        ),
        "checks": checks,
        "describes": {name: describe_summary(d) for name, d in describes.items()},
        "createable": {name: bool(d.get("createable")) for name, d in describes.items()},
        "api_used": client.last_usage.used if client.last_usage else None,
        "api_limit": client.last_usage.limit if client.last_usage else None,
    }
    current = connection_for(user.account_id)
    if current is not None and current.org_id != new["org_id"]:
        attempt.pending_switch = new
        raise OrgSwitchPending(attempt.id, current.org_id, new["org_id"])
    return apply_connection(setup, http, user, new)


class OrgSwitchPending(Exception):
    """The admin signed in to another org than the connected one: confirm before switching."""

    def __init__(self, attempt_id: int, current_org: str, new_org: str):
        super().__init__(new_org)
        self.attempt_id, self.current_org, self.new_org = attempt_id, current_org, new_org


def apply_connection(setup, http, user: User, new: dict) -> SalesforceConnection:
    """Store a new connection (or replace the account's), revoking the previous token first."""
    connection = connection_for(user.account_id)
    if connection is not None:
        _revoke_quietly(
            setup,
            http,
            connection.account_id,
            connection.login_url,
            setup.cipher.decrypt(
                connection.account_id, REFRESH_TOKEN, connection.refresh_token_enc
            ),
        )
    else:
        connection = SalesforceConnection(account_id=user.account_id)
        db.session.add(connection)
    for name in (
        "environment",
        "login_url",
        "instance_url",
        "org_id",
        "sf_user_id",
        "sf_username",
        "sf_user_email",
        "sf_user_name",
        "refresh_token_enc",
        "access_token_enc",
        "checks",
    ):
        setattr(connection, name, new[name])
    connection.status = ConnectionStatus.CONNECTED.value
    connection.token_version = (connection.token_version or 0) + 1
    connection.connected_by_id = user.id
    connection.connected_at = utcnow()
    connection.needs_reconnect_since = None
    connection.reconnect_mail_sent_at = None
    connection.reconnect_mail_error = None
    connection.token_error = None
    connection.api_used, connection.api_limit = new["api_used"], new["api_limit"]
    connection.api_checked_at = utcnow() if new["api_limit"] else None
    _cache_describes(connection, new["describes"], new["createable"])
    db.session.flush()
    return connection


def confirm_org_switch(
    setup: SalesforceSetup, user: User, attempt_id: int, switch: bool
) -> SalesforceConnection | None:
    """The admin's answer to "switch orgs?": apply the pending connection, or drop it."""
    attempt = db.session.get(OAuthAttempt, attempt_id)
    if (
        attempt is None
        or attempt.user_id != user.id
        or attempt.pending_switch is None
        or utcnow() - attempt.created_at > ATTEMPT_MAX_AGE
    ):
        raise ConnectError("expired_state")
    new, attempt.pending_switch = attempt.pending_switch, None
    http = setup.new_http()
    try:
        if not switch:
            _revoke_quietly(
                setup,
                http,
                user.account_id,
                new["login_url"],
                setup.cipher.decrypt(user.account_id, REFRESH_TOKEN, new["refresh_token_enc"]),
            )
            return None
        return apply_connection(setup, http, user, new)
    finally:
        http.close()


def target_object_of(account_id: int) -> str:
    settings = db.session.get(IntegrationSettings, account_id)
    return settings.target_object if settings else TargetObject.LEAD.value


def run_checks(client: SalesforceClient, target_object: str):
    """The list shown after connecting. Raises ApiDisabled when the org has no API access."""
    checks = []
    limits = None
    try:
        limits = client.limits()
    except ApiDisabled:
        raise
    except SalesforceError:
        limits = None  # no "View Setup" permission: usage comes from Sforce-Limit-Info instead
    checks.append(_check("api_access", True))
    describes = {name: client.describe(name) for name in ("Lead", "Contact")}
    for name, describe in describes.items():
        checks.append(_check(f"{name.lower()}_createable", bool(describe.get("createable"))))
        fields = {f["name"]: f for f in describe.get("fields", [])}
        checks.append(_check(f"{name.lower()}_lead_source", _accepts_lead_source(fields)))
        checks.append(
            _check(f"{name.lower()}_external_id", EXTERNAL_ID_FIELD in fields, optional=True)
        )
    if target_object == "Contact":
        checks.append(_check("contact_visibility_note", None))
    if limits and "DailyApiRequests" in limits:
        daily = limits["DailyApiRequests"]
        client.last_usage = ApiUsage(daily["Max"] - daily["Remaining"], daily["Max"])
    return checks, describes


def _check(key: str, ok: bool | None, optional: bool = False) -> dict:
    return {"key": key, "ok": ok, "optional": optional}


def _accepts_lead_source(fields: dict) -> bool:
    field = fields.get("LeadSource")
    if field is None or not field.get("createable", True):
        return False
    values = {p["value"] for p in field.get("picklistValues", []) if p.get("active", True)}
    return LEAD_SOURCE in values or not field.get("restrictedPicklist", False)


def describe_summary(describe: dict) -> dict:
    """The parts of a describe the push engine needs, keyed by field name."""
    return {
        f["name"]: {
            "type": f.get("type"),
            "length": f.get("length"),
            "createable": f.get("createable", False),
            "nillable": f.get("nillable", True),
            "restricted": f.get("restrictedPicklist", False),
            "picklist": [p["value"] for p in f.get("picklistValues", []) if p.get("active")],
            "external_id": f.get("externalId", False),
            "unique": f.get("unique", False),
        }
        for f in describe.get("fields", [])
    }


def _apply_describes(connection: SalesforceConnection, describes: dict) -> None:
    _cache_describes(
        connection,
        {name: describe_summary(d) for name, d in describes.items()},
        {name: bool(d.get("createable")) for name, d in describes.items()},
    )


def _cache_describes(connection: SalesforceConnection, summaries: dict, createable: dict) -> None:
    # Every cached describe of the account goes, the old org's included (switching orgs).
    db.session.execute(
        sa.delete(OrgDescribe).where(OrgDescribe.account_id == connection.account_id)
    )
    for name, fields in summaries.items():
        db.session.add(
            OrgDescribe(
                account_id=connection.account_id,
                org_id=connection.org_id,
                sobject=name,
                fields=fields,
                createable=createable.get(name, True),
            )
        )
    connection.lead_external_id = EXTERNAL_ID_FIELD in summaries.get("Lead", {})
    connection.contact_external_id = EXTERNAL_ID_FIELD in summaries.get("Contact", {})


def _note_usage(connection: SalesforceConnection, client: SalesforceClient) -> None:
    if client.last_usage is not None:
        connection.api_used = client.last_usage.used
        connection.api_limit = client.last_usage.limit
        connection.api_checked_at = utcnow()


def _revoke_quietly(setup, http, account_id: int, login_url: str, token: str | None) -> bool:
    """Revoke now; when that fails, keep the token for a later retry. True when revoked."""
    if not token:
        return True
    try:
        oauth.revoke(http, login_url, token)
        return True
    except SalesforceError as error:
        db.session.add(
            PendingRevocation(
                account_id=account_id,
                login_url=login_url,
                token_enc=setup.cipher.encrypt(account_id, REFRESH_TOKEN, token),
                last_error=str(error.message)[:255],
                next_attempt_at=utcnow() + REVOKE_BACKOFF[0],
            )
        )
        return False


def disconnect(setup: SalesforceSetup, connection: SalesforceConnection) -> bool:
    """Revoke at the login host used to connect and delete the tokens locally either way.

    Returns False when the revoke failed (it is retried later)."""
    token = setup.cipher.decrypt(connection.account_id, REFRESH_TOKEN, connection.refresh_token_enc)
    http = setup.new_http()
    try:
        revoked = _revoke_quietly(setup, http, connection.account_id, connection.login_url, token)
    finally:
        http.close()
    db.session.execute(
        sa.delete(OrgDescribe).where(OrgDescribe.account_id == connection.account_id)
    )
    db.session.delete(connection)
    return revoked


def retry_pending_revocations(setup: SalesforceSetup, limit: int = 50) -> int:
    """Try the revocations that are due; returns how many are settled."""
    due = db.session.scalars(
        sa.select(PendingRevocation)
        .where(PendingRevocation.next_attempt_at <= utcnow())
        .order_by(PendingRevocation.id)
        .limit(limit)
    ).all()
    settled = 0
    http = setup.new_http()
    try:
        for pending in due:
            token = setup.cipher.decrypt(pending.account_id, REFRESH_TOKEN, pending.token_enc)
            try:
                oauth.revoke(http, pending.login_url, token)
            except TokenError:
                pass  # Salesforce says the token is already invalid: nothing left to revoke
            except SalesforceError as error:
                pending.attempts += 1
                pending.last_error = str(error.message)[:255]
                pending.next_attempt_at = (
                    utcnow() + REVOKE_BACKOFF[min(pending.attempts - 1, len(REVOKE_BACKOFF) - 1)]
                )
                continue
            db.session.delete(pending)
            settled += 1
    finally:
        http.close()
    return settled
