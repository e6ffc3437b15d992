"""Data-API errors as values: one exception type that renders in both wire formats.

REST answers a list of ``{"message", "errorCode", "fields"?}``; sObject Collections and
Composite-graph results use ``{"statusCode", "message", "fields"}`` instead
(salesforce-api.md §4.1).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refused operation: HTTP status plus one or more Salesforce errors."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
        extra: dict[str, Any] | None = None,
        code_first: bool = False,
    ):
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields
        self.extra = extra or {}  # e.g. the duplicateResut payload on single-record saves
        self.code_first = code_first  # NOT_FOUND is recorded with errorCode before message

    def rest_body(self) -> list[dict[str, Any]]:
        error: dict[str, Any] = dict(self.extra)
        if self.code_first:
            error.update(errorCode=self.error_code, message=self.message)
        else:
            error.update(message=self.message, errorCode=self.error_code)
        if self.fields is not None:
            error["fields"] = self.fields
        return [error]

    def collection_error(self) -> dict[str, Any]:
        return {
            "statusCode": self.error_code,
            "message": self.message,
            "fields": list(self.fields or []),
        }


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist", code_first=True)


def malformed_id(value: str, label: str = "Record ID", field: str = "Id") -> ApiError:
    return ApiError(400, "MALFORMED_ID", f"{label}: id value of incorrect type: {value}", [field])


def entity_is_deleted() -> ApiError:
    return ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])


def json_parser_error(message: str) -> ApiError:
    return ApiError(400, "JSON_PARSER_ERROR", message)


ALL_OR_NONE_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}
