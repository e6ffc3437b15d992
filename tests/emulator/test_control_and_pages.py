"""Control API, demo seed contents, record pages, HTTPS and the CLI banner."""

import pytest
import requests
from oauth_helpers import connect
from oauth_helpers import userinfo

from salesforce_emulator import DEMO_CLIENT_ID
from salesforce_emulator import DEMO_CLIENT_SECRET
from salesforce_emulator import ids
from salesforce_emulator.cli import describe
from salesforce_emulator.control import ControlError
from salesforce_emulator.server import start_in_thread
from salesforce_emulator.state import emulator_state

SPEC = {
    "name": "Acme Test",
    "users": [
        {
            "username": "boss@acme.test",
            "first_name": "Bo",
            "last_name": "Ss",
            "profile": "System Administrator",
            "password": "acme-pass",
        },
        {"username": "gone@acme.test", "last_name": "Gone", "active": False},
    ],
    "connected_apps": [
        {
            "client_id": "acme-app",
            "client_secret": "acme-secret",
            "callback_urls": ["http://127.0.0.1:5000/integrations/salesforce/callback"],
            "rotate_refresh_tokens": True,
        }
    ],
    "limits": {"daily_api_requests_max": 100, "daily_api_requests_used": 7},
    "records": [
        {"ref": "acct", "type": "Account", "fields": {"Name": "Acme"}},
        {
            "type": "Contact",
            "fields": {
                "LastName": "Roe",
                "AccountId": "$ref:acct",
                "OwnerId": "$ref:boss@acme.test",
            },
        },
    ],
}


def test_demo_org_seed(control):
    overview = control.overview()
    kinds = {org["name"]: org["kind"] for org in overview["orgs"]}
    assert kinds == {"Lemontaps Demo": "production", "Lemontaps Demo (Sandbox dev)": "sandbox"}
    org = control.get_org(control.org_id("Lemontaps Demo"))
    assert org["id"].startswith("00D") and ids.is_valid(org["id"])
    users = {user["username"]: user for user in org["users"]}
    assert users["anna@demo.lemontaps.test"]["active"] is True
    assert users["ben@demo.lemontaps.test"]["user_type"] == "Standard"
    assert [u for u in users.values() if not u["active"]]
    assert [u for u in users.values() if u["user_type"] == "PowerPartner"]
    app = control.get_app(DEMO_CLIENT_ID)
    assert app["client_secret"] == DEMO_CLIENT_SECRET
    assert "http://localhost/integrations/salesforce/callback" in app["callback_urls"]
    leads = control.list_records(org["id"], "Lead")
    assert any(lead["IsConverted"] for lead in leads)
    assert "dup.lead@example.com" in {lead["Email"] for lead in leads}
    assert "dup.contact@example.com" in {
        c["Email"] for c in control.list_records(org["id"], "Contact")
    }
    statuses = control.list_records(org["id"], "CampaignMemberStatus")
    assert {s["Label"] for s in statuses} >= {"Sent", "Responded"}
    campaign = control.list_records(org["id"], "Campaign")[0]
    assert campaign["Id"].startswith("701") and ids.is_valid(campaign["Id"])
    sandbox = control.get_org(control.org_id("Lemontaps Demo (Sandbox dev)"))
    assert all(u["email"].endswith(".invalid") for u in sandbox["users"])


def test_demo_seed_is_deterministic():
    first, second = start_in_thread(), start_in_thread()
    try:

        def snapshot(server):
            store = emulator_state(server.app).store
            return [
                (r["Id"], r.get("Username") or r.get("Name") or r.get("LastName"))
                for org in store.list_orgs()
                for r in store.list_records(org["id"])
            ]

        assert snapshot(first) == snapshot(second)
    finally:
        first.stop()
        second.stop()


def test_create_org_from_spec_and_log_in_with_its_app(server, control, http):
    org = control.create_org(SPEC)
    assert org["limits"] == {"daily_api_requests_max": 100, "daily_api_requests_used": 7}
    assert {u["username"] for u in org["users"]} == {"boss@acme.test", "gone@acme.test"}
    contact = control.list_records(org["id"], "Contact")[0]
    assert contact["AccountId"] == control.list_records(org["id"], "Account")[0]["Id"]
    assert contact["OwnerId"] == next(
        u["id"] for u in org["users"] if u["username"] == "boss@acme.test"
    )
    response = http.post(
        f"{server.login_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "acme-app",
            "client_secret": "acme-secret",
            "username": "boss@acme.test",
            "password": "acme-pass",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["id"].split("/")[-2] == org["id"]
    with pytest.raises(ControlError) as conflict:
        control.create_org(SPEC)
    assert conflict.value.response.status_code == 409


def test_reset_restores_spec_and_drops_tokens_rules_and_counters(server, control, http):
    org = control.create_org(SPEC)
    token = http.post(
        f"{server.login_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "acme-app",
            "client_secret": "acme-secret",
            "username": "boss@acme.test",
            "password": "acme-pass",
        },
        timeout=10,
    ).json()
    control.insert_record(org["id"], "Lead", {"LastName": "Extra", "Company": "X"})
    control.add_fault(org["id"], kind="503")
    store = emulator_state(server.app).store
    store.record_api_call(org["id"], "GET", "/services/data/v59.0/query")
    assert control.api_calls(org["id"])["total"] == 1
    reset = control.reset_org(org["id"])
    assert reset["id"] == org["id"]
    assert [u["id"] for u in reset["users"]] == [u["id"] for u in org["users"]]
    assert control.list_records(org["id"], "Lead") == []
    assert reset["faults"] == []
    assert control.api_calls(org["id"]) == {"total": 0, "calls": []}
    assert userinfo(http, server.instance_url, token["access_token"]).status_code == 403
    control.delete_org(org["id"])
    with pytest.raises(ControlError) as missing:
        control.get_org(org["id"])
    assert missing.value.response.status_code == 404


def test_api_call_counters_and_limits(server, control, demo_org_id):
    store = emulator_state(server.app).store
    for _ in range(3):
        store.record_api_call(demo_org_id, "GET", "/services/data/v59.0/query")
    usage = store.record_api_call(demo_org_id, "POST", "/services/data/v59.0/composite/sobjects")
    assert (usage.used, usage.max) == (4, 15000)
    calls = control.api_calls(demo_org_id)
    assert calls["total"] == 4
    assert {(c["method"], c["endpoint"], c["count"]) for c in calls["calls"]} == {
        ("GET", "/services/data/v59.0/query", 3),
        ("POST", "/services/data/v59.0/composite/sobjects", 1),
    }
    control.reset_api_calls(demo_org_id)
    assert control.api_calls(demo_org_id)["calls"] == []
    assert control.set_limits(demo_org_id, 50, 49) == {
        "daily_api_requests_max": 50,
        "daily_api_requests_used": 49,
    }
    assert store.api_usage(demo_org_id).used == 49


def test_callback_urls_can_be_replaced(server, control, http):
    new_callback = "http://127.0.0.1:7777/cb"
    control.set_callback_urls(DEMO_CLIENT_ID, [new_callback])
    response = http.get(
        f"{server.login_url}/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": DEMO_CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:5000/integrations/salesforce/callback",
        },
        timeout=10,
    )
    assert response.status_code == 400
    ok = http.get(
        f"{server.login_url}/services/oauth2/authorize",
        params={"response_type": "code", "client_id": DEMO_CLIENT_ID, "redirect_uri": new_callback},
        timeout=10,
    )
    assert ok.status_code == 200
    with pytest.raises(ControlError):
        control.update_app(DEMO_CLIENT_ID, owner="me")


def test_callback_urls_passed_at_start_are_allowed():
    with start_in_thread(callback_urls=["http://127.0.0.1:9999/cb"]) as server:
        app = emulator_state(server.app).store.get_app(DEMO_CLIENT_ID)
        assert "http://127.0.0.1:9999/cb" in app["settings"]["callback_urls"]


def test_record_page_escapes_and_accepts_15_char_ids(server, control, demo_org_id, http):
    lead = control.insert_record(
        demo_org_id,
        "Lead",
        {"LastName": "<script>alert(1)</script>", "Company": '"><img src=x onerror=alert(1)>'},
    )
    for record_id in (lead["Id"], lead["Id"][:15]):
        page = http.get(f"{server.instance_url}/{record_id}", timeout=10)
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<img src=x" not in page.text
    assert http.get(f"{server.instance_url}/00Q000000000000AAA", timeout=10).status_code == 404


def test_https_server_with_generated_certificate():
    with start_in_thread(https=True) as server, requests.Session() as http:
        assert server.login_url.startswith("https://127.0.0.1:")
        http.trust_env = False  # else REQUESTS_CA_BUNDLE overrides session.verify
        http.verify = server.cert_path
        token = connect(http, server.login_url)
        assert token["instance_url"].startswith("https://")
        assert userinfo(http, server.instance_url, token["access_token"]).status_code == 200


def test_three_ports_in_a_row_when_a_port_is_given(server):
    ports = [
        int(url.rsplit(":", 1)[1])
        for url in (server.login_url, server.sandbox_url, server.instance_url)
    ]
    assert len(set(ports)) == 3
    from salesforce_emulator.server import build_server

    base = ports[0] + 1000 if ports[0] < 60000 else 20000
    built = build_server(port=base, quiet=True)
    try:
        assert [built.login_url, built.sandbox_url, built.instance_url] == [
            f"http://127.0.0.1:{base + offset}" for offset in range(3)
        ]
    finally:
        built.stop()


def test_cli_banner_lists_credentials_and_urls(server):
    text = describe(server)
    for expected in (
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        "admin@demo.lemontaps.test",
        "demo-sf-pass",
        server.login_url,
        server.sandbox_url,
        server.instance_url,
    ):
        assert expected in text
