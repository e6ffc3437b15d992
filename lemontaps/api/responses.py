"""JSON error bodies of the API: {"error": "<code>", "message": "..."} plus details."""

from flask import jsonify
from werkzeug.exceptions import HTTPException

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_failed",
    429: "too_many_requests",
}


def api_error(status: int, code: str | None = None, message: str = "", **extra):
    body = {"error": code or CODES.get(status, "error"), "message": message, **extra}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="lemontaps"'
    return response


def http_error(error: HTTPException):
    return api_error(error.code or 500, message=error.description or "")
