"""Typed Salesforce errors, from REST error arrays and OAuth token-endpoint error objects."""

from __future__ import annotations

TRANSIENT_ERROR_CODES = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG"}


class SalesforceError(Exception):
    """A refusal or failure reported by Salesforce (or the network on the way)."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        error_code: str | None = None,
        url: str | None = None,
        content=None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.url = url
        self.content = content

    @property
    def transient(self) -> bool:
        return False


class TransientError(SalesforceError):
    """Worth retrying: timeouts, dropped connections, 5xx, lock contention."""

    @property
    def transient(self) -> bool:
        return True


class InvalidSession(SalesforceError):
    """401 INVALID_SESSION_ID: the access token expired or was revoked."""


class RequestLimitExceeded(SalesforceError):
    """403 REQUEST_LIMIT_EXCEEDED: the daily allocation is spent, or too many long requests."""

    @property
    def concurrency(self) -> bool:
        return "concurrent" in (self.message or "").lower()


class ApiDisabled(SalesforceError):
    """403 API_DISABLED_FOR_ORG: the org or the user has no API access."""


class TokenError(SalesforceError):
    """The token endpoint refused: `error_code` is the OAuth error (invalid_grant, ...)."""

    @property
    def needs_reconnect(self) -> bool:
        # Only invalid_grant means the refresh token itself is dead.
        return self.error_code == "invalid_grant"


class HostNotAllowed(SalesforceError):
    """A URL outside Salesforce's domains (and the configured emulator): never sent a token."""


def error_from_response(response) -> SalesforceError:
    """Map an unsuccessful REST response to the right error class."""
    status = response.status_code
    code, message, content = None, response.reason or f"HTTP {status}", None
    try:
        content = response.json()
    except ValueError:
        content = None
    if isinstance(content, list) and content and isinstance(content[0], dict):
        code = content[0].get("errorCode")
        message = content[0].get("message") or message
    elif isinstance(content, dict):
        code = content.get("errorCode") or content.get("error")
        message = content.get("message") or content.get("error_description") or message
    kwargs = dict(status=status, error_code=code, url=response.url, content=content)
    if status == 401:
        return InvalidSession(message, **kwargs)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return RequestLimitExceeded(message, **kwargs)
    if code == "API_DISABLED_FOR_ORG":
        return ApiDisabled(message, **kwargs)
    if status >= 500 or code in TRANSIENT_ERROR_CODES:
        return TransientError(message, **kwargs)
    return SalesforceError(message, **kwargs)


def token_error_from_response(response) -> SalesforceError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500:
        return TransientError(
            f"token endpoint answered {response.status_code}",
            status=response.status_code,
            url=response.url,
        )
    return TokenError(
        body.get("error_description") or body.get("error") or f"HTTP {response.status_code}",
        status=response.status_code,
        error_code=body.get("error"),
        url=response.url,
        content=body,
    )
