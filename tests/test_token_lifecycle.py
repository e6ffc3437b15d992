"""Keeping the connection alive: refresh on 401, rotation, dead refresh tokens, reconnect."""

import re

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.jobs.export import run_push_batch
from lemontaps.jobs.sweeper import sweep
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import SalesforceConnection
from lemontaps.pushes import states
from lemontaps.services.salesforce_session import client_for
from lemontaps.services.salesforce_session import refresh_access_token
from tests.helpers import admin_of
from tests.helpers import make_contact
from tests.helpers import make_user
from tests.salesforce_helpers import connect_account
from tests.salesforce_helpers import control

CLIENT_ID = "3MVG9LemontapsDemoClientId"


@pytest.fixture
def org(auth, account_a, emulator):
    org_id = connect_account(auth, emulator, "admin@acme.test")
    return {"id": org_id, "ctl": control(emulator)}


def connection() -> SalesforceConnection:
    db.session.expire_all()
    return db.session.scalar(sa.select(SalesforceConnection))


def expire_access_token(app):
    row = connection()
    row.access_token_enc = app.extensions["salesforce"].cipher.encrypt(
        row.account_id, "access_token", "00Dexpired!token"
    )
    db.session.commit()


def push_one(account, org_id, **fields):
    contact = make_contact(admin_of(account), company="X", **fields)
    record = states.create_push(
        account.id, [contact], "Lead", admin_of(account), PushKind.MANUAL, org_id
    )
    db.session.commit()
    run_push_batch(record.id, states.queued_item_ids(record.id))
    return db.session.scalar(sa.select(PushItem).where(PushItem.push_id == record.id))


def test_an_expired_access_token_is_refreshed_once_and_the_call_retried(app, account_a, org):
    expire_access_token(app)
    before = connection().token_version
    item = push_one(account_a, org["id"], first_name="A", last_name="B")
    assert item.state == "exported"
    assert connection().token_version == before + 1


def test_with_rotation_a_second_process_reuses_the_first_ones_refresh(app, account_a, org):
    org["ctl"].update_app(CLIENT_ID, rotate_refresh_tokens=True)
    setup = app.extensions["salesforce"]
    row = connection()
    seen = row.token_version  # both "processes" read the same version before the 401
    first_token, version = refresh_access_token(setup, row.id, seen, setup.new_http())
    second_token, second_version = refresh_access_token(setup, row.id, seen, setup.new_http())
    assert second_token == first_token and second_version == version  # no second token call
    # Reusing the old refresh token would have revoked the family; the connection works on.
    assert connection().status == "connected"
    client = client_for(setup, connection())
    assert "DailyApiRequests" in client.limits()


def test_a_revoked_refresh_token_means_reconnect_and_pushes_wait(app, auth, account_a, org, outbox):
    make_user(app, account_a, "second.admin@acme.test", role="admin")
    org["ctl"].revoke_tokens(org["id"])
    first = push_one(account_a, org["id"], first_name="C", last_name="D")
    second = push_one(account_a, org["id"], first_name="E", last_name="F")
    assert (first.state, first.reason_code) == ("waiting", "needs_reconnect")
    assert (second.state, second.reason_code) == ("waiting", "needs_reconnect")
    assert connection().status == "needs_reconnect"
    sweep()
    reconnect_mails = [m for m in outbox if m.subject == "Salesforce needs to be reconnected"]
    assert sorted(m.recipients[0] for m in reconnect_mails) == [
        "admin@acme.test",
        "second.admin@acme.test",
    ]
    page = auth.client("admin@acme.test")
    assert b"Needs reconnecting" in page.get("/integrations/salesforce").data


def test_reconnecting_the_same_org_resumes_the_waiting_pushes(auth, account_a, org, emulator):
    org["ctl"].revoke_tokens(org["id"])
    item = push_one(account_a, org["id"], first_name="G", last_name="H")
    assert item.state == "waiting"
    connect_account(auth, emulator, "admin@acme.test")
    db.session.expire_all()
    assert db.session.get(PushItem, item.id).state == "exported"


def test_invalid_client_is_an_operator_error_not_a_reconnect(app, account_a, org, outbox):
    expire_access_token(app)
    org["ctl"].update_app(CLIENT_ID, client_secret="rotated-by-someone")
    item = push_one(account_a, org["id"], first_name="I", last_name="J")
    assert (item.state, item.reason_code) == ("waiting", "integration_error")
    assert connection().status == "connected"
    assert connection().token_error == "invalid_client"
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["salesforce_token_errors"] == 1
    sweep()
    assert not [m for m in outbox if "reconnected" in m.subject]


def test_refresh_goes_to_the_sandbox_host_for_sandbox_connections(app, auth, account_a, emulator):
    from tests.salesforce_helpers import callback_path
    from tests.salesforce_helpers import sf_browser_login

    client = auth.client("admin@acme.test")
    started = client.post("/integrations/salesforce/authorize", data={"environment": "sandbox"})
    back = sf_browser_login(
        emulator, started.headers["Location"], username="admin@demo.lemontaps.test.dev"
    )
    assert b"Connected" in client.get(callback_path(back)).data
    assert connection().login_url == "http://test.sf-emulator.localhost"
    expire_access_token(app)
    setup = app.extensions["salesforce"]
    client_for(setup, connection()).limits()  # 401 -> refresh at the sandbox host -> retry
    assert connection().status == "connected"


def _second_org(org) -> str:
    """Another production org in the emulator, with the demo app and a user of its own."""
    spec = {
        "name": "Other Co",
        "kind": "production",
        "users": [
            {
                "ref": "boss",
                "username": "boss@other.example",
                "first_name": "Oda",
                "last_name": "Other",
                "email": "boss@other.example",
                "profile": "System Administrator",
            }
        ],
        "connected_apps": [{"client_id": "3MVG9OtherApp", "client_secret": "x"}],
    }
    return org["ctl"].create_org(spec)["id"]


def test_switching_orgs_asks_first_and_then_starts_over(auth, account_a, org, emulator):
    from tests.salesforce_helpers import callback_path
    from tests.salesforce_helpers import sf_browser_login

    exported = push_one(account_a, org["id"], first_name="K", last_name="L")
    assert exported.state == "exported"
    org["ctl"].revoke_tokens(org["id"])
    waiting = push_one(account_a, org["id"], first_name="M", last_name="N")
    assert waiting.state == "waiting"
    other_org = _second_org(org)
    client = auth.client("admin@acme.test")
    started = client.post("/integrations/salesforce/authorize", data={"environment": "production"})
    back = sf_browser_login(emulator, started.headers["Location"], username="boss@other.example")
    question = client.get(callback_path(back))
    assert b"Switch Salesforce orgs?" in question.data
    assert connection().org_id == org["id"]  # nothing switched yet
    attempt_id = int(re.search(rb"/switch/(\d+)", question.data).group(1))
    done = client.post(f"/integrations/salesforce/switch/{attempt_id}", data={"decision": "switch"})
    assert b"Connected to Salesforce org" in done.data
    assert connection().org_id == other_org
    # The waiting push was for the old org: it waits for the admin, it is not sent.
    sweep()
    db.session.expire_all()
    assert db.session.get(PushItem, waiting.id).reason_code in ("needs_reconnect", "org_changed")
    page = client.get("/integrations/salesforce")
    assert b"waiting to be pushed to the previously connected org" in page.data
    client.post("/integrations/salesforce/waiting", data={"decision": "push"})
    db.session.expire_all()
    moved = db.session.get(PushItem, waiting.id)
    assert moved.state == "exported" and moved.org_id == other_org
    # The contact exported to the old org can be pushed again to the new one.
    from lemontaps.models import ContactExport

    again = states.create_push(
        account_a.id,
        [db.session.get(ContactExport, exported.contact_id).contact],
        "Lead",
        admin_of(account_a),
        PushKind.MANUAL,
        other_org,
    )
    db.session.commit()
    assert states.queued_item_ids(again.id)


def test_keeping_the_org_revokes_the_new_token(auth, account_a, org, emulator):
    from tests.salesforce_helpers import callback_path
    from tests.salesforce_helpers import sf_browser_login

    other_org = _second_org(org)
    client = auth.client("admin@acme.test")
    started = client.post("/integrations/salesforce/authorize", data={"environment": "production"})
    back = sf_browser_login(emulator, started.headers["Location"], username="boss@other.example")
    question = client.get(callback_path(back))
    attempt_id = int(re.search(rb"/switch/(\d+)", question.data).group(1))
    kept = client.post(f"/integrations/salesforce/switch/{attempt_id}", data={"decision": "keep"})
    assert b"Nothing changed" in kept.data
    assert connection().org_id == org["id"]
    (issued,) = org["ctl"].token_stats(other_org)["refresh_tokens"]
    assert (issued["refresh_tokens_issued"], issued["live_refresh_tokens"]) == (1, 0)  # revoked
