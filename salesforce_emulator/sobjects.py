"""Record operations of the data API (create, read, update, delete, upsert, query).

A ``DataSession`` works inside one store transaction (``conn``) so Composite and Collections
requests can roll back with savepoints; it knows the org, the calling user, the API version
and the request headers that change behaviour (Sforce-Auto-Assign, duplicate rule header).
Nothing here sleeps: the caller holds the store lock for the whole session.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from . import ids
from . import rules
from . import soql
from .api_errors import ApiError
from .api_errors import entity_is_deleted
from .api_errors import json_parser_error
from .api_errors import malformed_id
from .api_errors import not_found
from .org_schema import OrgCatalog
from .org_schema import customization_of
from .schema import ObjectSchema
from .store import Store
from .store import sf_datetime

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
CURSOR_TTL_SECONDS = 15 * 60  # Salesforce drops idle query cursors after 15 minutes
PERSON_OBJECTS = ("Lead", "Contact", "User")
SYSTEM_FIELDS = {
    "Id",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
    "IsDeleted",
}


@dataclass
class Saved:
    record_id: str
    created: bool


@dataclass
class DataSession:
    store: Store
    conn: sqlite3.Connection
    org: dict[str, Any]
    catalog: OrgCatalog
    user_id: str
    api_version: str  # "53.0"
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    instance_url: str = ""
    _savepoints: int = 0

    # ---- helpers ------------------------------------------------------------------------------

    @property
    def org_id(self) -> str:
        return self.org["id"]

    @property
    def customization(self) -> dict[str, Any]:
        return customization_of(self.org)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def with_headers(self, extra: Mapping[str, str]) -> DataSession:
        merged = {**self.headers, **{k.lower(): str(v) for k, v in extra.items()}}
        return replace(self, headers=merged)

    def schema(self, sobject: str) -> ObjectSchema:
        schema = self.catalog.schema(sobject)
        if schema is None:
            raise not_found()
        return schema

    def url_for(self, sobject: str, record_id: str) -> str:
        return f"/services/data/v{self.api_version}/sobjects/{sobject}/{record_id}"

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo everything inside on an exception (allOrNone, failed records)."""
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.conn.execute(f"RELEASE SAVEPOINT {name}")

    def rollback_to(self, name: str) -> None:
        self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")

    def load(self, sobject: str, record_id: str, schema: ObjectSchema) -> dict[str, Any]:
        """The stored record for a path id, or MALFORMED_ID / NOT_FOUND / ENTITY_IS_DELETED."""
        if not ids.is_valid(record_id) or record_id[:3] != schema.key_prefix:
            raise malformed_id(record_id)
        record = self.store.get_record_in(self.conn, self.org_id, ids.to_18(record_id))
        if record is None or record["_type"].lower() != schema.name.lower():
            raise not_found()
        if record["_deleted"]:
            raise entity_is_deleted()
        return record

    # ---- create -------------------------------------------------------------------------------

    def create(self, sobject: str, body: Any) -> str:
        """Insert one record after every rule; returns its id."""
        schema = self.schema(sobject)
        if not isinstance(body, dict):
            raise json_parser_error("Cannot deserialize instance of sObject from a non-object")
        if any(key.lower() == "id" for key in body):
            raise ApiError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        body = self.resolve_parent_keys(schema, body)
        values = rules.check_field_names(schema, body, "insert")
        values = rules.coerce_values(schema, values)
        record = self.defaults(schema)
        record.update({k: v for k, v in values.items() if v is not None})
        self.assign_owner(schema, record)
        rules.check_required(schema, record)
        rules.check_values(schema, values)
        record = rules.apply_state_country(schema, record)
        self.special_rules(schema, record, None)
        if schema.field("OwnerId") is not None:
            rules.check_owner(self.conn, self.org_id, schema.name, record.get("OwnerId"))
        self.compute_names(schema, record)
        self.org_rules(schema, record, "insert")
        self.check_unique(schema, record, None)
        record_id = self.store.next_id(self.conn, self.org["serial"], schema.key_prefix)
        if schema.describe.get("custom") and not record.get("Name"):
            record["Name"] = record_id  # custom objects store the Id as the missing Name
        record["CreatedById"] = record["LastModifiedById"] = self.user_id
        self.store.insert_record_in(self.conn, self.org_id, schema.name, record, record_id)
        return record_id

    def resolve_parent_keys(self, schema: ObjectSchema, body: dict[str, Any]) -> dict[str, Any]:
        """``"Account": {"Ext__c": "A-1"}`` → ``"AccountId": <that Account's id>``.

        REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID"
        (relationship fields set by the parent's external id) [D]; error texts [U].
        """
        out: dict[str, Any] = {}
        for key, value in body.items():
            reference = schema.relationship(key) if isinstance(value, dict) else None
            if reference is None or schema.field(key) is not None:
                out[key] = value
                continue
            out[reference["name"]] = self.parent_by_key(reference, value)
        return out

    def parent_by_key(self, reference: dict[str, Any], value: dict[str, Any]) -> str:
        keys = {k: v for k, v in value.items() if k != "attributes"}
        declared = (
            (value.get("attributes") or {}).get("type")
            if isinstance(value.get("attributes"), dict)
            else None
        )
        targets = reference.get("referenceTo") or []
        target = declared or (targets[0] if len(targets) == 1 else None)
        target_schema = self.catalog.schema(target) if target else None
        if target_schema is None or len(keys) != 1:
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"A foreign key reference on {reference['relationshipName']} must name exactly "
                "one external id field of the parent",
                [reference["name"]],
            )
        ((field_name, key),) = keys.items()
        entry = target_schema.field(field_name)
        if entry is None or not (entry.get("externalId") or entry.get("idLookup")):
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"Provided external ID field does not exist or is not accessible: {field_name}",
                [reference["name"]],
            )
        _, matches = self.find_by_external_id(target_schema, entry["name"], key)
        if len(matches) != 1:
            found = "not found" if not matches else "matches more than one record"
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID: {key} {found} for field {entry['name']} in entity "
                f"{target_schema.name}",
                [],
            )
        return matches[0]

    def defaults(self, schema: ObjectSchema) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for entry in schema.fields:
            if (
                entry["name"] in SYSTEM_FIELDS
                or not entry["createable"]
                and entry["type"] != "boolean"
            ):
                continue
            if entry["type"] == "boolean":
                default = entry.get("defaultValue")
                record[entry["name"]] = default if isinstance(default, bool) else False
            elif entry["defaultedOnCreate"] and entry.get("picklistValues"):
                chosen = next(
                    (p["value"] for p in entry["picklistValues"] if p["defaultValue"]), None
                )
                if chosen is not None:
                    record[entry["name"]] = chosen
        if schema.field("OwnerId") is not None:
            record["OwnerId"] = self.user_id
        return record

    def assign_owner(self, schema: ObjectSchema, record: dict[str, Any]) -> None:
        """An active Lead assignment rule sets the owner (on create and on update) unless
        Sforce-Auto-Assign is FALSE."""
        rule = self.customization.get("lead_assignment_rule") or {}
        if schema.name != "Lead" or not rule.get("active") or not rule.get("owner_id"):
            return
        header = (self.header("Sforce-Auto-Assign") or "TRUE").strip().upper()
        if header in ("FALSE", "0"):
            return
        record["OwnerId"] = rule["owner_id"]

    def compute_names(self, schema: ObjectSchema, record: dict[str, Any]) -> None:
        if schema.name in PERSON_OBJECTS and schema.field("Name") is not None:
            parts = [record.get("FirstName"), record.get("LastName")]
            record["Name"] = " ".join(str(p) for p in parts if p) or None

    def special_rules(
        self, schema: ObjectSchema, record: dict[str, Any], existing: dict[str, Any] | None
    ) -> None:
        """Object-specific behaviour: CampaignMember status and uniqueness."""
        if schema.name != "CampaignMember" or existing is not None:
            return
        if record.get("LeadId") and record.get("ContactId"):
            record.pop("LeadId")  # Salesforce keeps only the ContactId
        member = record.get("ContactId") or record.get("LeadId")
        for other in self.store.list_records_in(self.conn, self.org_id, "CampaignMember"):
            if (
                other.get("CampaignId") == record.get("CampaignId")
                and member
                and member in (other.get("ContactId"), other.get("LeadId"))
            ):
                raise ApiError(400, "DUPLICATE_VALUE", "Already a campaign member.", [])
        statuses = [
            s
            for s in self.store.list_records_in(self.conn, self.org_id, "CampaignMemberStatus")
            if s.get("CampaignId") == record.get("CampaignId")
        ]
        chosen = next((s for s in statuses if s.get("Label") == record.get("Status")), None)
        if chosen is None and statuses:
            chosen = next((s for s in statuses if s.get("IsDefault")), statuses[0])
            record["Status"] = chosen["Label"]
        record["HasResponded"] = bool(chosen and chosen.get("HasResponded"))
        record["LeadOrContactId"] = member

    def org_rules(self, schema: ObjectSchema, record: dict[str, Any], operation: str) -> None:
        custom = self.customization
        rules.check_validation_rules(custom, schema.name, record)
        failure = rules.trigger_failure(custom, schema.name, operation)
        if failure is not None:
            raise failure
        options = rules.parse_duplicate_header(self.header("Sforce-Duplicate-Rule-Header"))
        duplicate = rules.find_duplicates(
            self.conn,
            self.org_id,
            custom,
            schema.name,
            record,
            operation,
            options.get("allowSave", False),
            self.api_version,
            custom.get("duplicate_result_key", "duplicateResut"),
        )
        if duplicate is not None:
            raise duplicate

    def check_unique(
        self, schema: ObjectSchema, values: dict[str, Any], own_id: str | None
    ) -> None:
        """Unique fields refuse a value another live record of the object holds.

        Documented (SOAP API Developer Guide, "StatusCode": DUPLICATE_VALUE; Field "unique"
        property); the message shape is salesforce-api.md §4.2 [S], ``fields`` empty [U].
        """
        unique = [
            entry
            for entry in schema.fields
            if entry.get("unique") and entry["name"] != "Id" and values.get(entry["name"])
        ]
        if not unique:
            return
        for entry in unique:
            wanted = same_value_key(entry, values[entry["name"]])
            stored = self.store.field_values_in(self.conn, self.org_id, schema.name, entry["name"])
            for other_id, value in stored:
                if other_id != own_id and same_value_key(entry, value) == wanted:
                    raise ApiError(
                        400,
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {entry['name']} duplicates value on record "
                        f"with id: {other_id}",
                        [],
                    )

    # ---- update / delete ----------------------------------------------------------------------

    def update(self, sobject: str, record_id: str, body: Any) -> str:
        schema = self.schema(sobject)
        if not isinstance(body, dict):
            raise json_parser_error("Cannot deserialize instance of sObject from a non-object")
        body = {k: v for k, v in body.items() if k.lower() != "id"}
        body = self.resolve_parent_keys(schema, body)
        # Field names are checked before the id (recorded: a bad id with a bad field →
        # INVALID_FIELD).
        values = rules.check_field_names(schema, body, "update")
        existing = self.load(sobject, record_id, schema)
        if schema.name == "Lead" and existing.get("IsConverted"):
            raise ApiError(
                400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", []
            )
        values = rules.coerce_values(schema, values)
        rules.check_values(schema, values)
        cleared = [n for n in schema.required_on_create() if n in values and values[n] is None]
        if cleared:
            raise ApiError(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(cleared)}]",
                cleared,
            )
        current = {k: v for k, v in existing.items() if not k.startswith("_")}
        merged = rules.apply_state_country(schema, {**current, **values}, current)
        # REST API Developer Guide, "Assignment Rule Header": Sforce-Auto-Assign applies to
        # creates and updates and defaults to TRUE [D].
        self.assign_owner(schema, merged)
        if "OwnerId" in values:
            rules.check_owner(self.conn, self.org_id, schema.name, merged.get("OwnerId"))
        self.compute_names(schema, merged)
        self.org_rules(schema, merged, "update")
        self.check_unique(schema, {k: merged.get(k) for k in values}, existing["Id"])
        changes = {k: v for k, v in merged.items() if current.get(k) != v or k in values}
        changes["LastModifiedById"] = self.user_id
        self.store.update_record_in(self.conn, self.org_id, existing["Id"], changes)
        return existing["Id"]

    def delete(self, sobject: str, record_id: str) -> None:
        schema = self.schema(sobject)
        existing = self.load(sobject, record_id, schema)
        if not schema.describe.get("deletable", True):
            raise ApiError(
                400,
                "INVALID_TYPE_FOR_OPERATION",
                f"entity type {schema.name} does not support delete",
                [],
            )
        self.store.delete_record_in(self.conn, self.org_id, existing["Id"])

    # ---- read ---------------------------------------------------------------------------------

    def get(self, sobject: str, record_id: str, fields: list[str] | None = None) -> dict:
        schema = self.schema(sobject)
        record = self.load(sobject, record_id, schema)
        return self.shape(schema, record, fields)

    def shape(
        self, schema: ObjectSchema, record: dict[str, Any], fields: list[str] | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": schema.name, "url": self.url_for(schema.name, record["Id"])}
        }
        entries = schema.fields
        if fields:
            entries = []
            for name in fields:
                entry = schema.field(name.strip())
                if entry is None:
                    raise ApiError(
                        400,
                        "INVALID_FIELD",
                        f"No such column '{name.strip()}' on "
                        f"entity '{schema.name}'. If you are attempting to use a custom"
                        " field, be sure to append the '__c' after the custom field "
                        "name. Please reference your WSDL or the describe call for the "
                        "appropriate names.",
                    )
                entries.append(entry)
        for entry in entries:
            name = entry["name"]
            value = record.get(name)
            if entry["type"] == "base64" and value is not None:
                value = f"{self.url_for(schema.name, record['Id'])}/{name}"
            elif entry["type"] == "boolean" and value is None:
                value = False
            elif entry["type"] == "address":
                value = self.address(record, entry.get("name", "")[: -len("Address")])
            out[name] = value
        return out

    @staticmethod
    def address(record: dict[str, Any], prefix: str) -> dict[str, Any] | None:
        parts = {
            key[0].lower() + key[1:]: record.get(prefix + key)
            for key in (
                "City",
                "Country",
                "CountryCode",
                "GeocodeAccuracy",
                "Latitude",
                "Longitude",
                "PostalCode",
                "State",
                "StateCode",
                "Street",
            )
        }
        return parts if any(v is not None for v in parts.values()) else None

    def blob(self, sobject: str, record_id: str, field_name: str) -> bytes:
        import base64

        schema = self.schema(sobject)
        entry = schema.field(field_name)
        if entry is None or entry["type"] != "base64":
            raise not_found()
        record = self.load(sobject, record_id, schema)
        return base64.b64decode(record.get(entry["name"]) or "")

    # ---- upsert -------------------------------------------------------------------------------

    def find_by_external_id(
        self, schema: ObjectSchema, field_name: str, value: Any
    ) -> tuple[dict, list[str]]:
        entry = upsert_key_field(schema, field_name)
        if entry is None:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field_name}",
                code_first=True,
            )
        if entry["name"] == "Id":
            if value is None or not ids.is_valid(str(value)):
                raise malformed_id(str(value))
            found = self.store.get_record_in(self.conn, self.org_id, ids.to_18(str(value)))
            return entry, [found["Id"]] if found and not found["_deleted"] else []
        wanted = same_value_key(entry, value)
        matches = [
            record_id
            for record_id, stored in self.store.field_values_in(
                self.conn, self.org_id, schema.name, entry["name"]
            )
            if same_value_key(entry, stored) == wanted
        ]
        return entry, matches

    def upsert(self, sobject: str, field_name: str, value: str, body: Any) -> Saved | list[str]:
        """Create or update by external id; a list of URLs when several records match (300)."""
        schema = self.schema(sobject)
        if not isinstance(body, dict):
            raise json_parser_error("Cannot deserialize instance of sObject from a non-object")
        entry, matches = self.find_by_external_id(schema, field_name, value)
        body = {k: v for k, v in body.items() if k.lower() != entry["name"].lower()}
        if len(matches) > 1:
            return [self.url_for(schema.name, match) for match in matches]
        if matches:
            return Saved(self.update(schema.name, matches[0], body), created=False)
        if entry["name"] == "Id":
            raise not_found()
        return Saved(self.create(schema.name, {**body, entry["name"]: value}), created=True)

    # ---- query --------------------------------------------------------------------------------

    def records_of(self, include_deleted: bool):
        cache: dict[str, list[dict]] = {}

        def source(object_type: str) -> list[dict]:
            if object_type not in cache:
                cache[object_type] = self.store.list_records_in(
                    self.conn, self.org_id, object_type, include_deleted
                )
            return cache[object_type]

        return source

    def lookup_record(self, object_type: str, record_id: str) -> dict | None:
        if not ids.is_wellformed(str(record_id)):
            return None
        record = self.store.get_record_in(self.conn, self.org_id, ids.to_18(str(record_id)))
        if record is None or record["_deleted"] or record["_type"].lower() != object_type.lower():
            return None
        return record

    def query(self, text: str, include_deleted: bool = False) -> dict[str, Any]:
        """The first page of a query (and a stored cursor for the rest)."""
        parsed = soql.parse(text, self.catalog.schema)
        source = self.records_of(include_deleted)
        if parsed.is_count:
            total = soql.count(parsed, source, self.lookup_record)
            return {"totalSize": total, "done": True, "records": []}
        records = soql.execute(
            parsed, source, api_version=self.api_version, lookup_record=self.lookup_record
        )
        return self.first_page(records)

    def batch_size(self) -> int:
        options = self.header("Sforce-Query-Options") or ""
        for part in options.split(";"):
            key, _, value = part.strip().partition("=")
            if key.strip().lower() == "batchsize" and value.strip().isdigit():
                return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, int(value)))
        return DEFAULT_BATCH_SIZE

    def first_page(self, records: list[dict]) -> dict[str, Any]:
        size, total = self.batch_size(), len(records)
        if total <= size:
            return {"totalSize": total, "done": True, "records": records}
        now = time.time()
        self.conn.execute(
            "DELETE FROM query_cursor_pages WHERE created_at < ?", (now - CURSOR_TTL_SECONDS,)
        )
        locator = self.store.next_id(self.conn, self.org["serial"], "01g")
        for start in range(size, total, size):
            self.conn.execute(
                "INSERT INTO query_cursor_pages (org_id, locator, start, total, records, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.org_id,
                    locator,
                    start,
                    total,
                    json.dumps(records[start : start + size]),
                    now,
                ),
            )
        return {
            "totalSize": total,
            "done": False,
            "nextRecordsUrl": self.locator_url(locator, size),
            "records": records[:size],
        }

    def locator_url(self, locator: str, start: int) -> str:
        return f"/services/data/v{self.api_version}/query/{locator}-{start}"

    def next_page(self, locator_text: str) -> dict[str, Any]:
        locator, _, start_text = locator_text.rpartition("-")
        row = None
        if locator and start_text.isdigit():
            row = self.conn.execute(
                "SELECT * FROM query_cursor_pages WHERE org_id = ? AND locator = ? AND start = ?",
                (self.org_id, locator, int(start_text)),
            ).fetchone()
        if row is None:
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        records = json.loads(row["records"])
        following = row["start"] + len(records)
        page: dict[str, Any] = {"totalSize": row["total"], "done": following >= row["total"]}
        if not page["done"]:
            page["nextRecordsUrl"] = self.locator_url(locator, following)
        page["records"] = records
        return page


def upsert_key_field(schema: ObjectSchema, field_name: str) -> dict[str, Any] | None:
    """A field an upsert may match on: Id, an external id, or any idLookup field (e.g. Email).

    REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID": the
    key is "an external ID field or a field with the idLookup property" [D].
    """
    entry = schema.field(field_name)
    if entry is None:
        return None
    if entry["name"] == "Id" or entry.get("externalId") or entry.get("idLookup"):
        return entry
    return None


def same_value_key(entry: dict[str, Any], value: Any) -> str:
    """How Salesforce compares values of a unique / external-id field (case per caseSensitive)."""
    return str(value) if entry.get("caseSensitive") else str(value).lower()


def now_stamp(store: Store) -> str:
    return sf_datetime(store.now())
