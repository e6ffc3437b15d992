"""An independent client, simple-salesforce (unchanged library code), against the emulator
served over HTTPS with its self-signed certificate."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from data_helpers import LEMONTAPS_ID_FIELD
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from salesforce_emulator import DEMO_ADMIN_USERNAME
from salesforce_emulator import DEMO_CLIENT_ID
from salesforce_emulator import DEMO_CLIENT_SECRET
from salesforce_emulator import DEMO_PASSWORD
from salesforce_emulator import org_tools
from salesforce_emulator.seed import demo_org_id
from salesforce_emulator.server import start_in_thread
from salesforce_emulator.state import emulator_state

EXTRA_LEADS = 2100  # more than one 2,000-record page


@pytest.fixture(scope="module")
def https_emulator():
    server = start_in_thread(https=True)
    store = emulator_state(server.app).store
    org_id = demo_org_id(store)
    org_tools.customize_org(
        store,
        org_id,
        custom_fields={"Lead": [LEMONTAPS_ID_FIELD]},
    )
    for number in range(EXTRA_LEADS):
        org_tools.insert_fixture(
            store,
            org_id,
            "Lead",
            {
                "LastName": f"Bulk {number}",
                "Company": "Bulk GmbH",
                "Status": "Open - Not Contacted",
                "Name": f"Bulk {number}",
            },
        )
    yield server, org_id
    server.stop()


@pytest.fixture
def sf(https_emulator):
    server, _ = https_emulator
    http = requests.Session()
    http.trust_env = False  # else REQUESTS_CA_BUNDLE overrides session.verify
    http.verify = server.cert_path
    token = http.post(
        f"{server.login_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "username": DEMO_ADMIN_USERNAME,
            "password": DEMO_PASSWORD,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["instance_url"].startswith("https://")
    client = Salesforce(
        session_id=body["access_token"],
        instance=urlsplit(body["instance_url"]).netloc,
        session=http,
        version="59.0",
    )
    yield client
    http.close()


def test_query_and_query_all_pagination(sf):
    first = sf.query("SELECT Id, Name FROM Lead")
    assert first["done"] is False
    assert first["totalSize"] > 2000
    assert len(first["records"]) == 2000
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
    everything = sf.query_all("SELECT Id, Name, Owner.Email FROM Lead")
    assert everything["done"] is True
    assert len(everything["records"]) == everything["totalSize"] == first["totalSize"]
    assert len({record["Id"] for record in everything["records"]}) == everything["totalSize"]


def test_create_read_update_delete(sf):
    created = sf.Lead.create(
        {
            "LastName": "Lovelace",
            "FirstName": "Ada",
            "Company": "Analytical Engines",
            "Email": "ada@example.com",
            "LeadSource": "Lemontaps",
        }
    )
    assert created["success"] is True and len(created["id"]) == 18
    record = sf.Lead.get(created["id"])
    assert record["Name"] == "Ada Lovelace"
    assert record["LeadSource"] == "Lemontaps"
    assert record["CreatedDate"].endswith("+0000")
    assert sf.Lead.update(created["id"], {"Title": "Countess"}) == 204
    assert sf.Lead.get(created["id"])["Title"] == "Countess"
    assert sf.Lead.delete(created["id"]) == 204
    deleted = sf.query_all(
        f"SELECT Id, IsDeleted FROM Lead WHERE Id = '{created['id']}'", include_deleted=True
    )
    assert deleted["records"][0]["IsDeleted"] is True


def test_upsert_by_external_id(sf):
    body = {"LastName": "Hopper", "Company": "Navy"}
    assert sf.Lead.upsert("Lemontaps_Id__c/tenant1-abc", body) == 201
    assert sf.Lead.upsert("Lemontaps_Id__c/tenant1-abc", {"Title": "Rear Admiral"}) == 200
    found = sf.query("SELECT Id, Title FROM Lead WHERE Lemontaps_Id__c = 'tenant1-abc'")
    assert found["totalSize"] == 1
    assert found["records"][0]["Title"] == "Rear Admiral"


def test_collections_and_errors(sf):
    results = sf.restful(
        "composite/sobjects",
        method="POST",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Lead"}, "LastName": "One", "Company": "C1"},
                {"attributes": {"type": "Lead"}, "LastName": "Two"},
                {"attributes": {"type": "Contact"}, "LastName": "Three"},
            ],
        },
    )
    assert results[0]["success"] is True
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Company]",
                "fields": ["Company"],
            }
        ],
    }
    assert results[2]["success"] is True
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Lead.create({"LastName": "Bad", "Company": "X", "Email": "not-an-email"})
    assert raised.value.content[0]["errorCode"] == "INVALID_EMAIL_ADDRESS"


def test_limits_describe_and_api_usage(sf, https_emulator):
    server, org_id = https_emulator
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 15000
    usage = emulator_state(server.app).store.api_usage(org_id)
    assert limits["DailyApiRequests"]["Remaining"] == usage.max - usage.used
    assert sf.api_usage["api-usage"].total == 15000
    assert sf.api_usage["api-usage"].used == usage.used
    describe = sf.Lead.describe()
    assert describe["keyPrefix"] == "00Q"
    lead_source = next(f for f in describe["fields"] if f["name"] == "LeadSource")
    assert "Lemontaps" in [p["value"] for p in lead_source["picklistValues"]]
