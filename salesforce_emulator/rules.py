"""The org's rules a save must pass, in Salesforce's order and with its error codes.

Order for one record: field names → value types → required fields → lengths, e-mails,
picklists, State/Country → owner → validation rules → triggers → duplicate rules.

Org-configured rules (``customization`` in the org settings, see org_schema.py):

* ``validation_rules``: ``{"object": "Lead", "name": "...", "active": true,
  "error_message": "Please give a phone or an e-mail", "error_field": "Phone" | null,
  "when": <condition>}``; the save fails when the condition holds for the saved record.
  Conditions: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": c}``,
  ``{"field": "Email", "op": "blank" | "not_blank" | "equals" | "not_equals" | "in" |
  "matches" | "longer_than", "value": ...}`` (``matches`` is a regular expression).
* ``duplicate_rules``: ``{"object": "Lead", "name": "Standard_Lead_Duplicate_Rule",
  "match_rule": "Standard_Lead_Match_Rule_v1_0", "action": "block" | "alert",
  "fields": ["Email"], "match_objects": ["Lead"], "on": ["insert", "update"],
  "message": "Use one of these records?", "error_message": "You're creating a duplicate..."}``;
  a match = every listed field set and equal (case-insensitively) on an existing record.
  Block always refuses; Alert refuses unless ``Sforce-Duplicate-Rule-Header: allowSave=true``.
* ``trigger_failures``: ``{"object": "Lead", "operations": ["insert", "update"],
  "trigger": "LeadTrigger", "message": "..."}``: every record of the batch fails with
  CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from typing import Any

from . import ids
from .api_errors import ApiError
from .api_errors import json_parser_error
from .api_errors import malformed_id
from .schema import ObjectSchema
from .schema.countries import COUNTRIES
from .schema.countries import STATES_BY_COUNTRY

# Salesforce accepts most RFC 5322 local parts but requires a dotted domain.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
STRING_TYPES = {
    "string",
    "email",
    "phone",
    "url",
    "textarea",
    "picklist",
    "multipicklist",
    "combobox",
    "encryptedstring",
}
NUMBER_TYPES = {"int", "double", "currency", "percent", "long"}
DEFAULT_DUPLICATE_MESSAGE = "Use one of these records?"
DEFAULT_DUPLICATE_ERROR = (
    "You're creating a duplicate record. We recommend you use an existing record instead."
)
COUNTRY_PROBLEM = (
    "There's a problem with this country, even though it may appear correct. "
    "Please select a country/territory from the list of valid countries.: {value}"
)
STATE_PROBLEM = (
    "There's a problem with this state, even though it may appear correct. "
    "Please select a state from the list of valid states.: {value}"
)
ADDRESS_PREFIXES = {
    "Lead": ("",),
    "Contact": ("Mailing", "Other"),
    "Account": ("Billing", "Shipping"),
    "User": ("",),
}


# ---- field names and values ------------------------------------------------------------------


def check_field_names(schema: ObjectSchema, values: dict[str, Any], operation: str) -> dict:
    """Canonical names for the body's fields; INVALID_FIELD / INVALID_FIELD_FOR_INSERT_UPDATE."""
    canonical: dict[str, Any] = {}
    for name, value in values.items():
        if name == "attributes":
            continue
        entry = schema.field(name)
        if entry is None:
            raise ApiError(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {schema.name}"
            )
        canonical[entry["name"]] = value
    key = "createable" if operation == "insert" else "updateable"
    refused = [n for n in canonical if n != "Id" and not schema.field(n)[key]]
    if refused:
        raise ApiError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(refused)}. Please check the "
            "security settings of this field and verify that it is read/write for "
            "your role.",
            refused,
        )
    return canonical


def coerce_values(schema: ObjectSchema, values: dict[str, Any]) -> dict[str, Any]:
    """JSON values → stored values by field type ("" is null, as in Salesforce)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        entry = schema.field(name)
        out[name] = coerce_value(entry, value)
    return out


def coerce_value(entry: dict[str, Any], value: Any) -> Any:
    field_type, name = entry["type"], entry["name"]
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        raise json_parser_error(
            f"Cannot deserialize instance of {field_type} from "
            f"{'START_OBJECT' if isinstance(value, dict) else 'START_ARRAY'}"
            f" value for field {name}"
        )
    if field_type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise json_parser_error(
            f"Cannot deserialize instance of boolean from VALUE_STRING value "
            f"{value} or request may be missing a required field"
        )
    if field_type in NUMBER_TYPES:
        if isinstance(value, bool):
            raise json_parser_error(
                f"Cannot deserialize instance of {field_type} from VALUE_TRUE value {value}"
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise json_parser_error(
                f"Cannot deserialize instance of {field_type} from "
                f"VALUE_STRING value {value} or request may be missing a "
                "required field"
            ) from None
        return int(number) if field_type == "int" and number.is_integer() else number
    if field_type == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise json_parser_error(
                f"Cannot deserialize instance of date from VALUE_STRING "
                f"value {value} or value out of range"
            ) from None
    if field_type == "datetime":
        return _coerce_datetime(str(value))
    if field_type in ("reference", "id"):
        text = str(value)
        if not ids.is_valid(text):
            raise malformed_id(text, entry["label"], name)
        return ids.to_18(text)
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


def _coerce_datetime(text: str) -> str:
    normalized = text.replace("Z", "+00:00")
    normalized = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", normalized)
    try:
        moment = dt.datetime.fromisoformat(normalized)
    except ValueError:
        raise json_parser_error(
            f"Cannot deserialize instance of datetime from VALUE_STRING "
            f"value {text} or value out of range"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def check_required(schema: ObjectSchema, record: dict[str, Any]) -> None:
    missing = [name for name in schema.required_on_create() if record.get(name) in (None, "")]
    if missing:
        raise ApiError(
            400,
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            missing,
        )


def check_values(schema: ObjectSchema, values: dict[str, Any]) -> None:
    """Lengths, e-mail format, restricted picklists, for the fields being written."""
    for name, value in values.items():
        if value is None:
            continue
        entry = schema.field(name)
        field_type, label = entry["type"], entry["label"]
        if field_type in STRING_TYPES and entry["length"] and len(str(value)) > entry["length"]:
            raise ApiError(
                400,
                "STRING_TOO_LONG",
                f"{label}: data value too large: {value} (max length={entry['length']})",
                [name],
            )
        if field_type == "email" and not EMAIL_RE.match(str(value)):
            raise ApiError(
                400, "INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {value}", [name]
            )
        if (
            field_type in ("picklist", "multipicklist")
            and entry.get("restrictedPicklist")
            and not entry.get("dependentPicklist")
            and not name.endswith("CountryCode")
        ):
            allowed = {p["value"] for p in entry["picklistValues"] if p["active"]}
            chosen = str(value).split(";") if field_type == "multipicklist" else [str(value)]
            if any(item not in allowed for item in chosen):
                raise ApiError(
                    400,
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{label}: bad value for restricted picklist field: {value}",
                    [name],
                )


def apply_state_country(
    schema: ObjectSchema, values: dict[str, Any], existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """With State/Country picklists on, names and codes must be known; each fills the other."""
    if schema.field(f"{ADDRESS_PREFIXES.get(schema.name, ('',))[0]}CountryCode") is None:
        return values
    by_code = dict(COUNTRIES)
    by_name = {name.lower(): code for code, name in COUNTRIES}
    out = dict(values)
    for prefix in ADDRESS_PREFIXES.get(schema.name, ()):
        country_f, code_f = f"{prefix}Country", f"{prefix}CountryCode"
        state_f, state_code_f = f"{prefix}State", f"{prefix}StateCode"
        code = None
        if out.get(code_f):
            code = str(out[code_f]).upper()
            if code not in by_code:
                raise ApiError(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    COUNTRY_PROBLEM.format(value=out[code_f]),
                    [code_f],
                )
            out[code_f], out[country_f] = code, by_code[code]
        elif out.get(country_f):
            code = by_name.get(str(out[country_f]).strip().lower())
            if code is None:
                raise ApiError(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    COUNTRY_PROBLEM.format(value=out[country_f]),
                    [country_f],
                )
            out[country_f], out[code_f] = by_code[code], code
        elif existing:
            code = existing.get(code_f)
        states = dict(STATES_BY_COUNTRY.get(code or "", ()))
        state_value = out.get(state_code_f) or out.get(state_f)
        if state_value and states:
            key = str(state_value).strip()
            match = next(
                (
                    c
                    for c, n in states.items()
                    if key.upper() == c.upper() or key.lower() == n.lower()
                ),
                None,
            )
            if match is None:
                field = state_code_f if out.get(state_code_f) else state_f
                raise ApiError(
                    400,
                    "FIELD_INTEGRITY_EXCEPTION",
                    STATE_PROBLEM.format(value=state_value),
                    [field],
                )
            out[state_code_f], out[state_f] = match, states[match]
    return out


# ---- owner -----------------------------------------------------------------------------------


def check_owner(conn: sqlite3.Connection, org_id: str, sobject: str, owner_id: Any) -> None:
    """Owners are active standard users (or queues, where the object allows them)."""
    if owner_id is None:
        return
    row = conn.execute(
        "SELECT sobject, fields FROM records WHERE org_id = ? AND id = ? AND is_deleted = 0",
        (org_id, owner_id),
    ).fetchone()
    queue_ok = sobject not in ("Contact", "Account")
    if (
        row is None
        or (row["sobject"] == "Group" and not queue_ok)
        or row["sobject"] not in ("User", "Group")
    ):
        raise ApiError(
            400,
            "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
            f"insufficient access rights on cross-reference id: {owner_id}",
            [],
        )
    if row["sobject"] == "Group":
        return
    user = json.loads(row["fields"])
    if not user.get("IsActive", True):
        raise ApiError(
            400,
            "INACTIVE_OWNER_OR_USER",
            f"operation performed with inactive user [{owner_id}] as owner of {sobject.lower()}",
            [],
        )
    if user.get("UserType", "Standard") != "Standard":
        # [U] Salesforce's wording for a non-standard owner is not recorded.
        raise ApiError(
            400,
            "INACTIVE_OWNER_OR_USER",
            f"operation performed with non-standard "
            f"user [{owner_id}] as owner of {sobject.lower()}",
            [],
        )


# ---- validation rules ------------------------------------------------------------------------


def _field_value(record: dict[str, Any], name: str) -> Any:
    lowered = name.lower()
    return next((v for k, v in record.items() if k.lower() == lowered), None)


def condition_holds(condition: dict[str, Any], record: dict[str, Any]) -> bool:
    if "all" in condition:
        return all(condition_holds(c, record) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, record) for c in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], record)
    value = _field_value(record, condition["field"])
    op, expected = condition.get("op", "blank"), condition.get("value")
    blank = value is None or value == ""
    if op == "blank":
        return blank
    if op == "not_blank":
        return not blank
    if op == "equals":
        return value == expected
    if op == "not_equals":
        return value != expected
    if op == "in":
        return value in (expected or [])
    if op == "matches":
        return not blank and re.search(str(expected), str(value)) is not None
    if op == "longer_than":
        return not blank and len(str(value)) > int(expected)
    raise ValueError(f"unknown condition op {op!r}")


def check_validation_rules(
    customization: dict[str, Any], sobject: str, record: dict[str, Any]
) -> None:
    for rule in customization.get("validation_rules") or []:
        if rule.get("object", "").lower() != sobject.lower() or not rule.get("active", True):
            continue
        if condition_holds(rule.get("when") or {}, record):
            field = rule.get("error_field")
            raise ApiError(
                400,
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                rule["error_message"],
                [field] if field else [],
            )


def validate_customization(customization: dict[str, Any]) -> None:
    """Refuse malformed rules when they are configured, not on the first save."""
    for rule in customization.get("validation_rules") or []:
        if not rule.get("object") or not rule.get("error_message"):
            raise ValueError("a validation rule needs object and error_message")
        condition_holds(rule.get("when") or {}, {})
    for rule in customization.get("duplicate_rules") or []:
        if rule.get("action", "block") not in ("block", "alert"):
            raise ValueError("duplicate rule action must be 'block' or 'alert'")
        if not rule.get("object") or not rule.get("fields"):
            raise ValueError("a duplicate rule needs object and fields")


# ---- triggers --------------------------------------------------------------------------------


def trigger_failure(customization: dict[str, Any], sobject: str, operation: str) -> ApiError | None:
    for rule in customization.get("trigger_failures") or []:
        if rule.get("object", "").lower() != sobject.lower():
            continue
        if operation not in rule.get("operations", ["insert", "update"]):
            continue
        trigger = rule.get("trigger", f"{sobject}Trigger")
        event = "BeforeInsert" if operation == "insert" else "BeforeUpdate"
        message = rule.get("message") or (
            f"{trigger}: execution of {event}\n\ncaused by: System.NullPointerException: "
            f"Attempt to de-reference a null object\n\nTrigger.{trigger}: line 1, column 1"
        )
        return ApiError(400, "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY", message, [])
    return None


# ---- duplicate rules -------------------------------------------------------------------------


def parse_duplicate_header(value: str | None) -> dict[str, bool]:
    """``allowSave=true; includeRecordDetails=true; runAsCurrentUser=true``."""
    options = {}
    for part in (value or "").split(";"):
        key, _, flag = part.strip().partition("=")
        if key:
            options[key.strip()] = flag.strip().lower() == "true"
    return options


def _normalise(value: Any) -> str:
    return str(value).strip().lower()


def find_duplicates(
    conn: sqlite3.Connection,
    org_id: str,
    customization: dict[str, Any],
    sobject: str,
    record: dict[str, Any],
    operation: str,
    allow_save: bool,
    api_version: str,
    result_key: str = "duplicateResut",
) -> ApiError | None:
    for rule in customization.get("duplicate_rules") or []:
        if rule.get("object", "").lower() != sobject.lower() or not rule.get("active", True):
            continue
        if operation not in rule.get("on", ["insert", "update"]):
            continue
        fields = rule["fields"]
        wanted = [_field_value(record, f) for f in fields]
        if any(v in (None, "") for v in wanted):
            continue
        match_results = []
        for target in rule.get("match_objects") or [sobject]:
            rows = conn.execute(
                "SELECT id, fields FROM records WHERE org_id = ? AND "
                "sobject = ? COLLATE NOCASE AND is_deleted = 0 ORDER BY rowid",
                (org_id, target),
            ).fetchall()
            matches = []
            for row in rows:
                other = json.loads(row["fields"])
                if row["id"] == record.get("Id"):
                    continue
                if all(
                    _normalise(_field_value(other, f)) == _normalise(v)
                    for f, v in zip(fields, wanted, strict=True)
                ):
                    matches.append(row["id"])
            if matches:
                match_results.append((target, matches))
        if not match_results:
            continue
        block = rule.get("action", "block") == "block"
        if not block and allow_save:
            continue
        message = rule.get("message", DEFAULT_DUPLICATE_MESSAGE)
        payload = {
            "allowSave": not block,
            "duplicateRule": rule.get("name", f"Standard_{sobject}_Duplicate_Rule"),
            "duplicateRuleEntityType": sobject,
            "errorMessage": rule.get("error_message", DEFAULT_DUPLICATE_ERROR),
            "matchResults": [
                {
                    "entityType": target,
                    "errors": [],
                    "matchEngine": "FuzzyMatchEngine",
                    "matchRecords": [
                        {
                            "additionalInformation": [],
                            "fieldDiffs": [],
                            "matchConfidence": 100.0,
                            "record": {
                                "attributes": {
                                    "type": target,
                                    "url": _record_url(api_version, target, match_id),
                                },
                                "Id": match_id,
                            },
                        }
                        for match_id in matches
                    ],
                    "rule": rule.get("match_rule", f"Standard_{target}_Match_Rule_v1_0"),
                    "size": len(matches),
                    "success": True,
                }
                for target, matches in match_results
            ],
        }
        return ApiError(
            400, "DUPLICATES_DETECTED", message, None, {result_key: payload}, code_first=True
        )
    return None


def _record_url(api_version: str, sobject: str, record_id: str) -> str:
    return f"/services/data/v{api_version}/sobjects/{sobject}/{record_id}"
