"""Response helpers in Salesforce's wire formats (compact JSON, its content type)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
NO_STORE = "no-cache,must-revalidate,max-age=0,no-store,private"


def sf_json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    response = Response(body, status=status, content_type=JSON_CONTENT_TYPE)
    response.headers["Cache-Control"] = NO_STORE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def sf_error(status: int, error_code: str, message: str, fields: list[str] | None = None):
    """The data API's error array: [{"message", "errorCode", "fields"?}]."""
    error: dict[str, Any] = {"message": message, "errorCode": error_code}
    if fields is not None:
        error["fields"] = fields
    return sf_json([error], status=status)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """OAuth endpoints answer errors as one object, not an array."""
    return sf_json({"error": error, "error_description": description}, status=status)


def session_invalid(message: str = "Session expired or invalid") -> Response:
    return sf_error(401, "INVALID_SESSION_ID", message)
