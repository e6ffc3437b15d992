"""Bearer-token authentication for the data API routes (issue 6 uses ``authenticate``)."""

from __future__ import annotations

from flask import Request
from werkzeug.exceptions import HTTPException

from . import responses
from . import tokens
from .state import emulator_state

# Set by the fault hook when an ``expire_access_tokens`` rule fires for this request.
MAX_TOKEN_AGE_KEY = "salesforce_emulator.max_token_age"
API_SCOPES = {"api", "full"}


class InvalidSession(HTTPException):
    """401 [{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]."""

    code = 401

    def __init__(self, message: str = "Session expired or invalid"):
        super().__init__(message, response=responses.session_invalid(message))


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


def authenticate(request: Request, require_api_scope: bool = True) -> tokens.AccessContext:
    """The caller's org/user for a data API request, or raise InvalidSession (a 401 response).

    ``raise``-style so a route body reads: ``ctx = authenticate(request)``.
    """
    token = bearer_token(request)
    store = emulator_state().store
    context = tokens.validate_access_token(
        store, token or "", max_age_seconds=request.environ.get(MAX_TOKEN_AGE_KEY)
    )
    if context is None:
        raise InvalidSession()
    if require_api_scope and not (API_SCOPES & context.scopes):
        raise InvalidSession("This session is not valid for use with the REST API")
    return context
