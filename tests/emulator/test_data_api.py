"""Data API endpoints: counting per endpoint, limits, paths, upsert, composite, request size."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

from salesforce_emulator import faults

LEAD = {"LastName": "Smith", "Company": "Acme"}


def q(org, soql: str, resource: str = "query"):  # noqa: F811
    return org.get(org.data(f"{resource}/?" + urlencode({"q": soql})))


def test_versions_need_no_auth_and_do_not_count(org):  # noqa: F811
    for path in ("/services/data", "/services/data/"):
        response = org.app.test_client().get(path)
        assert response.status_code == 200
        assert "Sforce-Limit-Info" not in response.headers
        assert {
            "label": "Winter '24",
            "url": "/services/data/v59.0",
            "version": "59.0",
        } in response.json
    assert org.calls()["used"] == 0


def test_every_data_request_counts_once_including_failures_and_pages(org):  # noqa: F811
    for number in range(450):
        org.fixture("Account", {"Name": f"A{number}"})
    first = org.get(
        org.data("query/?q=SELECT+Id+FROM+Account"),
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    assert first.json["done"] is False and len(first.json["records"]) == 200
    second = org.get(first.json["nextRecordsUrl"])
    third = org.get(second.json["nextRecordsUrl"])
    assert third.json["done"] is True and "nextRecordsUrl" not in third.json
    assert len(third.json["records"]) == 50
    org.post(org.data("sobjects/Lead"), {"LastName": "NoCompany"})  # 400, still counted
    org.get(org.data("sobjects/Lead/describe/"))
    org.post(
        org.data("composite/sobjects"), {"records": [{"attributes": {"type": "Lead"}, **LEAD}] * 3}
    )
    org.app.test_client().get(org.data("limits"))  # no token: 401, not counted
    calls = org.calls()
    assert calls["used"] == calls["total"] == 6
    by_endpoint = {(c["method"], c["endpoint"]): c["count"] for c in calls["calls"]}
    assert by_endpoint == {
        ("GET", "query"): 1,
        ("GET", "query/{locator}"): 2,
        ("POST", "sobjects/Lead"): 1,
        ("GET", "sobjects/Lead/describe"): 1,
        ("POST", "composite/sobjects"): 1,
    }
    limit = org.get(org.data("limits/"))
    assert limit.headers["Sforce-Limit-Info"] == "api-usage=7/15000"
    assert limit.json["DailyApiRequests"] == {"Max": 15000, "Remaining": 14993}


def test_spent_daily_limit_is_refused_and_not_counted(org):  # noqa: F811
    org.store.set_limits(org.org_id, api_max=3, api_used=2)
    assert org.get(org.data("limits")).status_code == 200
    refused = org.get(org.data("limits"))
    assert refused.status_code == 403
    assert refused.json == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=3/3"
    assert org.store.api_usage(org.org_id).used == 3


def test_concurrent_long_requests_over_the_cap(org):  # noqa: F811
    org.store.update_org_settings(
        org.org_id, concurrent_long_requests_max=1, long_request_seconds=0.05
    )
    faults.add_rule(
        org.store, org.org_id, {"kind": "latency", "ms": 800, "path": "/services/data/v59.0/limits"}
    )
    slow = threading.Thread(target=lambda: org.get(org.data("limits")).close())
    slow.start()
    time.sleep(0.3)
    refused = org.get(org.data("sobjects/Lead/describe"))
    slow.join()
    assert refused.status_code == 403
    assert refused.json == [
        {
            "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]
    assert org.get(org.data("sobjects/Lead/describe")).status_code == 200


def test_trailing_slashes_and_resource_list(org):  # noqa: F811
    for rest in ("sobjects/Lead", "sobjects/Lead/"):
        response = org.post(org.data(rest), LEAD)
        assert response.status_code == 201
        assert response.headers["Location"].endswith(response.json["id"])
    assert org.get(org.data("")).json["query"] == "/services/data/v59.0/query"
    assert org.get(org.data("sobjects/")).json["sobjects"]


def test_ids_are_18_characters_with_prefix_and_checksum(org):  # noqa: F811
    from salesforce_emulator import ids

    lead_id = org.post(org.data("sobjects/Lead"), LEAD).json["id"]
    assert len(lead_id) == 18 and lead_id.startswith("00Q") and ids.is_valid(lead_id)
    by_15 = org.get(org.data(f"sobjects/Lead/{lead_id[:15]}"))
    assert by_15.json["Id"] == lead_id
    wrong = org.get(org.data(f"sobjects/Contact/{lead_id}"))
    assert wrong.json[0]["errorCode"] == "MALFORMED_ID"


def test_upsert_statuses(org):  # noqa: F811
    path = org.data("sobjects/Lead/Lemontaps_Id__c/t-1")
    created = org.patch(path, LEAD)
    assert created.status_code == 201
    assert created.json == {
        "id": created.json["id"],
        "success": True,
        "errors": [],
        "created": True,
    }
    updated = org.patch(path, {"Title": "CTO"})
    assert updated.status_code == 200 and updated.json["created"] is False
    old_api = org.patch(path.replace("v59.0", "v42.0"), {"Title": "CEO"})
    assert old_api.status_code == 204
    # Several matches (300) need a key that is not unique: Email is an idLookup field.
    org.fixture("Lead", {**LEAD, "Email": "twice@example.com"})
    org.fixture("Lead", {**LEAD, "Email": "TWICE@example.com"})
    several = org.patch(org.data("sobjects/Lead/Email/twice@example.com"), LEAD)
    assert several.status_code == 300 and len(several.json) == 2
    missing = org.patch(org.data("sobjects/Lead/Nope__c/x"), LEAD)
    assert missing.status_code == 404


def test_collections_upsert_and_all_or_none(org):  # noqa: F811
    path = org.data("composite/sobjects/Lead/Lemontaps_Id__c")
    first = org.patch(
        path, {"records": [{"attributes": {"type": "Lead"}, "Lemontaps_Id__c": "u1", **LEAD}]}
    )
    again = org.patch(
        path,
        {"records": [{"attributes": {"type": "Lead"}, "Lemontaps_Id__c": "U1", "Title": "Again"}]},
    )
    assert [first.json[0]["created"], again.json[0]["created"]] == [True, False]
    assert again.json[0]["id"] == first.json[0]["id"]
    response = org.post(
        org.data("composite/sobjects"),
        {
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Lead"}, **LEAD},
                {"attributes": {"type": "Lead"}, "LastName": "No company"},
            ],
        },
    )
    assert response.status_code == 200
    assert response.json[0] == {
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request "
                "was using AllOrNone header",
                "fields": [],
            }
        ],
    }
    assert response.json[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert len(org.records("Lead")) == 1
    too_many = org.post(
        org.data("composite/sobjects"),
        {"records": [{"attributes": {"type": "Lead"}, **LEAD}] * 201},
    )
    assert too_many.status_code == 400


def test_composite_references_and_rollback(org):  # noqa: F811
    body = {
        "allOrNone": False,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "refAccount",
                "body": {"Name": "Sample"},
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Contact",
                "referenceId": "refContact",
                "body": {"LastName": "C", "AccountId": "@{refAccount.id}"},
            },
            {
                "method": "GET",
                "url": "/services/data/v59.0/query?q=SELECT+Id+FROM+Contact",
                "referenceId": "refQuery",
            },
            {
                "method": "PATCH",
                "url": "/services/data/v59.0/sobjects/Contact/@{refQuery.records[0].Id}",
                "referenceId": "refUpdate",
                "body": {"Title": "Boss"},
            },
        ],
    }
    response = org.post(org.data("composite"), body)
    results = response.json["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 201, 200, 204]
    assert results[0]["httpHeaders"]["Location"].endswith(results[0]["body"]["id"])
    assert results[3]["body"] is None and results[3]["httpHeaders"] == {}
    contact = org.records("Contact")[0]
    assert contact["AccountId"] == results[0]["body"]["id"] and contact["Title"] == "Boss"
    assert org.calls()["total"] == 1
    failing = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Account",
                "referenceId": "a",
                "body": {"Name": "Rolled back"},
            },
            {
                "method": "POST",
                "url": "/services/data/v59.0/sobjects/Lead",
                "referenceId": "b",
                "body": {"LastName": "No company"},
            },
        ],
    }
    results = org.post(org.data("composite"), failing).json["compositeResponse"]
    assert results[0] == {
        "body": [
            {
                "errorCode": "PROCESSING_HALTED",
                "message": (
                    "The transaction was rolled back since another operation in the same transaction "
                    "failed."
                ),
            }
        ],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": "a",
    }
    assert results[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert [r["Name"] for r in org.records("Account")] == ["Sample"]
    halted = org.post(
        org.data("composite"),
        {
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": "/services/data/v59.0/sobjects/Lead",
                    "referenceId": "x",
                    "body": {"LastName": "No company"},
                },
                {
                    "method": "POST",
                    "url": "/services/data/v59.0/sobjects/Contact",
                    "referenceId": "y",
                    "body": {"LastName": "C", "AccountId": "@{x.id}"},
                },
            ]
        },
    ).json["compositeResponse"]
    assert halted[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert halted[1]["body"][0]["message"].startswith(
        "Invalid reference specified. No value for x.id found in x."
    )
    too_many = {
        "compositeRequest": [
            {"method": "GET", "url": "/services/data/v59.0/limits", "referenceId": f"r{i}"}
            for i in range(26)
        ]
    }
    assert org.post(org.data("composite"), too_many).status_code == 400
    queries = {
        "compositeRequest": [
            {
                "method": "GET",
                "url": "/services/data/v59.0/query?q=SELECT+Id+FROM+Lead",
                "referenceId": f"q{i}",
            }
            for i in range(6)
        ]
    }
    assert org.post(org.data("composite"), queries).status_code == 400


def test_query_all_sees_deleted_rows_and_child_subqueries(org):  # noqa: F811
    account = org.post(org.data("sobjects/Account"), {"Name": "Parent"}).json["id"]
    contact = org.post(org.data("sobjects/Contact"), {"LastName": "Kid", "AccountId": account})
    org.delete(org.data(f"sobjects/Contact/{contact.json['id']}"))
    assert q(org, "SELECT Id FROM Contact").json["totalSize"] == 0
    assert q(org, "SELECT Id FROM Contact", "queryAll").json["totalSize"] == 1
    again = org.delete(org.data(f"sobjects/Contact/{contact.json['id']}"))
    assert again.status_code == 404 and again.json[0]["errorCode"] == "ENTITY_IS_DELETED"
    org.post(org.data("sobjects/Contact"), {"LastName": "Kid2", "AccountId": account})
    nested = q(org, "SELECT Name, (SELECT LastName FROM Contacts) FROM Account").json
    assert nested["records"][0]["Contacts"]["records"][0]["LastName"] == "Kid2"
    count = q(org, "SELECT COUNT() FROM Contact").json
    assert count == {"totalSize": 1, "done": True, "records": []}
    bad = q(org, "SELECT Nope__c FROM Contact")
    assert bad.status_code == 400 and bad.json[0]["errorCode"] == "INVALID_FIELD"


def test_request_line_and_headers_over_16k(org):  # noqa: F811
    long_query = org.get(org.data("query?q=" + "x" * 17000))
    assert long_query.status_code == 414
    big_header = org.get(org.data("limits"), headers={"X-Padding": "y" * 17000})
    assert big_header.status_code == 431
    assert org.calls()["used"] == 0


def test_customization_control_endpoints(org):  # noqa: F811
    client = org.app.test_client()
    base = f"/__emulator/orgs/{org.org_id}"
    patched = client.patch(f"{base}/customization", json={"state_country_picklists": True})
    assert patched.status_code == 200 and patched.json["state_country_picklists"] is True
    assert client.patch(f"{base}/customization", json={"bogus": 1}).status_code == 400
    fixtures = client.post(
        f"{base}/fixtures",
        json={
            "records": [
                {"type": "Account", "id": "001B000001LntWlIAJ", "fields": {"Name": "Fixed"}}
            ]
        },
    )
    assert fixtures.json == {"ids": ["001B000001LntWlIAJ"]}
    queue = client.post(f"{base}/queues", json={"name": "Inbound"}).json
    assert queue["id"].startswith("00G")
    usage = client.get(f"{base}/api-usage").json
    assert usage["used"] == 0 and usage["max"] == 15000
