"""sObject Collections, Composite and Composite graph (salesforce-api.md §3.4, §3.5; recordings).

Each request is one store transaction; ``allOrNone`` rolls back with a savepoint. Results use
``statusCode`` inside Collections, subresponses keep the REST bodies (``errorCode``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

from . import rules
from .api_errors import ALL_OR_NONE_ROLLED_BACK
from .api_errors import ApiError
from .api_errors import json_parser_error
from .api_errors import not_found
from .dispatch import Result
from .dispatch import created
from .dispatch import method_not_allowed
from .dispatch import run
from .sobjects import DataSession
from .sobjects import Saved
from .sobjects import same_value_key
from .sobjects import upsert_key_field

MAX_COLLECTION_RECORDS = 200
MAX_SUBREQUESTS = 25
MAX_GRAPH_NODES = 500
MAX_QUERIES_AND_COLLECTIONS = 5
REFERENCE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")
REFERENCE_RE = re.compile(r"@\{([A-Za-z0-9_]+)\.([^}]+)\}")
SUBREQUEST_URL_RE = re.compile(r"^/services/data/v(\d{2,3}\.\d)(/[^?]*)?(?:\?(.*))?$")
FORBIDDEN_SUBREQUEST_HEADERS = {"accept", "authorization", "content-type"}
PROCESSING_HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same "
        "transaction failed.",
    }
]


class _Rollback(Exception):
    """Raised inside a savepoint to undo it after collecting results."""


def route(
    session: DataSession, method: str, rest: list[str], args: dict[str, str], body: Any
) -> Result:
    if not rest:
        if method != "POST":
            raise method_not_allowed(method, "POST")
        return composite(session, body)
    if rest[0] == "graph" and len(rest) == 1:
        if method != "POST":
            raise method_not_allowed(method, "POST")
        return graph(session, body)
    if rest[0] == "sobjects":
        if len(rest) == 1:
            if method == "POST":
                return collection_save(session, body, "insert")
            if method == "PATCH":
                return collection_save(session, body, "update")
            if method == "DELETE":
                return collection_delete(session, args)
            raise method_not_allowed(method, "DELETE,PATCH,POST")
        if len(rest) == 2 and method in ("GET", "POST"):
            return collection_retrieve(session, rest[1], args, body)
        if len(rest) == 3 and method == "PATCH":
            return collection_upsert(session, rest[1], rest[2], body)
    raise not_found()


# ---- sObject Collections ---------------------------------------------------------------------


def _records_of(body: Any) -> tuple[list, bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise json_parser_error(
            'Cannot deserialize the request body: expected {"allOrNone": ..., "records": [...]}'
        )
    records = body["records"]
    if len(records) > MAX_COLLECTION_RECORDS:
        # [U] code and wording for more than 200 records are not documented.
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than "
            f"{MAX_COLLECTION_RECORDS} records into this call",
        )
    return records, bool(body.get("allOrNone", False))


def _type_of(record: Any) -> str | None:
    if isinstance(record, dict) and isinstance(record.get("attributes"), dict):
        return record["attributes"].get("type")
    return None


def _fields_of(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "attributes"}


def _batch_trigger_failure(
    session: DataSession, types: list[str | None], operation: str
) -> ApiError | None:
    """A failing trigger on any object of the batch fails every record (whole DML batch)."""
    for sobject in types:
        if sobject:
            failure = rules.trigger_failure(session.customization, sobject, operation)
            if failure is not None:
                return failure
    return None


def _finish(
    session: DataSession, results: list[dict], all_or_none: bool, keep_ids: bool
) -> list[dict]:
    """With allOrNone and any failure: undo and report every other record rolled back."""
    if not all_or_none or all(result["success"] for result in results):
        return results
    rolled = []
    for result in results:
        if result["success"]:
            entry = {"id": result["id"]} if keep_ids and "id" in result else {}
            entry.update(success=False, errors=[dict(ALL_OR_NONE_ROLLED_BACK)])
            rolled.append(entry)
        else:
            rolled.append(result)
    raise _RolledBack(rolled)


class _RolledBack(Exception):
    def __init__(self, results: list[dict]):
        super().__init__("allOrNone rollback")
        self.results = results


def _in_savepoint(session: DataSession, work) -> list[dict]:
    try:
        with session.savepoint():
            return work()
    except _RolledBack as rolled:
        return rolled.results


def collection_save(session: DataSession, body: Any, operation: str) -> Result:
    records, all_or_none = _records_of(body)
    types = [_type_of(record) for record in records]
    failure = _batch_trigger_failure(session, types, operation)

    def work() -> list[dict]:
        results = []
        for record, sobject in zip(records, types, strict=True):
            record_id = None
            if isinstance(record, dict):
                record_id = record.get("id") or record.get("Id")
            try:
                if failure is not None:
                    raise failure
                if not sobject:
                    raise ApiError(400, "INVALID_TYPE", "Must send a concrete entity type.", [])
                with session.savepoint():
                    if operation == "insert":
                        if record_id:
                            raise ApiError(
                                400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"]
                            )
                        record_id = session.create(sobject, _fields_of(record))
                    else:
                        if not record_id:
                            raise ApiError(
                                400, "MISSING_ARGUMENT", "Id not specified in an update call", []
                            )
                        fields = {k: v for k, v in _fields_of(record).items() if k.lower() != "id"}
                        session.update(sobject, record_id, fields)
                results.append({"id": record_id, "success": True, "errors": []})
            except ApiError as error:
                result: dict[str, Any] = {"id": record_id} if operation == "update" else {}
                result.update(success=False, errors=[error.collection_error()])
                results.append(result)
        return _finish(session, results, all_or_none, keep_ids=operation == "update")

    return Result(200, _in_savepoint(session, work))


def collection_upsert(session: DataSession, sobject: str, field_name: str, body: Any) -> Result:
    schema = session.schema(sobject)
    entry = upsert_key_field(schema, field_name)
    if entry is None:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {field_name}",
            code_first=True,
        )
    records, all_or_none = _records_of(body)
    failure = _batch_trigger_failure(session, [schema.name], "insert") or _batch_trigger_failure(
        session, [schema.name], "update"
    )

    repeated = _repeated_keys(records, entry)

    def work() -> list[dict]:
        results = []
        for record in records:
            try:
                if failure is not None:
                    raise failure
                key = _key_of(record, entry)
                if key is not None and same_value_key(entry, key) in repeated:
                    # REST API Developer Guide, "Upsert Records Using sObject Collections":
                    # a key given twice fails every record that carries it [D].
                    raise ApiError(
                        400, "DUPLICATE_VALUE", f"Duplicate external id specified: {key}", []
                    )
                sobject_type = _type_of(record)
                if not sobject_type or sobject_type.lower() != schema.name.lower():
                    raise ApiError(400, "INVALID_TYPE", "Must send a concrete entity type.", [])
                fields = _fields_of(record)
                value = next(
                    (v for k, v in fields.items() if k.lower() == entry["name"].lower()), None
                )
                if value in (None, ""):
                    raise ApiError(400, "MISSING_ARGUMENT", f"{entry['name']} not specified", [])
                with session.savepoint():
                    outcome = session.upsert(schema.name, entry["name"], value, fields)
                if isinstance(outcome, list):
                    ids_text = ", ".join(url.rsplit("/", 1)[-1] for url in outcome)
                    raise ApiError(
                        300,
                        "DUPLICATE_EXTERNAL_ID",
                        f"{entry['label']}: more than "
                        f"one record found for external id field: [{ids_text}]",
                        [entry["name"]],
                    )
                assert isinstance(outcome, Saved)
                results.append(
                    {
                        "id": outcome.record_id,
                        "success": True,
                        "errors": [],
                        "created": outcome.created,
                    }
                )
            except ApiError as error:
                results.append({"success": False, "errors": [error.collection_error()]})
        return _finish(session, results, all_or_none, keep_ids=True)

    return Result(200, _in_savepoint(session, work))


def _key_of(record: Any, entry: dict) -> Any:
    if not isinstance(record, dict):
        return None
    value = next((v for k, v in record.items() if k.lower() == entry["name"].lower()), None)
    return None if value in (None, "") else value


def _repeated_keys(records: list, entry: dict) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for record in records:
        key = _key_of(record, entry)
        if key is None:
            continue
        normalized = same_value_key(entry, key)
        (repeated if normalized in seen else seen).add(normalized)
    return repeated


def collection_delete(session: DataSession, args: dict[str, str]) -> Result:
    record_ids = [i for i in args.get("ids", "").split(",") if i]
    if not record_ids:
        raise ApiError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(record_ids) > MAX_COLLECTION_RECORDS:
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than "
            f"{MAX_COLLECTION_RECORDS} records into this call",
        )
    all_or_none = args.get("allOrNone", "false").lower() == "true"

    def work() -> list[dict]:
        results = []
        for record_id in record_ids:
            try:
                sobject = session.catalog.object_for_id(record_id)
                if sobject is None:
                    raise ApiError(400, "MALFORMED_ID", f"malformed id {record_id}", [])
                with session.savepoint():
                    session.delete(sobject, record_id)
                results.append({"id": record_id, "success": True, "errors": []})
            except ApiError as error:
                results.append(
                    {"id": record_id, "success": False, "errors": [error.collection_error()]}
                )
        return _finish(session, results, all_or_none, keep_ids=True)

    return Result(200, _in_savepoint(session, work))


def collection_retrieve(
    session: DataSession, sobject: str, args: dict[str, str], body: Any
) -> Result:
    source = body if isinstance(body, dict) else args
    record_ids = source.get("ids", [])
    fields = source.get("fields", [])
    if isinstance(record_ids, str):
        record_ids = [i for i in record_ids.split(",") if i]
    if isinstance(fields, str):
        fields = [f for f in fields.split(",") if f]
    if not fields:
        raise ApiError(400, "MISSING_ARGUMENT", "fields parameter is required")
    schema = session.schema(sobject)
    records = []
    for record_id in record_ids:
        try:
            records.append(session.get(schema.name, record_id, fields))
        except ApiError as error:
            if error.status != 404:
                raise
            records.append(None)
    return Result(200, records)


# ---- Composite -------------------------------------------------------------------------------


class _BadReference(Exception):
    def __init__(self, expression: str, reference_id: str):
        # [U] the documented message continues after the first two sentences.
        super().__init__(
            f"Invalid reference specified. No value for {expression} found in {reference_id}. "
            f"Provided referenceId ('{reference_id}') might be invalid. Please verify that the "
            "referenceId is correct."
        )


def _lookup(results: dict[str, Result], reference_id: str, path: str) -> Any:
    expression = f"{reference_id}.{path}"
    result = results.get(reference_id)
    if result is None or result.status >= 300 or result.body is None:
        raise _BadReference(expression, reference_id)
    value: Any = result.body
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        try:
            value = value[int(step[1:-1])] if step.startswith("[") else value[step]
        except (KeyError, IndexError, TypeError, ValueError):
            raise _BadReference(expression, reference_id) from None
    if value is None:
        raise _BadReference(expression, reference_id)
    return value


def resolve_references(value: Any, results: dict[str, Result]) -> Any:
    """Replace ``@{ref.path}`` in strings (recursively); a lone reference keeps its JSON type."""
    if isinstance(value, dict):
        return {k: resolve_references(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, results) for v in value]
    if not isinstance(value, str) or "@{" not in value:
        return value
    whole = REFERENCE_RE.fullmatch(value)
    if whole:
        return _lookup(results, whole.group(1), whole.group(2))
    return REFERENCE_RE.sub(lambda m: str(_lookup(results, m.group(1), m.group(2))), value)


def _subresponse(result: Result, reference_id: str) -> dict[str, Any]:
    return {
        "body": result.body,
        "httpHeaders": dict(result.headers),
        "httpStatusCode": result.status,
        "referenceId": reference_id,
    }


def _is_query_or_collection(url: str) -> bool:
    match = SUBREQUEST_URL_RE.match(url.split("?")[0] if isinstance(url, str) else "")
    path = (match.group(2) or "") if match else ""
    return path.startswith(("/query", "/queryAll", "/composite/sobjects"))


def _validate_subrequests(
    requests: Any, limit_queries: bool = True, max_count: int = MAX_SUBREQUESTS
) -> None:
    if not isinstance(requests, list) or not requests:
        raise json_parser_error("compositeRequest must be a non-empty array")
    if len(requests) > max_count:
        # [U] exact code and wording not documented.
        raise ApiError(
            400,
            "LIMIT_EXCEEDED",
            f"Cannot have more than {max_count} subrequests. Received {len(requests)}.",
        )
    if (
        limit_queries
        and sum(
            1 for r in requests if isinstance(r, dict) and _is_query_or_collection(r.get("url", ""))
        )
        > MAX_QUERIES_AND_COLLECTIONS
    ):
        raise ApiError(
            400,
            "LIMIT_EXCEEDED",
            "A composite request may contain at most "
            f"{MAX_QUERIES_AND_COLLECTIONS} query or sObject Collections subrequests.",
        )
    seen = set()
    for request in requests:
        if not isinstance(request, dict):
            raise json_parser_error("each subrequest must be an object")
        reference_id = request.get("referenceId")
        if not isinstance(reference_id, str) or not REFERENCE_ID_RE.match(reference_id):
            raise ApiError(400, "INVALID_INPUT", f"Invalid referenceId: {reference_id}")
        if reference_id in seen:
            raise ApiError(
                400,
                "INVALID_INPUT",
                f"Duplicate referenceId provided in the request: {reference_id}",
            )
        seen.add(reference_id)
        if request.get("method") not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise ApiError(400, "INVALID_INPUT", f"Invalid HTTP method: {request.get('method')}")
        headers = request.get("httpHeaders") or {}
        if any(name.lower() in FORBIDDEN_SUBREQUEST_HEADERS for name in headers):
            raise ApiError(
                400,
                "INVALID_INPUT",
                "Subrequests may not set the Accept, Authorization or Content-Type headers.",
            )


def _run_subrequest(
    session: DataSession, request: dict[str, Any], results: dict[str, Result]
) -> Result:
    try:
        url = resolve_references(request.get("url", ""), results)
        body = resolve_references(request.get("body"), results)
    except _BadReference as bad:
        return Result(400, [{"errorCode": "PROCESSING_HALTED", "message": str(bad)}])
    match = SUBREQUEST_URL_RE.match(url) if isinstance(url, str) else None
    if match is None:
        return Result(
            400,
            [
                {
                    "errorCode": "INVALID_URL",
                    "message": "The url of a subrequest must start with /services/data/vXX.X/",
                }
            ],
        )
    parts = [p for p in (match.group(2) or "").split("/") if p]
    args = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    sub = session.with_headers(request.get("httpHeaders") or {})
    sub.api_version = match.group(1)
    sub.headers = dict(sub.headers)
    result = run(sub, request["method"], parts, args, body)
    if result.status == 204:
        result.body = None
    if result.status != 201:
        result.headers = {}
    return result


def _run_all(
    session: DataSession, requests: list[dict], all_or_none: bool
) -> tuple[list[dict], bool]:
    """Run subrequests in order; with allOrNone, stop at the first failure and roll back."""
    results: dict[str, Result] = {}
    responses: list[tuple[str, Result]] = []
    failed_at: int | None = None
    try:
        with session.savepoint():
            for index, request in enumerate(requests):
                result = _run_subrequest(session, request, results)
                results[request["referenceId"]] = result
                responses.append((request["referenceId"], result))
                if all_or_none and result.status >= 400:
                    failed_at = index
                    raise _Rollback()
    except _Rollback:
        pass
    if failed_at is None:
        return [_subresponse(r, ref) for ref, r in responses], all(
            r.status < 400 for _, r in responses
        )
    out = []
    for index, request in enumerate(requests):
        if index == failed_at:
            out.append(_subresponse(responses[index][1], request["referenceId"]))
        else:
            out.append(_subresponse(Result(400, PROCESSING_HALTED), request["referenceId"]))
    return out, False


def composite(session: DataSession, body: Any) -> Result:
    if not isinstance(body, dict):
        raise json_parser_error("Cannot deserialize the composite request body")
    requests = body.get("compositeRequest")
    _validate_subrequests(requests)
    responses, _ = _run_all(session, requests, bool(body.get("allOrNone", False)))
    return Result(200, {"compositeResponse": responses})


def graph(session: DataSession, body: Any) -> Result:
    """Each graph is all-or-none on its own (recorded shapes)."""
    if not isinstance(body, dict) or not isinstance(body.get("graphs"), list):
        raise json_parser_error("Cannot deserialize the composite graph request body")
    out = []
    for graph_request in body["graphs"]:
        if not isinstance(graph_request, dict):
            raise json_parser_error("each graph must be an object")
        requests = graph_request.get("compositeRequest")
        _validate_subrequests(requests, limit_queries=False, max_count=MAX_GRAPH_NODES)
        responses, ok = _run_all(session, requests, True)
        out.append(
            {
                "graphId": graph_request.get("graphId"),
                "graphResponse": {"compositeResponse": responses},
                "isSuccessful": ok,
            }
        )
    return Result(200, {"graphs": out})


__all__ = ["route", "composite", "graph", "collection_save", "collection_upsert", "created"]
