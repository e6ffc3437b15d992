"""The seeded demo orgs: a production org the demo admins connect, and a sandbox of it.

Deterministic: a fresh store always gets the same org, user and record ids.
"""

from __future__ import annotations

from typing import Any

from . import orgs
from .store import Store

DEMO_CLIENT_ID = "3MVG9LemontapsDemoClientId"
DEMO_CLIENT_SECRET = "lemontaps-demo-secret"
DEMO_PASSWORD = orgs.DEFAULT_PASSWORD
DEMO_ADMIN_USERNAME = "admin@demo.lemontaps.test"
DEMO_CALLBACK_URLS = [
    "http://127.0.0.1:5000/integrations/salesforce/callback",
    "http://localhost:5000/integrations/salesforce/callback",
    "http://localhost/integrations/salesforce/callback",
]
DEMO_ORG_NAME = "Lemontaps Demo"
LEMONTAPS_CUSTOMIZATION = {
    "picklist_additions": {
        "Lead": {"LeadSource": ["Lemontaps"]},
        "Contact": {"LeadSource": ["Lemontaps"]},
    },
}
SANDBOX_ORG_NAME = "Lemontaps Demo (Sandbox dev)"
SANDBOX_SUFFIX = ".dev"


def demo_org_spec(callback_urls: list[str] | None = None) -> dict[str, Any]:
    callbacks = list(DEMO_CALLBACK_URLS)
    callbacks += [url for url in callback_urls or [] if url not in callbacks]
    return {
        "name": DEMO_ORG_NAME,
        "kind": "production",
        "my_domain": "lemontaps-demo",
        "limits": {"daily_api_requests_max": 15000, "daily_api_requests_used": 0},
        # The demo admin added "Lemontaps" to LeadSource (issue 6), as the product expects.
        "settings": {"customization": LEMONTAPS_CUSTOMIZATION},
        # Dana, Anna and Ben are the same people as the demo app's users (lemontaps/demo.py):
        # same names and e-mails, so owners match by e-mail (tests/test_demo_people.py).
        "users": [
            {
                "ref": "admin",
                "username": DEMO_ADMIN_USERNAME,
                "first_name": "Dana",
                "last_name": "Admin",
                "profile": "System Administrator",
            },
            {
                "ref": "anna",
                "username": "anna@demo.lemontaps.test",
                "first_name": "Anna",
                "last_name": "Weber",
                "profile": "Standard User",
                "title": "Sales Rep",
            },
            {
                "ref": "ben",
                "username": "ben@demo.lemontaps.test",
                "first_name": "Ben",
                "last_name": "Okafor",
                "profile": "Standard User",
                "title": "Sales Rep",
            },
            {
                "ref": "inactive",
                "username": "former@demo.lemontaps.test",
                "first_name": "Frank",
                "last_name": "Former",
                "profile": "Standard User",
                "active": False,
            },
            {
                "ref": "partner",
                "username": "partner@demo.lemontaps.test",
                "first_name": "Paula",
                "last_name": "Partner",
                "profile": "Partner Community User",
                "user_type": "PowerPartner",
            },
        ],
        "connected_apps": [
            {
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "name": "Lemontaps",
                "callback_urls": callbacks,
                "client_credentials_user": DEMO_ADMIN_USERNAME,
            },
        ],
        "records": with_person_names(demo_records()),
    }


def with_person_names(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lead/Contact Name as Salesforce computes it ("First Last"), for seeded rows."""
    for record in records:
        fields = record["fields"]
        if record["type"] in ("Lead", "Contact") and "Name" not in fields:
            parts = [fields.get("FirstName"), fields.get("LastName")]
            fields["Name"] = " ".join(p for p in parts if p)
    return records


def demo_records() -> list[dict[str, Any]]:
    return [
        {
            "ref": "acct",
            "type": "Account",
            "fields": {
                "Name": "Example Corp",
                "Website": "https://example.com",
                "OwnerId": "$ref:ben",
            },
        },
        {
            "ref": "campaign",
            "type": "Campaign",
            "fields": {
                "Name": "Trade Fair 2026",
                "IsActive": True,
                "Status": "In Progress",
                "Type": "Trade Show",
                "OwnerId": "$ref:admin",
            },
        },
        {
            "type": "CampaignMemberStatus",
            "fields": {
                "CampaignId": "$ref:campaign",
                "Label": "Sent",
                "IsDefault": True,
                "HasResponded": False,
                "SortOrder": 1,
            },
        },
        {
            "type": "CampaignMemberStatus",
            "fields": {
                "CampaignId": "$ref:campaign",
                "Label": "Responded",
                "IsDefault": False,
                "HasResponded": True,
                "SortOrder": 2,
            },
        },
        {
            "type": "CampaignMemberStatus",
            "fields": {
                "CampaignId": "$ref:campaign",
                "Label": "Met at booth",
                "IsDefault": False,
                "HasResponded": True,
                "SortOrder": 3,
            },
        },
        {
            "ref": "dupLead",
            "type": "Lead",
            "fields": {
                "FirstName": "Dora",
                "LastName": "Duplicate",
                "Company": "Example Corp",
                "Email": "dup.lead@example.com",
                "Status": "Open - Not Contacted",
                "LeadSource": "Web",
                "OwnerId": "$ref:anna",
                "IsConverted": False,
            },
        },
        {
            "type": "Lead",
            "fields": {
                "FirstName": "Oskar",
                "LastName": "Open",
                "Company": "Open Leads GmbH",
                "Email": "oskar@openleads.example",
                "Status": "Working - Contacted",
                "OwnerId": "$ref:ben",
                "IsConverted": False,
            },
        },
        {
            "ref": "dupContact",
            "type": "Contact",
            "fields": {
                "FirstName": "Carl",
                "LastName": "Contact",
                "Email": "dup.contact@example.com",
                "AccountId": "$ref:acct",
                "OwnerId": "$ref:ben",
            },
        },
        {
            "ref": "convertedContact",
            "type": "Contact",
            "fields": {
                "FirstName": "Conny",
                "LastName": "Converted",
                "Email": "conny@example.com",
                "AccountId": "$ref:acct",
                "OwnerId": "$ref:anna",
            },
        },
        {
            "type": "Lead",
            "fields": {
                "FirstName": "Conny",
                "LastName": "Converted",
                "Company": "Example Corp",
                "Email": "conny@example.com",
                "Status": "Closed - Converted",
                "OwnerId": "$ref:anna",
                "IsConverted": True,
                "ConvertedDate": "2026-01-15",
                "ConvertedContactId": "$ref:convertedContact",
                "ConvertedAccountId": "$ref:acct",
            },
        },
        {
            "type": "CampaignMember",
            "fields": {
                "CampaignId": "$ref:campaign",
                "LeadId": "$ref:dupLead",
                "Status": "Sent",
                "HasResponded": False,
            },
        },
        {
            "type": "AssignmentRule",
            "fields": {"Name": "Standard Lead Assignment", "SobjectType": "Lead", "Active": False},
        },
    ]


def sandbox_org_spec() -> dict[str, Any]:
    """A sandbox copy: usernames get the sandbox suffix, e-mails get '.invalid' appended
    (as Salesforce does when it copies users into a sandbox)."""
    production = demo_org_spec()
    users = []
    for user in production["users"]:
        users.append(
            {
                **user,
                "username": user["username"] + SANDBOX_SUFFIX,
                "email": user["username"] + ".invalid",
            }
        )
    return {
        "name": SANDBOX_ORG_NAME,
        "kind": "sandbox",
        "my_domain": "lemontaps-demo--dev",
        "limits": {"daily_api_requests_max": 5000000, "daily_api_requests_used": 0},
        "settings": {"customization": LEMONTAPS_CUSTOMIZATION},
        "users": users,
        "records": with_person_names(
            [
                {
                    "type": "Lead",
                    "fields": {
                        "FirstName": "Sandy",
                        "LastName": "Sandbox",
                        "Company": "Sandbox Corp",
                        "Email": "sandy@example.com.invalid",
                        "Status": "Open - Not Contacted",
                        "OwnerId": "$ref:admin",
                        "IsConverted": False,
                    },
                },
            ]
        ),
    }


def seed_demo(store: Store, callback_urls: list[str] | None = None) -> None:
    """Create the demo orgs if the store has none yet (safe to call from several processes)."""
    with store.transaction() as conn:
        seeded = conn.execute("SELECT 1 FROM orgs WHERE name = ?", (DEMO_ORG_NAME,)).fetchone()
        if not seeded:
            for serial, spec in enumerate((demo_org_spec(callback_urls), sandbox_org_spec()), 1):
                taken = conn.execute("SELECT 1 FROM orgs WHERE serial = ?", (serial,)).fetchone()
                if taken:
                    serial = conn.execute("SELECT MAX(serial) + 1 FROM orgs").fetchone()[0]
                org_id = orgs.ids.make_id("00D", serial, 0)
                orgs.build_org(store, conn, org_id, serial, spec)
    if callback_urls and store.get_app(DEMO_CLIENT_ID):
        store.add_callback_urls(DEMO_CLIENT_ID, callback_urls)


def demo_org_id(store: Store) -> str:
    for org in store.list_orgs():
        if org["name"] == DEMO_ORG_NAME:
            return org["id"]
    raise LookupError("demo org not seeded")


def sandbox_org_id(store: Store) -> str:
    for org in store.list_orgs():
        if org["name"] == SANDBOX_ORG_NAME:
            return org["id"]
    raise LookupError("sandbox org not seeded")
