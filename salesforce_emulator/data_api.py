"""The REST data API blueprint: ``/services/data/`` and everything under ``/services/data/vXX.X/``.

Per request, in order: size of request line + headers (414/431), bearer token (401, not
counted), concurrent long-running requests, the daily allocation (403, not counted), count 1
call, then the operation in one short store transaction. Every answer after counting carries
``Sforce-Limit-Info``. Paths work with and without a trailing slash.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import g
from flask import request

from . import counting
from . import dispatch
from . import faults
from .auth import authenticate
from .org_schema import catalog_for
from .responses import sf_error
from .responses import sf_json
from .sobjects import DataSession
from .state import emulator_state

bp = Blueprint("data_api", __name__)
INFLIGHT_KEY = "salesforce_emulator.inflight"
ALL_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def in_flight(app=None) -> counting.InFlight:
    return (app or current_app).extensions[INFLIGHT_KEY]


@bp.record_once
def _setup(state) -> None:
    app = state.app
    app.extensions[INFLIGHT_KEY] = counting.InFlight()
    # First before_request hook, so time spent in injected latency counts as in flight.
    app.before_request_funcs.setdefault(None, []).insert(0, _enter_in_flight)
    app.teardown_request(_leave_in_flight)


def _enter_in_flight() -> None:
    if not faults.is_data_api_path(request.path):
        return
    org_id = faults.resolve_org(emulator_state().store, request)
    if org_id is not None:
        g.sf_inflight = (org_id, in_flight().enter(org_id))


def _leave_in_flight(_exc=None) -> None:
    ticket = g.pop("sf_inflight", None)
    if ticket is not None:
        in_flight().leave(ticket[1])


@bp.route("/services/data", methods=["GET"], strict_slashes=False)
def versions():
    """No authentication, not counted, no Sforce-Limit-Info (documented)."""
    return sf_json(dispatch.versions())


@bp.route("/services/data/<version>", methods=ALL_METHODS, strict_slashes=False)
@bp.route("/services/data/<version>/<path:rest>", methods=ALL_METHODS)
def data(version: str, rest: str = ""):
    if version == "latest":
        version = f"v{dispatch.LAST_VERSION}.0"
    match = dispatch.VERSION_RE.match(version)
    if match is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    too_big = _oversized_head()
    if too_big is not None:
        return too_big
    parts = [part for part in rest.split("/") if part]
    if parts and parts[0] not in dispatch.RESOURCES:
        # Unknown resource names are refused by routing, before authentication or counting.
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    context = authenticate(request)
    store = emulator_state().store
    org = store.get_org(context.org_id)
    refused = _concurrency_refusal(org)
    if refused is not None:
        return refused
    usage = counting.count_call(store, org["id"], request.method, counting.endpoint_name(parts))
    if usage is None:
        current = store.api_usage(org["id"])
        response = sf_error(403, "REQUEST_LIMIT_EXCEEDED", counting.DAILY_LIMIT_MESSAGE)
        response.headers["Sforce-Limit-Info"] = counting.limit_header(current)
        return response
    body, error = _json_body()
    if error is not None:
        result = dispatch.Result(400, [{"message": error, "errorCode": "JSON_PARSER_ERROR"}])
    else:
        result = _run(
            org,
            context.user_id,
            match.group(1),
            parts,
            body,
            {"max": usage.max, "used": usage.used},
        )
    response = to_response(result)
    response.headers["Sforce-Limit-Info"] = counting.limit_header(usage)
    return response


def _run(
    org: dict[str, Any],
    user_id: str,
    version: str,
    parts: list[str],
    body: Any,
    limits: dict[str, Any],
) -> dispatch.Result:
    state = emulator_state()
    headers = {name.lower(): value for name, value in request.headers.items()}
    with state.store.transaction() as conn:  # short: no sleeping, no network inside
        session = DataSession(
            state.store,
            conn,
            org,
            catalog_for(org),
            user_id,
            version,
            headers,
            instance_url=state.urls.instance_url,
        )
        return dispatch.run(session, request.method, parts, request.args.to_dict(), body, limits)


def _json_body() -> tuple[Any, str | None]:
    if request.method not in ("POST", "PATCH", "PUT"):
        return None, None
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "Invalid UTF-8 start byte"  # [U] wording
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, json_error_message(text, exc)


def json_error_message(text: str, exc: json.JSONDecodeError) -> str:
    """Salesforce's (Jackson's) wording, never Python's: the character and where it is [S]."""
    if exc.pos >= len(text):
        return (
            "Unexpected end-of-input: expected close marker for OBJECT "
            f"at [line:{exc.lineno}, column:{exc.colno}]"
        )
    char = text[exc.pos]
    return (
        f"Unexpected character ('{char}' (code {ord(char)})): expected a valid value "
        "(number, String, array, object, 'true', 'false' or 'null') "
        f"at [line:{exc.lineno}, column:{exc.colno}]"
    )


def _oversized_head() -> Response | None:
    uri_bytes, head_bytes = counting.head_size(request.environ)
    if uri_bytes > counting.MAX_REQUEST_HEAD_BYTES:
        return sf_error(414, "URI_TOO_LONG", "The request URI is longer than 16,384 bytes.")
    if head_bytes > counting.MAX_REQUEST_HEAD_BYTES:
        return sf_error(
            431,
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
            "The request line and headers are longer than 16,384 bytes.",
        )
    return None


def _concurrency_refusal(org: dict[str, Any]) -> Response | None:
    maximum, seconds = counting.concurrency_settings(org)
    ticket = g.get("sf_inflight")
    own = ticket[1] if ticket else -1
    if in_flight().long_running(org["id"], seconds, exclude=own) >= maximum:
        return sf_error(403, "REQUEST_LIMIT_EXCEEDED", counting.CONCURRENT_LIMIT_MESSAGE)
    return None


def to_response(result: dispatch.Result) -> Response:
    if result.raw is not None:
        response = Response(result.raw, status=result.status)
        response.headers["Content-Type"] = result.content_type or "application/octet-stream"
    elif result.status == 204 or (result.body is None and result.status < 300):
        response = Response(status=result.status)
        response.headers.pop("Content-Type", None)  # recorded: 204 without Content-Type
    else:
        response = sf_json(result.body, status=result.status)
    for name, value in result.headers.items():
        response.headers[name] = value
    return response
