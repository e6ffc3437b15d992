"""API-call counting and the request limits of the data API (salesforce-api.md §5).

* Every authenticated ``/services/data/vXX.X/…`` request counts 1 (failed ones too; each
  ``nextRecordsUrl`` page, Composite and Collections requests count 1 as a whole).
* When the daily allocation is spent: 403 ``TotalRequests Limit exceeded.`` (not counted).
* Concurrent long-running requests: an org allows ``concurrent_long_requests_max`` requests
  older than ``long_request_seconds`` at once (org settings; 25 and 20 s like production,
  5 for Developer Edition). Tracked per process (the in-flight table is in memory).
* Request line + headers over 16,384 bytes: 414 (URI alone) or 431.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from .store import ApiUsage
from .store import Store

MAX_REQUEST_HEAD_BYTES = 16_384
DAILY_LIMIT_MESSAGE = "TotalRequests Limit exceeded."
# [S] the message clients report for the concurrent long-running request limit.
CONCURRENT_LIMIT_MESSAGE = "ConcurrentPerOrgLongTxn Limit exceeded."
_ID_SEGMENT = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_LOCATOR_SEGMENT = re.compile(r"^01g[a-zA-Z0-9]{12,15}-\d+$")


def head_size(environ: dict[str, Any]) -> tuple[int, int]:
    """(bytes of the request URI, bytes of request line + headers) as sent on the wire."""
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not uri:
        uri = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            uri += "?" + environ["QUERY_STRING"]
    uri_bytes = len(uri.encode("latin-1", "replace"))
    line = (
        len(environ.get("REQUEST_METHOD", "GET"))
        + 1
        + uri_bytes
        + 1
        + len(environ.get("SERVER_PROTOCOL", "HTTP/1.1"))
        + 2
    )
    headers = 0
    for key, value in environ.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key[5:] if key.startswith("HTTP_") else key
            headers += len(name) + 2 + len(str(value).encode("latin-1", "replace")) + 2
    return uri_bytes, line + headers + 2


def endpoint_name(parts: list[str]) -> str:
    """Path after the version with ids and query locators generalised: ``sobjects/Lead/{id}``."""
    named = []
    for part in parts:
        if _LOCATOR_SEGMENT.match(part):
            named.append("{locator}")
        elif (
            _ID_SEGMENT.match(part)
            and any(ch.isdigit() for ch in part)
            and len(named) >= 2
            and named[0] == "sobjects"
        ):
            named.append("{id}")
        else:
            named.append(part)
    return "/".join(named) or "(root)"


def count_call(store: Store, org_id: str, method: str, endpoint: str) -> ApiUsage | None:
    """Count one call unless the daily allocation is spent (then None); one transaction."""
    now = store.now()
    with store.transaction() as conn:
        row = conn.execute("SELECT api_used, api_max FROM orgs WHERE id = ?", (org_id,)).fetchone()
        if row["api_used"] >= row["api_max"]:
            return None
        conn.execute(
            "INSERT INTO api_calls (org_id, method, endpoint, count, last_at) "
            "VALUES (?, ?, ?, 1, ?) ON CONFLICT (org_id, method, endpoint) "
            "DO UPDATE SET count = count + 1, last_at = excluded.last_at",
            (org_id, method.upper(), endpoint, now),
        )
        conn.execute("UPDATE orgs SET api_used = api_used + 1 WHERE id = ?", (org_id,))
    return ApiUsage(used=row["api_used"] + 1, max=row["api_max"])


def limit_header(usage: ApiUsage) -> str:
    return f"api-usage={usage.used}/{usage.max}"


@dataclass
class InFlight:
    """Data-API requests being served by this process, per org (for the concurrency limit)."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _started: dict[int, tuple[str, float]] = field(default_factory=dict)
    _next: int = 0

    def enter(self, org_id: str) -> int:
        with self._lock:
            self._next += 1
            self._started[self._next] = (org_id, time.monotonic())
            return self._next

    def leave(self, ticket: int) -> None:
        with self._lock:
            self._started.pop(ticket, None)

    def long_running(self, org_id: str, older_than: float, exclude: int) -> int:
        cutoff = time.monotonic() - older_than
        with self._lock:
            return sum(
                1
                for ticket, (org, started) in self._started.items()
                if org == org_id and ticket != exclude and started <= cutoff
            )


def concurrency_settings(org: dict[str, Any]) -> tuple[int, float]:
    settings = org["settings"]
    developer = "developer" in str(settings.get("edition", "")).lower()
    return (
        int(settings.get("concurrent_long_requests_max", 5 if developer else 25)),
        float(settings.get("long_request_seconds", 20)),
    )
