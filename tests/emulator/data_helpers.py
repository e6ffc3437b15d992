"""Helpers for the data-API tests: a fresh emulator app, orgs built from specs, a logged-in
client that speaks the data API, and where the recordings live."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from salesforce_emulator import org_tools
from salesforce_emulator import orgs
from salesforce_emulator.state import emulator_state

# The field the product's README asks an org to add: unique, external id, on Lead and Contact.
LEMONTAPS_ID_FIELD = {
    "name": "Lemontaps_Id__c",
    "type": "string",
    "length": 64,
    "externalId": True,
    "unique": True,
    "label": "Lemontaps Id",
}

REPO = Path(__file__).resolve().parents[2]
CLIENT_SECRET = "test-secret"
PASSWORD = "test-pass-1"
VERSION = "v59.0"


# Third-party recordings of real Salesforce answers, kept in the repository (licences inside).
RECORDINGS = REPO / "tests" / "recordings"


def mappings_dir() -> Path:
    return RECORDINGS / "sf-functions-python/tests/wiremock/mappings"


@dataclass
class OrgClient:
    """One org of the emulator and a bearer token of its admin, over Flask's test client."""

    app: Any
    org_id: str
    token: str
    users: dict[str, str]  # ref → user id
    client_id: str
    default_headers: dict[str, str] = field(default_factory=dict)

    @property
    def store(self):
        return emulator_state(self.app).store

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict | None = None,
        raw: bytes | None = None,
    ):
        all_headers = {
            "Authorization": f"Bearer {self.token}",
            **self.default_headers,
            **(headers or {}),
        }
        client = self.app.test_client()
        if body is not None:
            return client.open(
                path,
                method=method,
                data=json.dumps(body),
                content_type="application/json",
                headers=all_headers,
            )
        return client.open(path, method=method, data=raw, headers=all_headers)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs):
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def data(self, rest: str) -> str:
        return f"/services/data/{VERSION}/{rest}"

    def customize(self, **changes: Any) -> dict:
        return org_tools.customize_org(self.store, self.org_id, **changes)

    def fixture(
        self, sobject: str, fields: dict, record_id: str | None = None, deleted: bool = False
    ) -> str:
        return org_tools.insert_fixture(
            self.store, self.org_id, sobject, fields, record_id, deleted
        )["Id"]

    def records(self, sobject: str, include_deleted: bool = False) -> list[dict]:
        return self.store.list_records(self.org_id, sobject, include_deleted)

    def calls(self) -> dict:
        return org_tools.api_calls(self.store, self.org_id)


def org_spec(
    name: str, customization: dict | None = None, api_max: int = 15000, client_id: str | None = None
) -> dict:
    slug = "".join(ch for ch in name.lower() if ch.isalnum())
    return {
        "name": name,
        "limits": {"daily_api_requests_max": api_max},
        "settings": {"customization": customization or {}},
        "users": [
            {
                "ref": "admin",
                "username": f"admin@{slug}.test",
                "first_name": "Ada",
                "last_name": "Admin",
                "profile": "System Administrator",
                "password": PASSWORD,
            },
            {
                "ref": "rep",
                "username": f"rep@{slug}.test",
                "first_name": "Rita",
                "last_name": "Rep",
                "password": PASSWORD,
            },
            {
                "ref": "inactive",
                "username": f"gone@{slug}.test",
                "first_name": "Gus",
                "last_name": "Gone",
                "active": False,
                "password": PASSWORD,
            },
            {
                "ref": "partner",
                "username": f"partner@{slug}.test",
                "first_name": "Pia",
                "last_name": "Partner",
                "profile": "Partner Community User",
                "user_type": "PowerPartner",
                "password": PASSWORD,
            },
        ],
        "connected_apps": [
            {
                "client_id": client_id or f"cid-{slug}",
                "client_secret": CLIENT_SECRET,
                "name": "Tests",
                "callback_urls": ["http://127.0.0.1/cb"],
            }
        ],
    }


def new_org(
    app, name: str = "Data Org", customization: dict | None = None, api_max: int = 15000
) -> OrgClient:
    store = emulator_state(app).store
    spec = org_spec(name, customization, api_max)
    org = orgs.create_org(store, spec)
    client_id = spec["connected_apps"][0]["client_id"]
    users = {
        user["ref"]: next(
            u["Id"] for u in store.list_users(org["id"]) if u["Username"] == user["username"]
        )
        for user in spec["users"]
    }
    response = app.test_client().post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": CLIENT_SECRET,
            "username": spec["users"][0]["username"],
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return OrgClient(app, org["id"], response.json["access_token"], users, client_id)
