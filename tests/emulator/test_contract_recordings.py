"""Replays the 26 real recordings of sf-functions-python against the emulator.

Each recording gets a fresh org holding what it needs (records with the recorded ids where the
request depends on them, custom objects with the recorded key prefixes) and the recorded
daily limit. Compared: status, Content-Type (or its absence), Sforce-Limit-Info, Location,
and the JSON body: exactly for errors and for queries whose data we reproduce, by shape (keys
and value types, recursively) where the emulator generates ids.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlencode

import pytest
from data_helpers import mappings_dir
from data_helpers import new_org

RECORDED = [
    "composite-graph-create-tree",
    "composite-graph-create",
    "composite-graph-single-create-error",
    "composite-graph-single-delete",
    "composite-graph-single-update",
    "create-binary-data",
    "create-invalid-field",
    "create-invalid-picklist-value",
    "create-required-field-missing",
    "create-unknown-object",
    "create",
    "delete-already-deleted",
    "delete",
    "query-binary-data-subsequent-request",
    "query-binary-data",
    "query-malformed-soql",
    "query-unknown-column",
    "query-with-associated-data",
    "query-with-next-records-url-2",
    "query-with-next-records-url",
    "query-with-subquery",
    "query",
    "update-binary-data",
    "update-invalid-field",
    "update-malformed-id",
    "update",
]
HAND_MADE = {"query-unexpected-response"}
LIMIT_RE = re.compile(r"^api-usage=\d+/\d+$")


def movie_fields() -> list[dict]:
    return [
        {
            "name": "Rating__c",
            "type": "picklist",
            "label": "Rating",
            "restrictedPicklist": True,
            "picklist": ["Excellent", "Good", "Average", "Poor"],
        },
        {"name": "ReleaseDate__c", "type": "date", "label": "Release Date"},
        {
            "name": "Franchise__c",
            "type": "reference",
            "label": "Franchise",
            "reference_to": ["Franchise__c"],
            "length": 18,
        },
    ]


def customization(movie_prefix: str) -> dict:
    return {
        "custom_objects": {
            "Movie__c": {"label": "Movie", "key_prefix": movie_prefix, "fields": movie_fields()},
            "Franchise__c": {"label": "Franchise", "key_prefix": "a03", "fields": []},
            "Spaceship__c": {
                "label": "Spaceship",
                "key_prefix": "a02",
                "fields": [
                    {"name": "Website__c", "type": "url", "label": "Website", "required": True}
                ],
            },
            "random__c": {
                "label": "Random",
                "key_prefix": "a01" if movie_prefix == "a00" else "a04",
                "fields": [
                    {"name": "RANDOM_1__c", "type": "string", "length": 20},
                    {"name": "RANDOM_2__c", "type": "string", "length": 20},
                ],
            },
        }
    }


def load(name: str) -> dict:
    mapping = json.loads((mappings_dir() / f"{name}.json").read_text())
    if "body" in mapping["response"]:
        mapping["response"]["json"] = json.loads(mapping["response"]["body"])
    return mapping


def record_id_of(record: dict) -> str:
    return record["attributes"]["url"].rsplit("/", 1)[-1]


def seed_query_records(org, records: list[dict]) -> None:
    """Store what a recorded query returned, with the recorded ids (parents and children too)."""
    for record in records:
        fields = {}
        for key, value in record.items():
            if key == "attributes":
                continue
            if isinstance(value, dict) and "records" in value:  # child subquery
                continue
            if isinstance(value, dict) and "attributes" in value:  # parent relationship
                parent_id = record_id_of(value)
                if not org.store.get_record(org.org_id, parent_id):
                    org.fixture(
                        value["attributes"]["type"],
                        {k: v for k, v in value.items() if k != "attributes"},
                        parent_id,
                    )
                fields[f"{key}Id"] = parent_id
                continue
            fields[key] = value
        record_type = record["attributes"]["type"]
        org.fixture(record_type, fields, record_id_of(record))
        for value in record.values():
            if isinstance(value, dict) and "records" in value:
                for child in value["records"]:
                    child_fields = {k: v for k, v in child.items() if k != "attributes"}
                    child_fields["AccountId"] = record_id_of(record)
                    org.fixture(child["attributes"]["type"], child_fields, record_id_of(child))


def prepare(org, name: str, mapping: dict) -> None:
    """Put into the org what the recorded request relies on."""
    body = mapping["response"].get("json")
    if name in ("query", "query-with-associated-data", "query-with-subquery"):
        seed_query_records(org, body["records"])
    elif name == "query-with-next-records-url":
        page2 = load("query-with-next-records-url-2")["response"]["json"]
        seed_query_records(org, body["records"] + page2["records"])
        for number in range(body["totalSize"] - 4000):
            org.fixture("random__c", {"RANDOM_1__c": f"F{number}", "RANDOM_2__c": None})
    elif name in ("query-binary-data", "query-binary-data-subsequent-request"):
        blob = load("query-binary-data-subsequent-request")["response"]["base64Body"]
        org.fixture(
            "ContentVersion",
            {"Title": "song", "PathOnClient": "song.mp3", "VersionData": blob},
            "0687S00000AX37OQAT",
        )
    elif name == "update":
        org.fixture("Movie__c", {"Name": "The Empire Strikes Back"}, "a00B000000FSjVUIA1")
    elif name == "update-binary-data":
        org.fixture(
            "ContentVersion",
            {"Title": "File", "PathOnClient": "file.bin", "VersionData": "AAAA"},
            "0687S00000AX5kgQAD",
        )
    elif name == "delete":
        org.fixture("Account", {"Name": "To delete"}, "001B000001Lp1FxIAJ")
    elif name == "delete-already-deleted":
        org.fixture("Account", {"Name": "Deleted"}, "001B000001Lp1G2IAJ", deleted=True)
    elif name == "composite-graph-single-delete":
        org.fixture("Movie__c", {"Name": "A New Hope"}, "a01B0000009gSr9IAE")
    elif name == "composite-graph-single-update":
        org.fixture("Movie__c", {"Name": "A New Hope"}, "a01B0000009gSrFIAU")


def send(org, mapping: dict):
    request = mapping["request"]
    path = request.get("url") or request["urlPath"]
    params = {
        key: matcher["equalTo"] for key, matcher in (request.get("queryParameters") or {}).items()
    }
    if params:
        path += "?" + urlencode(params)
    body = None
    for pattern in request.get("bodyPatterns") or []:
        if "equalToJson" in pattern:
            body = json.loads(pattern["equalToJson"])
    return org.request(request["method"], path, body)


def assert_same_shape(expected, actual, where="body"):
    """Same keys and value types, recursively (numbers of either kind match each other)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert set(actual) == set(expected), f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            assert_same_shape(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), (
            f"{where}: {len(actual)} items, expected {len(expected)}"
        )
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            assert_same_shape(want, got, f"{where}[{index}]")
    elif expected is None:
        assert actual is None, f"{where}: expected null, got {actual!r}"
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{where}: expected a boolean, got {actual!r}"
    elif isinstance(expected, (int, float)):
        assert isinstance(actual, (int, float)) and not isinstance(actual, bool), where
    else:
        assert isinstance(actual, type(expected)), f"{where}: expected {type(expected)}"


def check_headers(mapping: dict, response) -> None:
    recorded = mapping["response"].get("headers", {})
    if "Content-Type" in recorded:
        assert response.headers.get("Content-Type") == recorded["Content-Type"]
    else:
        assert "Content-Type" not in response.headers
    assert "Sforce-Limit-Info" in recorded
    usage = response.headers.get("Sforce-Limit-Info", "")
    assert LIMIT_RE.match(usage), usage
    assert usage.split("/")[1] == recorded["Sforce-Limit-Info"].split("/")[1]
    if "Location" in recorded:
        prefix = recorded["Location"].rsplit("/", 1)[0]
        location = response.headers.get("Location", "")
        assert location.startswith(prefix + "/")
        assert location.rsplit("/", 1)[1] == response.json["id"]


def movie_prefix_for(name: str) -> str:
    return "a01" if name.startswith("composite-graph") else "a00"


def recorded_limit(mapping: dict) -> int:
    return int(mapping["response"]["headers"]["Sforce-Limit-Info"].split("/")[1])


def test_every_real_recording_is_replayed():
    names = {path.stem for path in mappings_dir().glob("*.json")}
    assert names - HAND_MADE == set(RECORDED)
    assert len(RECORDED) == 26


@pytest.mark.parametrize("name", RECORDED)
def test_recording(emulator_app, name):  # noqa: F811
    mapping = load(name)
    org = new_org(
        emulator_app,
        "Recorded Org",
        customization(movie_prefix_for(name)),
        api_max=recorded_limit(mapping),
    )
    prepare(org, name, mapping)
    expected = mapping["response"]
    if name == "query-with-next-records-url-2":
        first_page = load("query-with-next-records-url")
        prepare(org, "query-with-next-records-url", first_page)
        first = send(org, first_page)
        response = org.get(first.json["nextRecordsUrl"])
    else:
        response = send(org, mapping)
    assert response.status_code == expected["status"], response.get_data(as_text=True)[:500]
    check_headers(mapping, response)
    if "base64Body" in expected:
        assert response.get_data() == base64.b64decode(expected["base64Body"])
        return
    if "json" not in expected:
        assert response.get_data() == b""
        return
    body = response.json
    assert_same_shape(expected["json"], body)
    if expected["status"] >= 400 or name.startswith("query") and "next-records" not in name:
        assert body == expected["json"]  # errors and reproduced query data: exactly
    if "next-records" in name:
        assert re.fullmatch(
            r"/services/data/v53\.0/query/01g[A-Za-z0-9]{15}-\d+", body["nextRecordsUrl"]
        )
        assert body["records"] == expected["json"]["records"]
        assert body["totalSize"] == expected["json"]["totalSize"]
    if name == "composite-graph-single-create-error":
        assert body == expected["json"]
