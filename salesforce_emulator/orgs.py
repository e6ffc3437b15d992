"""Building orgs from a JSON spec (used by the demo seed and by the control API), reset and removal.

Spec shape (every key optional except ``name``)::

    {"name": "Acme", "kind": "production" | "sandbox", "my_domain": "acme",
     "users": [{"username": "a@acme.test", "email": "...", "first_name": "...",
                "last_name": "...", "profile": "System Administrator",
                "user_type": "Standard", "active": true, "password": "...", "ref": "admin"}],
     "connected_apps": [{"client_id": "...", "client_secret": "...", "name": "...",
                         "callback_urls": [...], "scopes": ["api", "refresh_token", ...],
                         "rotate_refresh_tokens": false, "require_secret": true,
                         "client_credentials_user": "a@acme.test"}],
     "limits": {"daily_api_requests_max": 15000, "daily_api_requests_used": 0},
     "settings": {"api_enabled": true, "session_timeout_seconds": 7200},
     "records": [{"ref": "lead1", "type": "Lead", "fields": {"OwnerId": "$ref:admin", ...}}]}

``"$ref:<name>"`` in a record field is replaced by the id of the user or record with that ref
(a user's ref defaults to its username).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from typing import Any

from . import ids
from .store import ORG_TABLES
from .store import Conflict
from .store import Store

DEFAULT_PASSWORD = "demo-sf-pass"
DEFAULT_SCOPES = ["api", "refresh_token", "offline_access", "id", "openid", "web", "full"]
DEFAULT_SETTINGS = {
    "api_enabled": True,
    # Salesforce's default session timeout (inactivity) is 2 hours.
    "session_timeout_seconds": 7200,
    "code_ttl_seconds": 900,
    "edition": "Developer Edition",
}
STANDARD_PROFILES = ("System Administrator", "Standard User")
REF_PREFIX = "$ref:"


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return f"{salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(hash_password(password, salt), stored)


def create_org(store: Store, spec: dict[str, Any]) -> dict[str, Any]:
    with store.transaction() as conn:
        row = conn.execute("SELECT COALESCE(MAX(serial), 0) + 1 AS serial FROM orgs").fetchone()
        serial = row["serial"]
        org_id = ids.make_id(ids.KEY_PREFIXES["Organization"], serial, 0)
        build_org(store, conn, org_id, serial, spec)
    return store.get_org(org_id)


def reset_org(store: Store, org_id: str) -> dict[str, Any]:
    """Back to the org's spec: same org id, same user/record ids, no tokens, rules or counters."""
    with store.transaction() as conn:
        org = store.org_in(conn, org_id)
        remove_org_rows(conn, org)
        build_org(store, conn, org["id"], org["serial"], org["spec"])
    return store.get_org(org["id"])


def delete_org(store: Store, org_id: str) -> None:
    with store.transaction() as conn:
        org = store.org_in(conn, org_id)
        remove_org_rows(conn, org)


def remove_org_rows(conn: sqlite3.Connection, org: dict[str, Any]) -> None:
    for table in ORG_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE org_id = ?", (org["id"],))  # noqa: S608
    conn.execute("DELETE FROM id_counters WHERE org_serial = ?", (org["serial"],))
    conn.execute("DELETE FROM orgs WHERE id = ?", (org["id"],))


def build_org(
    store: Store, conn: sqlite3.Connection, org_id: str, serial: int, spec: dict[str, Any]
) -> None:
    if not spec.get("name"):
        raise ValueError("an org spec needs a name")
    kind = spec.get("kind", "production")
    if kind not in ("production", "sandbox"):
        raise ValueError("kind must be 'production' or 'sandbox'")
    limits = spec.get("limits", {})
    settings = {**DEFAULT_SETTINGS, **spec.get("settings", {})}
    conn.execute(
        "INSERT INTO orgs (id, serial, name, kind, my_domain, spec, settings, api_max, api_used, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            org_id,
            serial,
            spec["name"],
            kind,
            spec.get("my_domain"),
            json.dumps(spec),
            json.dumps(settings),
            int(limits.get("daily_api_requests_max", 15000)),
            int(limits.get("daily_api_requests_used", 0)),
            store.now(),
        ),
    )
    refs: dict[str, str] = {}
    profiles = create_profiles(store, conn, org_id, spec)
    for user in spec.get("users") or [default_admin(spec)]:
        user_id = create_user(store, conn, org_id, user, profiles)
        refs[user.get("ref") or user["username"]] = user_id
        refs.setdefault(user["username"], user_id)
    for app in spec.get("connected_apps", []):
        create_connected_app(conn, org_id, app, refs)
    for record in spec.get("records", []):
        fields = {key: resolve_refs(value, refs) for key, value in record["fields"].items()}
        stored = store.insert_record_in(conn, org_id, record["type"], fields)
        if record.get("ref"):
            refs[record["ref"]] = stored["Id"]


def default_admin(spec: dict[str, Any]) -> dict[str, Any]:
    slug = "".join(ch for ch in spec["name"].lower() if ch.isalnum()) or "org"
    return {
        "username": f"admin@{slug}.test",
        "first_name": "Org",
        "last_name": "Admin",
        "profile": "System Administrator",
    }


def create_profiles(
    store: Store, conn: sqlite3.Connection, org_id: str, spec: dict[str, Any]
) -> dict[str, str]:
    names = list(STANDARD_PROFILES)
    for user in spec.get("users", []):
        if user.get("profile") and user["profile"] not in names:
            names.append(user["profile"])
    return {
        name: store.insert_record_in(conn, org_id, "Profile", {"Name": name})["Id"]
        for name in names
    }


def create_user(
    store: Store,
    conn: sqlite3.Connection,
    org_id: str,
    user: dict[str, Any],
    profiles: dict[str, str],
) -> str:
    username = user["username"]
    taken = conn.execute("SELECT 1 FROM credentials WHERE username = ?", (username,)).fetchone()
    if taken:
        raise Conflict(f"username {username} is taken (usernames are unique across orgs)")
    first = user.get("first_name", "")
    last = user.get("last_name") or username.split("@")[0]
    profile = user.get("profile", "Standard User")
    fields = {
        "Username": username,
        "Email": user.get("email", username),
        "FirstName": first,
        "LastName": last,
        "Name": f"{first} {last}".strip(),
        "Alias": (first[:1] + last)[:8].lower(),
        "CommunityNickname": username.split("@")[0],
        "IsActive": bool(user.get("active", True)),
        "UserType": user.get("user_type", "Standard"),
        "ProfileId": profiles[profile],
        "Title": user.get("title"),
        "TimeZoneSidKey": user.get("time_zone", "Europe/Berlin"),
        "LocaleSidKey": user.get("locale", "en_US"),
        "LanguageLocaleKey": user.get("language", "en_US"),
    }
    record = store.insert_record_in(conn, org_id, "User", fields)
    conn.execute(
        "INSERT INTO credentials (user_id, org_id, username, password_hash) VALUES (?, ?, ?, ?)",
        (record["Id"], org_id, username, hash_password(user.get("password", DEFAULT_PASSWORD))),
    )
    return record["Id"]


def create_connected_app(
    conn: sqlite3.Connection, org_id: str, app: dict[str, Any], refs: dict[str, str]
) -> None:
    client_id = app["client_id"]
    if conn.execute("SELECT 1 FROM connected_apps WHERE client_id = ?", (client_id,)).fetchone():
        raise Conflict(f"client id {client_id} is taken")
    run_as = app.get("client_credentials_user")
    settings = {
        "callback_urls": list(app.get("callback_urls", [])),
        "scopes": list(app.get("scopes", DEFAULT_SCOPES)),
        "rotate_refresh_tokens": bool(app.get("rotate_refresh_tokens", False)),
        "require_secret": bool(app.get("require_secret", True)),
        "require_secret_for_refresh": bool(app.get("require_secret_for_refresh", False)),
        "allow_password_grant": bool(app.get("allow_password_grant", True)),
        "max_refresh_tokens": int(app.get("max_refresh_tokens", 5)),
        "client_credentials_user_id": refs.get(run_as) if run_as else None,
    }
    conn.execute(
        "INSERT INTO connected_apps (client_id, org_id, name, client_secret, settings) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            client_id,
            org_id,
            app.get("name", "Connected App"),
            app.get("client_secret") or secrets.token_hex(32),
            json.dumps(settings),
        ),
    )


def resolve_refs(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith(REF_PREFIX):
        name = value[len(REF_PREFIX) :]
        if name not in refs:
            raise ValueError(f"unknown ref {name!r}")
        return refs[name]
    return value
