"""Routing of one data-API operation to sobjects/composite code, framework-free.

``run`` is used for top-level HTTP requests (data_api.py) and for Composite subrequests
(composite.py), so both answer exactly alike. It returns a ``Result``; nothing is counted here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from . import ids
from .api_errors import ApiError
from .api_errors import not_found
from .sobjects import DataSession
from .sobjects import Saved
from .sobjects import upsert_key_field
from .soql import SoqlError

VERSION_RE = re.compile(r"^v(\d{2,3}\.\d)$")
RESOURCES = ("query", "queryAll", "sobjects", "limits", "composite")
FIRST_VERSION, LAST_VERSION = 31, 62


@dataclass
class Result:
    status: int
    body: Any = None  # JSON-able; None → empty body
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # binary bodies (blob fields)
    content_type: str | None = None


def version_label(major: int) -> str:
    """v31 = Summer '14, then Winter/Spring/Summer of each following year."""
    if major == 31:
        return "Summer '14"
    step = major - 32
    return f"{('Winter', 'Spring', 'Summer')[step % 3]} '{15 + step // 3}"


def versions() -> list[dict[str, str]]:
    return [
        {"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        for v in range(FIRST_VERSION, LAST_VERSION + 1)
    ]


def method_not_allowed(method: str, allowed: str) -> ApiError:
    return ApiError(
        405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}"
    )


def run(
    session: DataSession,
    method: str,
    parts: list[str],
    args: dict[str, str],
    body: Any,
    limits: dict[str, Any] | None = None,
) -> Result:
    """Answer one operation; ApiErrors become their REST error arrays."""
    try:
        return _route(session, method.upper(), parts, args, body, limits or {})
    except ApiError as error:
        return Result(error.status, error.rest_body())
    except SoqlError as error:
        return Result(400, error.to_json())


def _route(
    session: DataSession,
    method: str,
    parts: list[str],
    args: dict[str, str],
    body: Any,
    limits: dict[str, Any],
) -> Result:
    from . import composite

    version = session.api_version
    if not parts:
        if method != "GET":
            raise method_not_allowed(method, "GET,HEAD")
        base = f"/services/data/v{version}"
        return Result(
            200,
            {
                name: f"{base}/{name}"
                for name in (
                    "tooling",
                    "metadata",
                    "eclair",
                    "folders",
                    "prechatForms",
                    "jsonxform",
                    "chatter",
                    "tabs",
                    "appMenu",
                    "quickActions",
                    "queryAll",
                    "commerce",
                    "wave",
                    "search",
                    "identity",
                    "composite",
                    "parameterizedSearch",
                    "theme",
                    "nouns",
                    "event",
                    "serviceTemplates",
                    "recent",
                    "connect",
                    "licensing",
                    "limits",
                    "process",
                    "async-queries",
                    "query",
                    "match",
                    "emailConnect",
                    "compactLayouts",
                    "knowledgeManagement",
                    "sobjects",
                    "actions",
                    "support",
                )
            },
        )
    head, rest = parts[0], parts[1:]
    if head in ("query", "queryAll"):
        if method != "GET":
            raise method_not_allowed(method, "GET,HEAD")
        if rest:
            return Result(200, session.next_page(rest[0]))
        text = args.get("q")
        if not text:
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        return Result(200, session.query(text, include_deleted=head == "queryAll"))
    if head == "sobjects":
        return _sobjects(session, method, rest, args, body)
    if head == "limits" and not rest:
        if method != "GET":
            raise method_not_allowed(method, "GET,HEAD")
        return Result(200, limits_body(limits))
    if head == "composite":
        return composite.route(session, method, rest, args, body)
    raise not_found()


def _sobjects(
    session: DataSession, method: str, rest: list[str], args: dict[str, str], body: Any
) -> Result:
    if not rest:
        if method != "GET":
            raise method_not_allowed(method, "GET,HEAD")
        return Result(200, global_describe(session))
    schema = session.schema(rest[0])
    name = schema.name
    if len(rest) == 1:
        if method == "POST":
            record_id = session.create(name, body)
            return created(session, name, record_id)
        if method == "GET":
            return Result(200, {"objectDescribe": basic_describe(session, name), "recentItems": []})
        raise method_not_allowed(method, "GET,HEAD,POST")
    if len(rest) == 2 and rest[1] == "describe":
        if method != "GET":
            raise method_not_allowed(method, "GET,HEAD")
        return Result(200, schema.describe_json(session.api_version, session.instance_url))
    if len(rest) == 2 and rest[1].lower() == "id" and method == "POST":
        # REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID":
        # POST with Id as the key field inserts a record and answers like an upsert [D].
        saved = Saved(session.create(name, body), created=True)
        return upserted(session, name, saved)
    if len(rest) == 2:
        record_id = rest[1]
        if method == "GET":
            fields = [f for f in args.get("fields", "").split(",") if f.strip()] or None
            return Result(200, session.get(name, record_id, fields))
        if method == "PATCH":
            session.update(name, record_id, body)
            return Result(204)
        if method == "DELETE":
            session.delete(name, record_id)
            return Result(204)
        raise method_not_allowed(method, "GET,HEAD,PATCH,DELETE")
    if len(rest) == 3:
        entry = upsert_key_field(schema, rest[1])
        if entry is not None:
            return _by_external_id(session, method, name, entry["name"], rest[2], args, body)
        blob = schema.field(rest[2])
        if (
            method == "GET"
            and blob is not None
            and blob["type"] == "base64"
            and ids.is_wellformed(rest[1])
        ):
            data = session.blob(name, rest[1], blob["name"])
            return Result(200, raw=data, content_type="application/octetstream")
        if upsert_key_field(schema, rest[1]) is None and method == "PATCH":
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {rest[1]}",
                code_first=True,
            )
    raise not_found()


def _by_external_id(
    session: DataSession,
    method: str,
    sobject: str,
    field_name: str,
    value: str,
    args: dict[str, str],
    body: Any,
) -> Result:
    if method == "PATCH":
        outcome = session.upsert(sobject, field_name, value, body)
        if isinstance(outcome, list):
            return Result(300, outcome)
        return upserted(session, sobject, outcome)
    schema = session.schema(sobject)
    _, matches = session.find_by_external_id(schema, field_name, value)
    if len(matches) > 1:
        return Result(300, [session.url_for(sobject, match) for match in matches])
    if not matches:
        raise not_found()
    if method == "GET":
        fields = [f for f in args.get("fields", "").split(",") if f.strip()] or None
        return Result(200, session.get(sobject, matches[0], fields))
    if method == "DELETE":
        session.delete(sobject, matches[0])
        return Result(204)
    raise method_not_allowed(method, "GET,HEAD,PATCH,DELETE")


def created(session: DataSession, sobject: str, record_id: str) -> Result:
    return Result(
        201,
        {"id": record_id, "success": True, "errors": []},
        {"Location": session.url_for(sobject, record_id)},
    )


def upserted(session: DataSession, sobject: str, saved: Saved) -> Result:
    body = {"id": saved.record_id, "success": True, "errors": [], "created": saved.created}
    if saved.created:
        return Result(201, body, {"Location": session.url_for(sobject, saved.record_id)})
    # API 46.0 and later answer an update by external id with 200 and a body; older 204.
    if float(session.api_version) >= 46.0:
        return Result(200, body)
    return Result(204)


def basic_describe(session: DataSession, sobject: str) -> dict[str, Any]:
    describe = session.schema(sobject).describe_json(session.api_version, session.instance_url)
    keys = (
        "activateable",
        "createable",
        "custom",
        "customSetting",
        "deletable",
        "deprecatedAndHidden",
        "feedEnabled",
        "keyPrefix",
        "label",
        "labelPlural",
        "layoutable",
        "mergeable",
        "mruEnabled",
        "name",
        "queryable",
        "replicateable",
        "retrieveable",
        "searchable",
        "triggerable",
        "undeletable",
        "updateable",
        "urls",
    )
    return {key: describe.get(key) for key in keys}


def global_describe(session: DataSession) -> dict[str, Any]:
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [basic_describe(session, name) for name in session.catalog.all_object_names()],
    }


def limits_body(limits: dict[str, Any]) -> dict[str, Any]:
    daily_max = int(limits.get("max", 15000))
    used = int(limits.get("used", 0))

    def pair(maximum: int, remaining: int | None = None) -> dict[str, int]:
        return {"Max": maximum, "Remaining": maximum if remaining is None else remaining}

    return {
        "ConcurrentAsyncGetReportInstances": pair(200),
        "ConcurrentSyncReportRuns": pair(20),
        "DailyApiRequests": pair(daily_max, max(daily_max - used, 0)),
        "DailyAsyncApexExecutions": pair(250000),
        "DailyBulkApiBatches": pair(15000),
        "DailyBulkV2QueryFileStorageMB": pair(976562),
        "DailyBulkV2QueryJobs": pair(10000),
        "DataStorageMB": pair(5),
        "FileStorageMB": pair(20),
        "HourlyODataCallout": pair(20000),
        "MassEmail": pair(10),
        "SingleEmail": pair(15),
    }
