"""Store-level helpers for org customisation and fixtures (control API and tests use them).

customize_org(store, org_id, custom_fields={"Lead": [{"name": "Lemontaps_Id__c",
              "type": "string", "length": 64, "externalId": True, "unique": True}]})
insert_fixture(store, org_id, "Account", {"Name": "Acme"}, record_id="001B000001LntWlIAJ")
add_queue(store, org_id, "Inbound Leads")  → the queue's 00G id
"""

from __future__ import annotations

import json
from typing import Any

from . import ids
from . import rules
from .org_schema import CUSTOMIZATION_KEY
from .org_schema import OrgCatalog
from .org_schema import customization_of
from .store import Store

CUSTOMIZATION_KEYS = {
    "custom_fields",
    "custom_objects",
    "picklist_additions",
    "state_country_picklists",
    "validation_rules",
    "duplicate_rules",
    "lead_assignment_rule",
    "trigger_failures",
    "duplicate_result_key",
}
GROUP_PREFIX = "00G"


def check_customization(customization: dict[str, Any]) -> None:
    """Raise ValueError for unknown keys, malformed rules or fields that don't build."""
    unknown = set(customization) - CUSTOMIZATION_KEYS
    if unknown:
        raise ValueError(f"unknown customization keys: {', '.join(sorted(unknown))}")
    if customization.get("duplicate_result_key", "duplicateResut") not in (
        "duplicateResut",
        "duplicateResult",
    ):
        raise ValueError("duplicate_result_key must be 'duplicateResut' or 'duplicateResult'")
    rules.validate_customization(customization)
    catalog = OrgCatalog(customization)
    try:
        for name in catalog.all_object_names():
            catalog.schema(name)
    except (KeyError, StopIteration, TypeError) as exc:
        raise ValueError(f"customization does not apply: {exc!r}") from exc


def customize_org(
    store: Store, org_id: str, replace: bool = False, **changes: Any
) -> dict[str, Any]:
    """Merge (or replace) top-level customisation keys; returns the new customisation."""
    org = store.get_org(org_id)
    customization = {} if replace else customization_of(org)
    customization.update(changes)
    check_customization(customization)
    store.update_org_settings(org["id"], **{CUSTOMIZATION_KEY: customization})
    sync_assignment_rule(store, org["id"], customization.get("lead_assignment_rule"))
    return customization


def sync_assignment_rule(store: Store, org_id: str, rule: dict[str, Any] | None) -> None:
    """Keep the org's Lead AssignmentRule record's Active flag in line with the setting."""
    active = bool(rule and rule.get("active"))
    with store.transaction() as conn:
        existing = [
            r
            for r in store.list_records_in(conn, org_id, "AssignmentRule")
            if r.get("SobjectType") == "Lead"
        ]
        if existing:
            for record in existing:
                if bool(record.get("Active")) != active:
                    store.update_record_in(conn, org_id, record["Id"], {"Active": active})
        elif active:
            store.insert_record_in(
                conn,
                org_id,
                "AssignmentRule",
                {
                    "Name": (rule or {}).get("name", "Lead Assignment"),
                    "SobjectType": "Lead",
                    "Active": True,
                },
            )


def insert_fixture(
    store: Store,
    org_id: str,
    sobject: str,
    fields: dict[str, Any],
    record_id: str | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    """Insert a record as-is (no rules), e.g. with the id a recording depends on."""
    with store.transaction() as conn:
        org = store.org_in(conn, org_id)
        catalog = OrgCatalog(customization_of(org))
        schema = catalog.schema(sobject)
        name = schema.name if schema else sobject
        if record_id is None:
            prefix = schema.key_prefix if schema else ids.key_prefix_for(sobject)
            record_id = store.next_id(conn, org["serial"], prefix)
        elif not ids.is_valid(record_id):
            raise ValueError(f"malformed id {record_id}")
        stored = store.insert_record_in(conn, org["id"], name, fields, ids.to_18(record_id))
        if deleted:
            store.delete_record_in(conn, org["id"], stored["Id"])
            stored["IsDeleted"] = True
    return stored


def insert_fixtures(store: Store, org_id: str, records: list[dict[str, Any]]) -> list[str]:
    return [
        insert_fixture(
            store, org_id, r["type"], r.get("fields", {}), r.get("id"), bool(r.get("deleted"))
        )["Id"]
        for r in records
    ]


def add_queue(store: Store, org_id: str, name: str) -> str:
    """A Lead queue (Group of Type 'Queue') that can own Leads; returns its 00G id."""
    return insert_fixture(
        store,
        org_id,
        "Group",
        {"Name": name, "Type": "Queue"},
        record_id=_next_group_id(store, org_id),
    )["Id"]


def _next_group_id(store: Store, org_id: str) -> str:
    with store.transaction() as conn:
        org = store.org_in(conn, org_id)
        return store.next_id(conn, org["serial"], GROUP_PREFIX)


def api_calls(store: Store, org_id: str) -> dict[str, Any]:
    """Counted calls: {"total", "used", "max", "calls": [{method, endpoint, count}]}."""
    calls = store.list_api_calls(org_id)
    usage = store.api_usage(org_id)
    return {
        "total": sum(c["count"] for c in calls),
        "used": usage.used,
        "max": usage.max,
        "calls": calls,
    }


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
