"""The emulator's state: orgs, users, connected apps, records, tokens, fault rules, API-call counters.

One SQLite database. ``db_path=None`` keeps it in memory (one process); a file path lets the web
app, worker processes and tests share one set of orgs (WAL journal, busy timeout).

Concurrency: one connection per Store, guarded by one lock. Every transaction is short and
nothing ever sleeps while holding the lock (injected latency happens outside, in faults.py).
Across processes SQLite's own file locking serialises writers (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import ids

SCHEMA = """
CREATE TABLE IF NOT EXISTS orgs (
    id TEXT PRIMARY KEY,
    serial INTEGER UNIQUE NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('production', 'sandbox')),
    my_domain TEXT,
    spec TEXT NOT NULL,
    settings TEXT NOT NULL,
    api_max INTEGER NOT NULL,
    api_used INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS id_counters (
    org_serial INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    next_value INTEGER NOT NULL,
    PRIMARY KEY (org_serial, prefix)
);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    sobject TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at REAL NOT NULL,
    modified_at REAL NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS records_by_org_type ON records (org_id, sobject);
CREATE TABLE IF NOT EXISTS credentials (
    user_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS connected_apps (
    client_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS auth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    host_kind TEXT NOT NULL,
    created_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    host_kind TEXT NOT NULL,
    code_hash TEXT,
    created_at REAL NOT NULL,
    rotated_at REAL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS refresh_by_user_app ON refresh_tokens (user_id, client_id);
CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT,
    client_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    host_kind TEXT NOT NULL,
    code_hash TEXT,
    issued_at REAL NOT NULL,
    last_used_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS access_by_family ON access_tokens (family_id);
CREATE TABLE IF NOT EXISTS browser_sessions (
    sid_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    host_kind TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS fault_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL,
    method TEXT,
    path TEXT,
    path_regex TEXT,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    probability REAL,
    seed TEXT,
    nth INTEGER,
    times INTEGER,
    matched INTEGER NOT NULL DEFAULT 0,
    fired INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS query_cursor_pages (
    org_id TEXT NOT NULL,
    locator TEXT NOT NULL,
    start INTEGER NOT NULL,
    total INTEGER NOT NULL,
    records TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (locator, start)
);
CREATE TABLE IF NOT EXISTS api_calls (
    org_id TEXT NOT NULL,
    method TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    count INTEGER NOT NULL,
    last_at REAL NOT NULL,
    PRIMARY KEY (org_id, method, endpoint)
);
"""

# Tables holding per-org state, deleted when an org is reset or removed.
ORG_TABLES = (
    "records",
    "credentials",
    "connected_apps",
    "auth_codes",
    "refresh_tokens",
    "access_tokens",
    "browser_sessions",
    "fault_rules",
    "api_calls",
    "query_cursor_pages",
)

SF_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def sf_datetime(epoch_seconds: float) -> str:
    """Salesforce's record timestamp format: 2013-05-20T20:49:32.000+0000."""
    millis = int(round(epoch_seconds * 1000)) % 1000
    return time.strftime(SF_DATETIME_FORMAT, time.gmtime(epoch_seconds)) + f".{millis:03d}+0000"


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    pass


@dataclass(frozen=True)
class ApiUsage:
    used: int
    max: int


class Store:
    def __init__(self, db_path: str | None = None, clock=time.time):
        self.db_path = db_path
        self.clock = clock
        self._lock = threading.Lock()
        if db_path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            conn = sqlite3.connect(
                db_path, check_same_thread=False, isolation_level=None, timeout=15
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=15000")
        conn.row_factory = sqlite3.Row
        self._conn = conn
        with self._lock:
            conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction. Never nest, never sleep inside."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def now(self) -> float:
        return self.clock()

    # ---- ids --------------------------------------------------------------------------------

    @staticmethod
    def next_id(conn: sqlite3.Connection, org_serial: int, prefix: str) -> str:
        row = conn.execute(
            "SELECT next_value FROM id_counters WHERE org_serial = ? AND prefix = ?",
            (org_serial, prefix),
        ).fetchone()
        value = row["next_value"] if row else 1
        conn.execute(
            "INSERT INTO id_counters (org_serial, prefix, next_value) VALUES (?, ?, ?) "
            "ON CONFLICT (org_serial, prefix) DO UPDATE SET next_value = excluded.next_value",
            (org_serial, prefix, value + 1),
        )
        return ids.make_id(prefix, org_serial, value)

    # ---- orgs -------------------------------------------------------------------------------

    def list_orgs(self) -> list[dict[str, Any]]:
        with self.reading() as conn:
            rows = conn.execute("SELECT * FROM orgs ORDER BY serial").fetchall()
        return [org_from_row(row) for row in rows]

    def get_org(self, org_id: str) -> dict[str, Any]:
        with self.reading() as conn:
            return self.org_in(conn, org_id)

    @staticmethod
    def org_in(conn: sqlite3.Connection, org_id: str) -> dict[str, Any]:
        if ids.is_wellformed(org_id):
            org_id = ids.to_18(org_id)
        row = conn.execute("SELECT * FROM orgs WHERE id = ?", (org_id,)).fetchone()
        if row is None:
            raise NotFound(f"no org {org_id}")
        return org_from_row(row)

    def update_org_settings(self, org_id: str, **changes: Any) -> dict[str, Any]:
        with self.transaction() as conn:
            org = self.org_in(conn, org_id)
            settings = {**org["settings"], **changes}
            conn.execute(
                "UPDATE orgs SET settings = ? WHERE id = ?", (json.dumps(settings), org["id"])
            )
            return self.org_in(conn, org["id"])

    # ---- users ------------------------------------------------------------------------------

    def find_credentials(self, username: str) -> dict[str, Any] | None:
        with self.reading() as conn:
            row = conn.execute(
                "SELECT * FROM credentials WHERE username = ?", (username.strip(),)
            ).fetchone()
        return dict(row) if row else None

    def list_users(self, org_id: str) -> list[dict[str, Any]]:
        return self.list_records(org_id, "User")

    # ---- connected apps ---------------------------------------------------------------------

    def get_app(self, client_id: str) -> dict[str, Any] | None:
        with self.reading() as conn:
            row = conn.execute(
                "SELECT * FROM connected_apps WHERE client_id = ?", (client_id,)
            ).fetchone()
        return app_from_row(row) if row else None

    def list_apps(self, org_id: str | None = None) -> list[dict[str, Any]]:
        with self.reading() as conn:
            if org_id is None:
                rows = conn.execute("SELECT * FROM connected_apps ORDER BY rowid").fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM connected_apps WHERE org_id = ? ORDER BY rowid", (org_id,)
                ).fetchall()
        return [app_from_row(row) for row in rows]

    def update_app(self, client_id: str, **changes: Any) -> dict[str, Any]:
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM connected_apps WHERE client_id = ?", (client_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no connected app {client_id}")
            app = app_from_row(row)
            secret = changes.pop("client_secret", app["client_secret"])
            settings = {**app["settings"], **changes}
            conn.execute(
                "UPDATE connected_apps SET settings = ?, client_secret = ? WHERE client_id = ?",
                (json.dumps(settings), secret, client_id),
            )
            row = conn.execute(
                "SELECT * FROM connected_apps WHERE client_id = ?", (client_id,)
            ).fetchone()
            return app_from_row(row)

    def add_callback_urls(self, client_id: str, urls: list[str]) -> dict[str, Any]:
        app = self.get_app(client_id)
        if app is None:
            raise NotFound(f"no connected app {client_id}")
        merged = list(app["settings"]["callback_urls"])
        merged += [url for url in urls if url not in merged]
        return self.update_app(client_id, callback_urls=merged)

    # ---- records ----------------------------------------------------------------------------

    def insert_record(
        self, org_id: str, sobject: str, fields: dict[str, Any], record_id: str | None = None
    ) -> dict[str, Any]:
        with self.transaction() as conn:
            return self.insert_record_in(conn, org_id, sobject, fields, record_id)

    def insert_record_in(
        self,
        conn: sqlite3.Connection,
        org_id: str,
        sobject: str,
        fields: dict[str, Any],
        record_id: str | None = None,
    ) -> dict[str, Any]:
        """Insert inside a caller's transaction (issue 6's composite requests need that)."""
        org = self.org_in(conn, org_id)
        if record_id is None:
            record_id = self.next_id(conn, org["serial"], ids.key_prefix_for(sobject))
        now = self.now()
        stamp = sf_datetime(now)
        stored = {
            "Id": record_id,
            **{key: value for key, value in fields.items() if key != "Id"},
        }
        stored.setdefault("CreatedDate", stamp)
        stored.setdefault("LastModifiedDate", stamp)
        stored.setdefault("SystemModstamp", stamp)
        stored.setdefault("IsDeleted", False)
        conn.execute(
            "INSERT INTO records (id, org_id, sobject, fields, created_at, modified_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (record_id, org["id"], sobject, json.dumps(stored), now, now),
        )
        return stored

    def get_record(self, org_id: str | None, record_id: str) -> dict[str, Any] | None:
        """One record by 15- or 18-character id (any org when org_id is None); deleted ones too,
        with ``_deleted`` set so callers can answer ENTITY_IS_DELETED."""
        if not ids.is_wellformed(record_id):
            return None
        with self.reading() as conn:
            return self.get_record_in(conn, org_id, ids.to_18(record_id))

    @staticmethod
    def get_record_in(
        conn: sqlite3.Connection, org_id: str | None, record_id: str
    ) -> dict[str, Any] | None:
        sql = "SELECT * FROM records WHERE id = ?"
        params: tuple = (record_id,)
        if org_id is not None:
            sql += " AND org_id = ?"
            params += (org_id,)
        row = conn.execute(sql, params).fetchone()
        return record_from_row(row) if row else None

    def list_records(
        self, org_id: str, sobject: str | None = None, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        with self.reading() as conn:
            return self.list_records_in(conn, org_id, sobject, include_deleted)

    @staticmethod
    def list_records_in(
        conn: sqlite3.Connection,
        org_id: str,
        sobject: str | None = None,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        sql = "SELECT * FROM records WHERE org_id = ?"
        params: list[Any] = [org_id]
        if sobject is not None:
            sql += " AND sobject = ? COLLATE NOCASE"
            params.append(sobject)
        if not include_deleted:
            sql += " AND is_deleted = 0"
        rows = conn.execute(sql + " ORDER BY rowid", params).fetchall()
        return [record_from_row(row) for row in rows]

    @staticmethod
    def field_values_in(
        conn: sqlite3.Connection, org_id: str, sobject: str, field_name: str
    ) -> list[tuple[str, Any]]:
        """(id, value) of the live records of a type where the field is set; lets unique and
        external-id look-ups skip decoding every record."""
        path = '$."' + field_name.replace('"', "") + '"'
        rows = conn.execute(
            "SELECT id, json_extract(fields, ?) AS value FROM records WHERE org_id = ? "
            "AND sobject = ? COLLATE NOCASE AND is_deleted = 0 "
            "AND json_extract(fields, ?) IS NOT NULL ORDER BY rowid",
            (path, org_id, sobject, path),
        ).fetchall()
        return [(row["id"], row["value"]) for row in rows]

    def update_record(self, org_id: str, record_id: str, changes: dict[str, Any]) -> dict:
        with self.transaction() as conn:
            return self.update_record_in(conn, org_id, record_id, changes)

    def update_record_in(
        self, conn: sqlite3.Connection, org_id: str, record_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        record = self.get_record_in(conn, org_id, ids.to_18(record_id))
        if record is None or record["_deleted"]:
            raise NotFound(record_id)
        now = self.now()
        fields = {key: value for key, value in record.items() if not key.startswith("_")}
        fields.update({key: value for key, value in changes.items() if key != "Id"})
        fields["LastModifiedDate"] = fields["SystemModstamp"] = sf_datetime(now)
        conn.execute(
            "UPDATE records SET fields = ?, modified_at = ? WHERE id = ?",
            (json.dumps(fields), now, fields["Id"]),
        )
        return fields

    def delete_record(self, org_id: str, record_id: str) -> None:
        """Soft delete (Salesforce's recycle bin), so queryAll and ENTITY_IS_DELETED work."""
        with self.transaction() as conn:
            self.delete_record_in(conn, org_id, record_id)

    def delete_record_in(self, conn: sqlite3.Connection, org_id: str, record_id: str) -> None:
        record = self.get_record_in(conn, org_id, ids.to_18(record_id))
        if record is None or record["_deleted"]:
            raise NotFound(record_id)
        fields = {key: value for key, value in record.items() if not key.startswith("_")}
        fields["IsDeleted"] = True
        conn.execute(
            "UPDATE records SET is_deleted = 1, fields = ?, modified_at = ? WHERE id = ?",
            (json.dumps(fields), self.now(), fields["Id"]),
        )

    # ---- API-call counting and limits --------------------------------------------------------

    def record_api_call(self, org_id: str, method: str, endpoint: str) -> ApiUsage:
        """Count one API call against the org's daily limit; returns usage after counting."""
        now = self.now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO api_calls (org_id, method, endpoint, count, last_at) "
                "VALUES (?, ?, ?, 1, ?) ON CONFLICT (org_id, method, endpoint) "
                "DO UPDATE SET count = count + 1, last_at = excluded.last_at",
                (org_id, method.upper(), endpoint, now),
            )
            conn.execute("UPDATE orgs SET api_used = api_used + 1 WHERE id = ?", (org_id,))
            row = conn.execute(
                "SELECT api_used, api_max FROM orgs WHERE id = ?", (org_id,)
            ).fetchone()
        return ApiUsage(used=row["api_used"], max=row["api_max"])

    def api_usage(self, org_id: str) -> ApiUsage:
        org = self.get_org(org_id)
        return ApiUsage(used=org["api_used"], max=org["api_max"])

    def list_api_calls(self, org_id: str) -> list[dict[str, Any]]:
        with self.reading() as conn:
            rows = conn.execute(
                "SELECT method, endpoint, count FROM api_calls WHERE org_id = ? "
                "ORDER BY endpoint, method",
                (org_id,),
            ).fetchall()
        return [dict(row) for row in rows]

    def reset_api_calls(self, org_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM api_calls WHERE org_id = ?", (org_id,))

    def set_limits(self, org_id: str, api_max: int | None = None, api_used: int | None = None):
        with self.transaction() as conn:
            org = self.org_in(conn, org_id)
            conn.execute(
                "UPDATE orgs SET api_max = ?, api_used = ? WHERE id = ?",
                (
                    org["api_max"] if api_max is None else int(api_max),
                    org["api_used"] if api_used is None else int(api_used),
                    org["id"],
                ),
            )
        return self.api_usage(org["id"])


def org_from_row(row: sqlite3.Row) -> dict[str, Any]:
    org = dict(row)
    org["spec"] = json.loads(org["spec"])
    org["settings"] = json.loads(org["settings"])
    return org


def app_from_row(row: sqlite3.Row) -> dict[str, Any]:
    app = dict(row)
    app["settings"] = json.loads(app["settings"])
    return app


def record_from_row(row: sqlite3.Row) -> dict[str, Any]:
    record = json.loads(row["fields"])
    record["_type"] = row["sobject"]
    record["_org_id"] = row["org_id"]
    record["_deleted"] = bool(row["is_deleted"])
    return record
