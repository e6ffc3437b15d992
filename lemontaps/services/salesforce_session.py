"""A SalesforceClient for a stored connection, refreshing its access token when it expires.

A refresh runs in its own short transaction on its own connection, with the connection row
locked, and commits the (possibly rotated) refresh token before anything else happens:
with refresh-token rotation, a second process reusing the old token would revoke the family."""

from __future__ import annotations

import random
import time

import requests
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ConnectionStatus
from lemontaps.models import SalesforceConnection
from lemontaps.models import utcnow
from lemontaps.salesforce import oauth
from lemontaps.salesforce.client import SalesforceClient
from lemontaps.salesforce.errors import TokenError
from lemontaps.salesforce.errors import TransientError
from lemontaps.services.salesforce_connect import ACCESS_TOKEN
from lemontaps.services.salesforce_connect import REFRESH_TOKEN
from lemontaps.services.salesforce_connect import SalesforceSetup
from lemontaps.services.salesforce_connect import _apply_describes
from lemontaps.services.salesforce_connect import _note_usage
from lemontaps.services.salesforce_connect import run_checks
from lemontaps.services.salesforce_connect import target_object_of


class NeedsReconnect(Exception):
    """The refresh token is dead (invalid_grant): an admin must connect again."""


def client_for(
    setup: SalesforceSetup, connection: SalesforceConnection, http: requests.Session | None = None
) -> SalesforceClient:
    if connection.status != ConnectionStatus.CONNECTED.value:
        raise NeedsReconnect(connection.status)
    http = http or setup.new_http()
    access_token = (
        setup.cipher.decrypt(connection.account_id, ACCESS_TOKEN, connection.access_token_enc)
        if connection.access_token_enc
        else ""
    )
    seen = {"version": connection.token_version}

    def refresh() -> str:
        token, seen["version"] = refresh_access_token(setup, connection.id, seen["version"], http)
        return token

    return SalesforceClient(
        http,
        connection.instance_url,
        access_token,
        refresh,
        api_version=setup.api_version,
        is_allowed_host=setup.hosts.is_allowed,
    )


def refresh_access_token(
    setup: SalesforceSetup, connection_id: int, seen_version: int, http: requests.Session
) -> tuple[str, int]:
    """A fresh access token and the token version it belongs to.

    If another process refreshed since we read the token (the version moved on), its token is
    used and no token call is made."""
    # The refresh runs on a connection of its own; the caller's transaction ends first, so
    # it holds no lock the refresh would wait for (SQLite locks the whole file).
    db.session.commit()
    account_id = db.session.scalar(
        sa.select(SalesforceConnection.account_id).where(SalesforceConnection.id == connection_id)
    )
    db.session.commit()
    with setup.refresh_lock(account_id):
        return _refresh_locked(setup, connection_id, seen_version, http)


def _refresh_locked(setup, connection_id, seen_version, http) -> tuple[str, int]:
    table = SalesforceConnection.__table__
    refused: TokenError | None = None
    with db.engine.begin() as conn:
        row = (
            conn.execute(sa.select(table).where(table.c.id == connection_id).with_for_update())
            .mappings()
            .one()
        )
        if row["status"] != ConnectionStatus.CONNECTED.value:
            raise NeedsReconnect(row["status"])
        account_id = row["account_id"]
        if row["token_version"] != seen_version and row["access_token_enc"]:
            return (
                setup.cipher.decrypt(account_id, ACCESS_TOKEN, row["access_token_enc"]),
                row["token_version"],
            )
        refresh_token = setup.cipher.decrypt(account_id, REFRESH_TOKEN, row["refresh_token_enc"])
        try:
            tokens = _refresh_with_retries(setup, http, row["login_url"], refresh_token)
        except TokenError as error:
            refused = error
            conn.execute(
                table.update().where(table.c.id == connection_id).values(**_refusal_values(error))
            )
        else:
            values = {
                "access_token_enc": setup.cipher.encrypt(
                    account_id, ACCESS_TOKEN, tokens.access_token
                ),
                "token_version": row["token_version"] + 1,
                "refreshed_at": utcnow(),
                "token_error": None,
            }
            if tokens.refresh_token:  # rotation: the old refresh token is dead from now on
                values["refresh_token_enc"] = setup.cipher.encrypt(
                    account_id, REFRESH_TOKEN, tokens.refresh_token
                )
            conn.execute(table.update().where(table.c.id == connection_id).values(**values))
    # Committed above, before anything else happens; now tell the caller.
    if refused is not None:
        if refused.needs_reconnect:
            raise NeedsReconnect(refused.message) from refused
        raise refused
    return tokens.access_token, values["token_version"]


def _refusal_values(error: TokenError) -> dict:
    if error.needs_reconnect:
        return {"status": ConnectionStatus.NEEDS_RECONNECT.value, "needs_reconnect_since": utcnow()}
    # invalid_client and the like: the operator's configuration, not the admin's.
    return {"token_error": (error.error_code or "token_error")[:64]}


def _refresh_with_retries(
    setup, http, login_url: str, refresh_token: str, pauses: tuple[float, ...] = (0.5, 2.0, 5.0)
):
    """Timeouts and 5xx at the token endpoint are retried with backoff; refusals are not."""
    for pause in pauses:
        try:
            return oauth.refresh(http, setup.oauth, login_url, refresh_token)
        except TransientError:
            time.sleep(pause * (0.5 + random.random()))
    return oauth.refresh(http, setup.oauth, login_url, refresh_token)  # last try raises


def checks_for_connection(setup: SalesforceSetup, connection: SalesforceConnection) -> None:
    http = setup.new_http()
    try:
        client = client_for(setup, connection, http)
        checks, describes = run_checks(client, target_object_of(connection.account_id))
        db.session.refresh(connection)  # a refresh may have moved the token on
        connection.checks = checks
        _apply_describes(connection, describes)
        _note_usage(connection, client)
    finally:
        http.close()
