"""Fault injection: per-org rules matched against each request (outside ``/__emulator/``).

A rule: ``{"kind", "path" (glob, default "*") or "path_regex", "method"?, "probability"?,
"seed"?, "nth"?, "times"?, ...kind parameters}``.

* ``nth``: fire on the Nth matching call (1-based); with ``times`` fire on that many calls
  starting at the Nth (``nth`` without ``times`` fires once).
* ``probability`` (0..1) with ``seed``: each matching call draws from
  ``Random(f"{seed}:{rule_id}:{call number}")``, so a run is reproducible across processes.
* ``times`` alone: fire on the first ``times`` matching calls. No filter: fire on every call.

Kinds and their parameters: ``latency`` (``ms``), ``503``, ``unable_to_lock_row``,
``drop_connection``, ``timeout_after_commit`` (``hang_seconds``), ``expire_access_tokens``
(``seconds``: tokens issued longer ago than that are expired), ``revoke_refresh_tokens``,
``api_disabled``.

Deciding happens in a Flask ``before_request`` hook (short store transaction), sleeping happens
after it (never under the store lock), and the two socket-level faults are carried out by
``FaultActionMiddleware`` outside Flask, which raises ``ConnectionDropped``: the threaded server
closes the socket without a response; the in-process adapter turns it into a requests exception.
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import time
from typing import Any

from flask import Request
from flask import request

from . import auth
from . import responses
from . import tokens
from .state import emulator_state
from .store import Store

FAULT_KINDS = (
    "latency",
    "503",
    "unable_to_lock_row",
    "drop_connection",
    "timeout_after_commit",
    "expire_access_tokens",
    "revoke_refresh_tokens",
    "api_disabled",
)
FAULT_ACTION_KEY = "salesforce_emulator.fault_action"
CONTROL_PREFIX = "/__emulator"
RULE_KEYS = {"kind", "path", "path_regex", "method", "probability", "seed", "nth", "times"}


class ConnectionDropped(ConnectionError):
    """Raised out of the WSGI app: close the connection without sending a response."""


class ResponseLostAfterCommit(ConnectionDropped):
    """The work was done and committed; the client must see a read timeout."""

    def __init__(self, hang_seconds: float):
        super().__init__(f"response withheld for {hang_seconds}s after commit")
        self.hang_seconds = hang_seconds


# ---- rules in the store ---------------------------------------------------------------------


def validate_rule(data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("a fault rule is a JSON object")
    kind = str(data.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if data.get("path_regex"):
        try:
            re.compile(data["path_regex"])
        except re.error as exc:
            raise ValueError(f"bad path_regex: {exc}") from None
    probability = data.get("probability")
    if probability is not None and not 0 <= float(probability) <= 1:
        raise ValueError("probability must be between 0 and 1")
    for key in ("nth", "times"):
        if data.get(key) is not None and int(data[key]) < 1:
            raise ValueError(f"{key} must be >= 1")
    params = {key: value for key, value in data.items() if key not in RULE_KEYS}
    if kind == "latency":
        params["ms"] = float(params.get("ms", 1000))
    if kind == "timeout_after_commit" and "hang_seconds" in params:
        params["hang_seconds"] = float(params["hang_seconds"])
    if kind == "expire_access_tokens":
        params["seconds"] = float(params.get("seconds", 0))
    return {
        "kind": kind,
        "path": data.get("path") or (None if data.get("path_regex") else "*"),
        "path_regex": data.get("path_regex"),
        "method": data["method"].upper() if data.get("method") else None,
        "probability": None if probability is None else float(probability),
        "seed": None if data.get("seed") is None else str(data["seed"]),
        "nth": None if data.get("nth") is None else int(data["nth"]),
        "times": None if data.get("times") is None else int(data["times"]),
        "params": params,
    }


def add_rule(store: Store, org_id: str, data: dict[str, Any]) -> dict[str, Any]:
    rule = validate_rule(data)
    with store.transaction() as conn:
        org = store.org_in(conn, org_id)
        cursor = conn.execute(
            "INSERT INTO fault_rules (org_id, method, path, path_regex, kind, params, "
            "probability, seed, nth, times, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                org["id"],
                rule["method"],
                rule["path"],
                rule["path_regex"],
                rule["kind"],
                json.dumps(rule["params"]),
                rule["probability"],
                rule["seed"],
                rule["nth"],
                rule["times"],
                store.now(),
            ),
        )
        row = conn.execute("SELECT * FROM fault_rules WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return rule_from_row(row)


def list_rules(store: Store, org_id: str) -> list[dict[str, Any]]:
    with store.reading() as conn:
        rows = conn.execute(
            "SELECT * FROM fault_rules WHERE org_id = ? ORDER BY id", (org_id,)
        ).fetchall()
    return [rule_from_row(row) for row in rows]


def delete_rules(store: Store, org_id: str, rule_id: int | None = None) -> int:
    with store.transaction() as conn:
        if rule_id is None:
            return conn.execute("DELETE FROM fault_rules WHERE org_id = ?", (org_id,)).rowcount
        return conn.execute(
            "DELETE FROM fault_rules WHERE org_id = ? AND id = ?", (org_id, rule_id)
        ).rowcount


def rule_from_row(row) -> dict[str, Any]:
    rule = dict(row)
    rule["params"] = json.loads(rule["params"])
    return rule


def path_matches(rule: dict[str, Any], method: str, path: str) -> bool:
    if rule["method"] and rule["method"] != method.upper():
        return False
    if rule["path_regex"]:
        return re.search(rule["path_regex"], path) is not None
    return fnmatch.fnmatchcase(path, rule["path"] or "*")


def should_fire(rule: dict[str, Any], call_number: int) -> bool:
    """call_number: how many requests this rule has matched, this one included (1-based)."""
    nth, times = rule["nth"], rule["times"]
    if nth is not None:
        if call_number < nth or call_number >= nth + (times or 1):
            return False
    elif times is not None and rule["fired"] >= times:
        return False
    if rule["probability"] is not None:
        seed = rule["seed"] if rule["seed"] is not None else "0"
        draw = random.Random(f"{seed}:{rule['id']}:{call_number}").random()
        return draw < rule["probability"]
    return True


def fired_rules(store: Store, org_id: str, method: str, path: str) -> list[dict[str, Any]]:
    """Count this request against every matching rule; return the rules that fire."""
    fired = []
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT * FROM fault_rules WHERE org_id = ? ORDER BY id", (org_id,)
        ).fetchall()
        for row in rows:
            rule = rule_from_row(row)
            if not path_matches(rule, method, path):
                continue
            call_number = rule["matched"] + 1
            fires = should_fire(rule, call_number)
            conn.execute(
                "UPDATE fault_rules SET matched = matched + 1, fired = fired + ? WHERE id = ?",
                (1 if fires else 0, rule["id"]),
            )
            if fires:
                fired.append(rule)
    return fired


# ---- which org a request belongs to ---------------------------------------------------------


def resolve_org(store: Store, req: Request) -> str | None:
    """Best effort: bearer token, identity URL, or the OAuth form/query fields."""
    token = auth.bearer_token(req)
    lookups: list[tuple[str, str]] = []
    if token:
        lookups.append(
            ("SELECT org_id FROM access_tokens WHERE token_hash = ?", tokens.hash_token(token))
        )
    parts = req.path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "id":
        lookups.append(
            ("SELECT id AS org_id FROM orgs WHERE substr(id, 1, 15) = substr(?, 1, 15)", parts[1])
        )
    values = req.values if req.path.startswith("/services/oauth2/") else {}
    for field, sql in (
        ("refresh_token", "SELECT org_id FROM refresh_tokens WHERE token_hash = ?"),
        (
            "token",
            "SELECT org_id FROM refresh_tokens WHERE token_hash = ? "
            "UNION ALL SELECT org_id FROM access_tokens WHERE token_hash = ?",
        ),
        ("code", "SELECT org_id FROM auth_codes WHERE token_hash = ?"),
    ):
        if values.get(field):
            lookups.append(
                (
                    sql.replace("token_hash", "code_hash") if field == "code" else sql,
                    tokens.hash_token(values[field]),
                )
            )
    if values.get("username"):
        lookups.append(
            ("SELECT org_id FROM credentials WHERE username = ?", values["username"].strip())
        )
    if values.get("client_id"):
        lookups.append(
            ("SELECT org_id FROM connected_apps WHERE client_id = ?", values["client_id"])
        )
    if not lookups:
        return None
    with store.reading() as conn:
        for sql, value in lookups:
            params = (value,) * sql.count("?")
            row = conn.execute(sql, params).fetchone()
            if row is not None:
                return row["org_id"]
    return None


# ---- the hook and the middleware ------------------------------------------------------------


def is_data_api_path(path: str) -> bool:
    return re.match(r"^/services/data/v\d+\.\d+(/|$)", path) is not None


def api_disabled_response():
    return responses.sf_error(
        403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization."
    )


def apply_faults():
    """Flask before_request hook."""
    if request.path.startswith(CONTROL_PREFIX):
        return None
    state = emulator_state()
    store = state.store
    org_id = resolve_org(store, request)
    if org_id is None:
        return None
    org = store.get_org(org_id)
    if is_data_api_path(request.path) and not org["settings"].get("api_enabled", True):
        return api_disabled_response()
    rules = fired_rules(store, org_id, request.method, request.path)
    if not rules:
        return None
    delay_ms = 0.0
    terminal = None
    for rule in rules:
        kind = rule["kind"]
        if kind == "latency":
            delay_ms += rule["params"]["ms"]
        elif kind == "expire_access_tokens":
            request.environ[auth.MAX_TOKEN_AGE_KEY] = rule["params"]["seconds"]
        elif kind == "revoke_refresh_tokens":
            tokens.revoke_org_tokens(store, org_id)
        elif terminal is None:
            terminal = rule
    if delay_ms:
        time.sleep(delay_ms / 1000)  # the store lock is not held here
    if terminal is None:
        return None
    kind = terminal["kind"]
    if kind == "503":
        return responses.sf_error(
            503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, please try again later."
        )
    if kind == "unable_to_lock_row":
        return responses.sf_error(
            400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", []
        )
    if kind == "api_disabled":
        return api_disabled_response()
    if kind == "drop_connection":
        request.environ[FAULT_ACTION_KEY] = ("drop", 0.0)
        return responses.sf_json([], status=500)  # never sent: the middleware drops it
    if kind == "timeout_after_commit":
        hang = terminal["params"].get("hang_seconds", state.hang_seconds)
        request.environ[FAULT_ACTION_KEY] = ("lost_after_commit", float(hang))
    return None


class FaultActionMiddleware:
    """Carries out socket-level faults decided inside Flask (see module docstring)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        captured: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            captured["args"] = (status, headers, exc_info)
            return lambda data: None

        app_iter = self.app(environ, capture)
        action = environ.get(FAULT_ACTION_KEY)
        if action is None:
            start_response(*captured["args"])
            return app_iter
        try:
            for _chunk in app_iter:  # finish the work (the view already committed)
                pass
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        kind, hang_seconds = action
        if kind == "lost_after_commit":
            raise ResponseLostAfterCommit(hang_seconds)
        raise ConnectionDropped("connection dropped by fault rule")
