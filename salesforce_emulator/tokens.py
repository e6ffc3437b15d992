"""OAuth grants and token bookkeeping (no HTTP here; oauth.py turns results into responses).

Tokens are stored only as SHA-256 hashes. A refresh token belongs to a *family*: the tokens
descending from one authorization (code grant), so rotation-reuse detection and revocation can
take down everything that authorization produced.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from . import orgs
from .store import Store
from .store import app_from_row

EXPIRED_TOKEN = "expired access/refresh token"
AUTH_FAILURE = "authentication failure"


class OAuthError(Exception):
    """An error the token/revoke endpoints answer as HTTP 400 {"error", "error_description"}."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Grant:
    org_id: str
    user_id: str
    client_id: str
    client_secret: str
    scope: str
    host_kind: str
    access_token: str
    refresh_token: str | None
    issued_at_ms: int


@dataclass(frozen=True)
class AccessContext:
    """Who a valid access token speaks for."""

    org_id: str
    user_id: str
    client_id: str
    scope: str
    host_kind: str
    token_hash: str

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_access_token(org_id: str) -> str:
    # Real access tokens are "<15-char org id>!<opaque>"; clients must treat them as opaque.
    return org_id[:15] + "!AQ" + secrets.token_urlsafe(72).replace("-", ".")


def new_refresh_token() -> str:
    return "5Aep861" + secrets.token_urlsafe(60).replace("-", ".")


def new_code() -> str:
    # Real codes are standard base64 ending in "==", so clients must URL-decode them properly.
    return "aPrx" + base64.b64encode(os.urandom(31)).decode()


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_signature(client_secret: str, identity_url: str, issued_at_ms: int) -> str:
    message = (identity_url + str(issued_at_ms)).encode()
    return base64.b64encode(hmac.new(client_secret.encode(), message, "sha256").digest()).decode()


def host_allows_org(host_kind: str, org_kind: str) -> bool:
    """Production orgs log in at the production host, sandboxes at the sandbox host; the
    instance (My Domain) host serves both."""
    return host_kind == "instance" or host_kind == org_kind


# ---- client authentication ------------------------------------------------------------------


def load_app(conn: sqlite3.Connection, client_id: str | None) -> dict[str, Any]:
    row = None
    if client_id:
        row = conn.execute(
            "SELECT * FROM connected_apps WHERE client_id = ?", (client_id,)
        ).fetchone()
    if row is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    return app_from_row(row)


def check_secret(app: dict[str, Any], secret: str | None, required: bool) -> None:
    if secret is None or secret == "":
        if required:
            raise OAuthError("invalid_client", "invalid client credentials")
        return
    if not hmac.compare_digest(secret.encode(), app["client_secret"].encode()):
        raise OAuthError("invalid_client", "invalid client credentials")


def load_user(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    user = Store.get_record_in(conn, None, user_id)
    if user is None:
        raise OAuthError("invalid_grant", AUTH_FAILURE)
    return user


# ---- grants ---------------------------------------------------------------------------------


def _redeem(redeem, store: Store, form: dict[str, str], host_kind: str) -> Grant:
    with store.transaction() as conn:
        outcome = redeem(store, conn, form, host_kind)
    # Failures after a code or token was consumed are returned, not raised, so that their
    # writes (code marked used, replay or family revocation) commit.
    if isinstance(outcome, OAuthError):
        raise outcome
    return outcome


def exchange_code(store: Store, form: dict[str, str], host_kind: str) -> Grant:
    return _redeem(redeem_code, store, form, host_kind)


def redeem_code(
    store: Store, conn: sqlite3.Connection, form: dict[str, str], host_kind: str
) -> Grant | OAuthError:
    app = load_app(conn, form.get("client_id"))
    check_secret(app, form.get("client_secret"), app["settings"]["require_secret"])
    code = form.get("code") or ""
    code_hash = hash_token(code)
    row = conn.execute("SELECT * FROM auth_codes WHERE code_hash = ?", (code_hash,)).fetchone()
    if row is None or row["client_id"] != app["client_id"]:
        raise OAuthError("invalid_grant", "invalid authorization code")
    if row["used_at"] is not None:
        # A replayed code: revoke whatever the first redemption produced (RFC 6749 §4.1.2).
        revoke_where(conn, store.now(), "code_hash = ?", (code_hash,))
        return OAuthError("invalid_grant", "invalid authorization code")
    now = store.now()
    conn.execute("UPDATE auth_codes SET used_at = ? WHERE code_hash = ?", (now, code_hash))
    org = store.org_in(conn, row["org_id"])
    if now - row["created_at"] > org["settings"]["code_ttl_seconds"]:
        return OAuthError("invalid_grant", "expired authorization code")
    if row["host_kind"] != host_kind:
        return OAuthError("invalid_grant", "invalid authorization code")
    if form.get("redirect_uri") != row["redirect_uri"]:
        return OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
    if row["code_challenge"]:
        verifier = form.get("code_verifier")
        if not verifier:
            return OAuthError("invalid_grant", "invalid code verifier")
        if not hmac.compare_digest(pkce_challenge(verifier), row["code_challenge"]):
            return OAuthError("invalid_request", "invalid code verifier")
    scope = row["scope"]
    wants_refresh = bool({"refresh_token", "offline_access"} & set(scope.split()))
    return issue(
        store,
        conn,
        app,
        row["org_id"],
        row["user_id"],
        scope,
        host_kind,
        family_id=hash_token(code + "#family"),
        code_hash=code_hash,
        with_refresh=wants_refresh,
    )


def refresh(store: Store, form: dict[str, str], host_kind: str) -> Grant:
    return _redeem(redeem_refresh_token, store, form, host_kind)


def redeem_refresh_token(
    store: Store, conn: sqlite3.Connection, form: dict[str, str], host_kind: str
) -> Grant | OAuthError:
    app = load_app(conn, form.get("client_id"))
    check_secret(app, form.get("client_secret"), app["settings"]["require_secret_for_refresh"])
    presented = form.get("refresh_token") or ""
    row = conn.execute(
        "SELECT * FROM refresh_tokens WHERE token_hash = ?", (hash_token(presented),)
    ).fetchone()
    if row is None or row["client_id"] != app["client_id"] or row["revoked_at"] is not None:
        raise OAuthError("invalid_grant", EXPIRED_TOKEN)
    now = store.now()
    if row["rotated_at"] is not None:
        # Reuse of a rotated-out refresh token: assume theft, revoke the whole family.
        revoke_where(conn, now, "family_id = ?", (row["family_id"],))
        return OAuthError("invalid_grant", EXPIRED_TOKEN)
    if not (row["host_kind"] == host_kind or host_kind == "instance"):
        # Tokens from test.salesforce.com are unknown to login.salesforce.com and vice versa.
        raise OAuthError("invalid_grant", EXPIRED_TOKEN)
    user = load_user(conn, row["user_id"])
    if not user["IsActive"]:
        raise OAuthError("invalid_grant", "inactive user")
    rotate = app["settings"]["rotate_refresh_tokens"]
    if rotate:
        conn.execute(
            "UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?",
            (now, row["token_hash"]),
        )
    grant = issue(
        store,
        conn,
        app,
        row["org_id"],
        row["user_id"],
        row["scope"],
        row["host_kind"],
        family_id=row["family_id"],
        code_hash=row["code_hash"],
        with_refresh=rotate,
    )
    # The response's host is where the token family lives, not where it was refreshed.
    return grant


def password_grant(store: Store, form: dict[str, str], host_kind: str) -> Grant:
    with store.transaction() as conn:
        app = load_app(conn, form.get("client_id"))
        check_secret(app, form.get("client_secret"), True)
        if not app["settings"]["allow_password_grant"]:
            raise OAuthError("invalid_grant", "password grant type not supported")
        creds = conn.execute(
            "SELECT * FROM credentials WHERE username = ?", ((form.get("username") or "").strip(),)
        ).fetchone()
        if creds is None or not orgs.check_password(
            form.get("password") or "", creds["password_hash"]
        ):
            raise OAuthError("invalid_grant", AUTH_FAILURE)
        org = store.org_in(conn, creds["org_id"])
        if not host_allows_org(host_kind, org["kind"]):
            raise OAuthError("invalid_grant", AUTH_FAILURE)
        if not load_user(conn, creds["user_id"])["IsActive"]:
            raise OAuthError("invalid_grant", "inactive user")
        scope = " ".join(
            s for s in app["settings"]["scopes"] if s not in ("refresh_token", "offline_access")
        )
        return issue(
            store,
            conn,
            app,
            org["id"],
            creds["user_id"],
            scope,
            host_kind,
            family_id=None,
            code_hash=None,
            with_refresh=False,
        )


def client_credentials_grant(store: Store, form: dict[str, str], host_kind: str) -> Grant:
    with store.transaction() as conn:
        app = load_app(conn, form.get("client_id"))
        check_secret(app, form.get("client_secret"), True)
        if host_kind != "instance":
            # Salesforce only accepts this grant on the org's My Domain.
            raise OAuthError("invalid_grant", "request not supported on this domain")
        user_id = app["settings"].get("client_credentials_user_id")
        if not user_id:
            raise OAuthError("invalid_grant", "no client credentials user enabled")
        user = load_user(conn, user_id)
        if not user["IsActive"]:
            raise OAuthError("invalid_grant", "inactive user")
        scope = " ".join(
            s for s in app["settings"]["scopes"] if s not in ("refresh_token", "offline_access")
        )
        return issue(
            store,
            conn,
            app,
            user["_org_id"],
            user_id,
            scope,
            host_kind,
            family_id=None,
            code_hash=None,
            with_refresh=False,
        )


def issue(
    store: Store,
    conn: sqlite3.Connection,
    app: dict[str, Any],
    org_id: str,
    user_id: str,
    scope: str,
    host_kind: str,
    *,
    family_id: str | None,
    code_hash: str | None,
    with_refresh: bool,
) -> Grant:
    now = store.now()
    access = new_access_token(org_id)
    conn.execute(
        "INSERT INTO access_tokens (token_hash, family_id, client_id, org_id, user_id, scope, "
        "host_kind, code_hash, issued_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            hash_token(access),
            family_id,
            app["client_id"],
            org_id,
            user_id,
            scope,
            host_kind,
            code_hash,
            now,
            now,
        ),
    )
    refresh_token = None
    if with_refresh and family_id:
        refresh_token = new_refresh_token()
        conn.execute(
            "INSERT INTO refresh_tokens (token_hash, family_id, client_id, org_id, user_id, scope, "
            "host_kind, code_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hash_token(refresh_token),
                family_id,
                app["client_id"],
                org_id,
                user_id,
                scope,
                host_kind,
                code_hash,
                now,
            ),
        )
        enforce_refresh_token_cap(conn, now, app, user_id)
    return Grant(
        org_id=org_id,
        user_id=user_id,
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        scope=scope,
        host_kind=host_kind,
        access_token=access,
        refresh_token=refresh_token,
        issued_at_ms=int(now * 1000),
    )


def enforce_refresh_token_cap(
    conn: sqlite3.Connection, now: float, app: dict[str, Any], user_id: str
) -> None:
    """Salesforce keeps at most 5 refresh tokens per user and app; the oldest go silently."""
    cap = app["settings"]["max_refresh_tokens"]
    live = conn.execute(
        "SELECT family_id FROM refresh_tokens WHERE user_id = ? AND client_id = ? "
        "AND revoked_at IS NULL AND rotated_at IS NULL ORDER BY created_at, rowid",
        (user_id, app["client_id"]),
    ).fetchall()
    for row in live[: max(0, len(live) - cap)]:
        revoke_where(conn, now, "family_id = ?", (row["family_id"],))


def revoke_where(conn: sqlite3.Connection, now: float, where: str, params: tuple) -> None:
    for table in ("refresh_tokens", "access_tokens"):
        conn.execute(
            f"UPDATE {table} SET revoked_at = ? WHERE revoked_at IS NULL AND {where}",  # noqa: S608
            (now, *params),
        )


def revoke(store: Store, token: str) -> None:
    """Revoke an access token (just it) or a refresh token (its family, access tokens too)."""
    if not token:
        raise OAuthError("unsupported_token_type", "this token type is not supported")
    token_hash = hash_token(token)
    with store.transaction() as conn:
        now = store.now()
        row = conn.execute(
            "SELECT family_id FROM refresh_tokens WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        ).fetchone()
        if row is not None:
            revoke_where(conn, now, "family_id = ?", (row["family_id"],))
            return
        updated = conn.execute(
            "UPDATE access_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
            (now, token_hash),
        ).rowcount
    if not updated:
        raise OAuthError("invalid_token", "invalid token")


def revoke_org_tokens(store: Store, org_id: str, include_access_tokens: bool = True) -> int:
    """Like an admin revoking the app's OAuth tokens in Setup; returns refresh tokens revoked."""
    with store.transaction() as conn:
        now = store.now()
        count = conn.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE org_id = ? AND revoked_at IS NULL",
            (now, org_id),
        ).rowcount
        if include_access_tokens:
            conn.execute(
                "UPDATE access_tokens SET revoked_at = ? WHERE org_id = ? AND revoked_at IS NULL",
                (now, org_id),
            )
    return count


def validate_access_token(
    store: Store, token: str, max_age_seconds: float | None = None
) -> AccessContext | None:
    """The context of a live access token, or None. Expiry (session timeout, or an injected
    ``expire_access_tokens`` fault via max_age_seconds) revokes the token for good."""
    if not token:
        return None
    token_hash = hash_token(token)
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT * FROM access_tokens WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        now = store.now()
        org = store.org_in(conn, row["org_id"])
        idle_too_long = now - row["last_used_at"] > org["settings"]["session_timeout_seconds"]
        too_old = max_age_seconds is not None and now - row["issued_at"] >= max_age_seconds
        user = Store.get_record_in(conn, None, row["user_id"])
        if idle_too_long or too_old or user is None or not user["IsActive"]:
            conn.execute(
                "UPDATE access_tokens SET revoked_at = ? WHERE token_hash = ?", (now, token_hash)
            )
            return None
        if now - row["last_used_at"] > 30:  # sliding session window; avoid a write per call
            conn.execute(
                "UPDATE access_tokens SET last_used_at = ? WHERE token_hash = ?", (now, token_hash)
            )
    return AccessContext(
        org_id=row["org_id"],
        user_id=row["user_id"],
        client_id=row["client_id"],
        scope=row["scope"],
        host_kind=row["host_kind"],
        token_hash=token_hash,
    )


def token_stats(store: Store, org_id: str) -> dict[str, Any]:
    """For the control API: live token counts per user and app (the 5-token cap is visible)."""
    with store.reading() as conn:
        rows = conn.execute(
            "SELECT user_id, client_id, "
            "SUM(revoked_at IS NULL AND rotated_at IS NULL) AS live_refresh_tokens, "
            "COUNT(*) AS refresh_tokens_issued FROM refresh_tokens WHERE org_id = ? "
            "GROUP BY user_id, client_id",
            (org_id,),
        ).fetchall()
        access = conn.execute(
            "SELECT COUNT(*) FROM access_tokens WHERE org_id = ? AND revoked_at IS NULL", (org_id,)
        ).fetchone()[0]
    return {"refresh_tokens": [dict(row) for row in rows], "live_access_tokens": access}


def create_code(
    store: Store,
    *,
    client_id: str,
    org_id: str,
    user_id: str,
    redirect_uri: str,
    scope: str,
    code_challenge: str | None,
    host_kind: str,
) -> str:
    code = new_code()
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO auth_codes (code_hash, client_id, org_id, user_id, redirect_uri, scope, "
            "code_challenge, host_kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hash_token(code),
                client_id,
                org_id,
                user_id,
                redirect_uri,
                scope,
                code_challenge or None,
                host_kind,
                store.now(),
            ),
        )
    return code
