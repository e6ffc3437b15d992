"""OAuth 2.0 web-server flow against a Salesforce login host, with PKCE (S256).

requests-oauthlib keeps a PKCE verifier only inside one OAuth2Session object, which a web
flow cannot carry from the authorize request to the callback; so we make the verifier
ourselves, store it server-side, and pass challenge and verifier explicitly."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from lemontaps.salesforce.errors import TokenError
from lemontaps.salesforce.errors import TransientError
from lemontaps.salesforce.errors import token_error_from_response

SCOPE = ["api", "refresh_token"]
TIMEOUT = (5, 30)


@dataclass(frozen=True)
class OAuthClientConfig:
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    refresh_token: str | None
    instance_url: str
    identity_url: str
    issued_at: str | None
    scope: str | None


def new_pkce_verifier() -> str:
    return secrets.token_urlsafe(64)[:96]


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(config: OAuthClientConfig, login_url: str, state: str, verifier: str) -> str:
    session = OAuth2Session(config.client_id, redirect_uri=config.redirect_uri, scope=SCOPE)
    url, _state = session.authorization_url(
        f"{login_url}/services/oauth2/authorize",
        state=state,
        prompt="login",
        code_challenge=pkce_challenge(verifier),
        code_challenge_method="S256",
    )
    return url


def _token_response(data: dict) -> TokenResponse:
    return TokenResponse(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token"),
        instance_url=data["instance_url"],
        identity_url=data["id"],
        issued_at=data.get("issued_at"),
        scope=data.get("scope"),
    )


def _post_token(http: requests.Session, login_url: str, form: dict) -> dict:
    try:
        response = http.post(
            f"{login_url}/services/oauth2/token",
            data=form,
            timeout=TIMEOUT,
            headers={"Accept": "application/json"},
        )
    except (requests.ConnectionError, requests.Timeout) as error:
        raise TransientError(f"token endpoint unreachable: {type(error).__name__}") from None
    with response:
        if response.status_code != 200:
            raise token_error_from_response(response)
        return response.json()


def _oauth_session(http: requests.Session, config: OAuthClientConfig) -> OAuth2Session:
    """An OAuth2Session that sends through the same adapters (and TLS settings) as `http`."""
    session = OAuth2Session(config.client_id, redirect_uri=config.redirect_uri, scope=SCOPE)
    for prefix, adapter in http.adapters.items():
        session.mount(prefix, adapter)
    session.verify = http.verify
    session.trust_env = http.trust_env

    def raise_on_server_error(response):
        if response.status_code >= 500:
            raise TransientError(
                f"token endpoint answered {response.status_code}",
                status=response.status_code,
                url=response.url,
            )
        if response.status_code != 200:
            raise token_error_from_response(response)
        return response

    session.register_compliance_hook("access_token_response", raise_on_server_error)
    return session


def exchange_code(
    http: requests.Session, config: OAuthClientConfig, login_url: str, code: str, verifier: str
) -> TokenResponse:
    session = _oauth_session(http, config)
    try:
        data = session.fetch_token(
            f"{login_url}/services/oauth2/token",
            code=code,
            client_secret=config.client_secret,
            code_verifier=verifier,
            include_client_id=True,
            timeout=TIMEOUT,
        )
    except (requests.ConnectionError, requests.Timeout) as error:
        raise TransientError(f"token endpoint unreachable: {type(error).__name__}") from None
    except OAuth2Error as error:
        raise TokenError(
            error.description or error.error, status=error.status_code, error_code=error.error
        ) from None
    finally:
        session.close()
    return _token_response(data)


def refresh(
    http: requests.Session, config: OAuthClientConfig, login_url: str, refresh_token: str
) -> TokenResponse:
    data = _post_token(
        http,
        login_url,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        },
    )
    return _token_response(data)


def revoke(http: requests.Session, login_url: str, token: str) -> None:
    """Revoke a refresh token (and its access tokens). Raises on any failure."""
    try:
        response = http.post(
            f"{login_url}/services/oauth2/revoke", data={"token": token}, timeout=TIMEOUT
        )
    except (requests.ConnectionError, requests.Timeout) as error:
        raise TransientError(f"revoke endpoint unreachable: {type(error).__name__}") from None
    with response:
        if response.status_code != 200:
            raise token_error_from_response(response)


def fetch_identity(http: requests.Session, identity_url: str, access_token: str) -> dict:
    try:
        response = http.get(
            identity_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT
        )
    except (requests.ConnectionError, requests.Timeout) as error:
        raise TransientError(f"identity URL unreachable: {type(error).__name__}") from None
    with response:
        if response.status_code != 200:
            from lemontaps.salesforce.errors import error_from_response

            raise error_from_response(response)
        return response.json()
