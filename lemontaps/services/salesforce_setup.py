"""Builds the SalesforceSetup (OAuth client, allowed hosts, token cipher) from configuration."""

import os
import threading
from contextlib import nullcontext
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet
from flask import Flask

from lemontaps.crypto import TokenCipher
from lemontaps.crypto import instance_secret
from lemontaps.crypto import parse_keys
from lemontaps.salesforce.hosts import HostPolicy
from lemontaps.salesforce.hosts import is_loopback
from lemontaps.salesforce.oauth import OAuthClientConfig
from lemontaps.services.salesforce_connect import SalesforceSetup


def build_salesforce_setup(app: Flask) -> SalesforceSetup:
    config = app.config
    emulator_urls = tuple(
        u.strip() for u in config["SALESFORCE_EMULATOR_URLS"].split(",") if u.strip()
    )
    _allow_plain_http_for_loopback_emulator(emulator_urls)
    redirect_uri = config["SALESFORCE_REDIRECT_URI"] or (
        config["BASE_URL"].rstrip("/") + "/integrations/salesforce/callback"
    )
    return SalesforceSetup(
        oauth=OAuthClientConfig(
            config["SALESFORCE_CLIENT_ID"], config["SALESFORCE_CLIENT_SECRET"], redirect_uri
        ),
        hosts=HostPolicy(
            config["SALESFORCE_LOGIN_URL"], config["SALESFORCE_SANDBOX_URL"], emulator_urls
        ),
        cipher=TokenCipher(_token_keys(app)),
        api_version=config["SALESFORCE_API_VERSION"],
        http_factory=requests.Session,
        refresh_lock=_refresh_lock_factory(app),
    )


def _refresh_lock_factory(app: Flask):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return lambda _account_id: nullcontext()  # the row lock serializes refreshes

    def redis_lock(account_id: int):
        state = app.extensions.get("rq")
        if state is None or state.connection is None:
            return _LOCAL_LOCKS.setdefault(account_id, threading.Lock())
        return state.connection.lock(
            f"lemontaps:token-refresh:{account_id}", timeout=60, blocking_timeout=90
        )

    return redis_lock


_LOCAL_LOCKS: dict[int, threading.Lock] = {}


def _allow_plain_http_for_loopback_emulator(emulator_urls: tuple[str, ...]) -> None:
    # oauthlib refuses http:// unless this is set. Only a loopback emulator gets it; the host
    # policy still refuses plain HTTP for every other host before any request is sent.
    if any(
        urlsplit(u).scheme == "http" and is_loopback(urlsplit(u).hostname or "")
        for u in emulator_urls
    ):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    # Salesforce may answer with the scopes in another order or with extra ones (e.g. "id").
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"


def _token_keys(app: Flask) -> list[str]:
    keys = parse_keys(app.config["TOKEN_ENCRYPTION_KEYS"])
    if keys:
        return keys
    if app.config.get("SESSION_COOKIE_SECURE", True):
        raise RuntimeError("TOKEN_ENCRYPTION_KEYS is not set (see README).")
    # Local development and the demo: a key kept in instance/, never committed.
    return [
        instance_secret(
            app.instance_path, "token-encryption.key", lambda: Fernet.generate_key().decode()
        )
    ]
