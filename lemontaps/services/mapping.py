"""Lemontaps contact -> Salesforce Lead/Contact fields, with the checks that cost no API call.

Pure functions over plain values: the push engine feeds them a contact and the org's cached
describe data (field name -> {type, length, restricted, picklist, ...})."""

from __future__ import annotations

import functools
import gettext
from dataclasses import dataclass
from dataclasses import field
from datetime import date

import pycountry

LEAD_SOURCE = "Lemontaps"
DESCRIPTION_MAX = 32000
# Never shortened: a cut value would be a wrong value (an e-mail, a phone, a name, a company).
NEVER_CUT = {"Email", "Website", "Phone", "MobilePhone", "LastName", "Company"}
STRING_TYPES = {"string", "textarea", "email", "phone", "url", "picklist", "combobox"}

# Lemontaps field -> Salesforce field, per target object (product spec, "Field mapping").
FIELD_MAP = {
    "Lead": {
        "name_prefix": "Salutation",
        "first_name": "FirstName",
        "last_name": "LastName",
        "position": "Title",
        "company": "Company",
        "email": "Email",
        "work_phone": "Phone",
        "mobile_phone": "MobilePhone",
        "website": "Website",
        "address_line1": "Street",
        "postcode": "PostalCode",
        "city": "City",
        "country": "Country",
    },
    "Contact": {
        "name_prefix": "Salutation",
        "first_name": "FirstName",
        "last_name": "LastName",
        "position": "Title",
        "department": "Department",
        "email": "Email",
        "work_phone": "Phone",
        "mobile_phone": "MobilePhone",
        "address_line1": "MailingStreet",
        "postcode": "MailingPostalCode",
        "city": "MailingCity",
        "country": "MailingCountry",
    },
}
# The Lemontaps fields the mapping reads: the table's, plus notes and met on (Description).
MAPPED_FIELDS = tuple(
    sorted({ours for table in FIELD_MAP.values() for ours in table} | {"notes", "met_on"})
)
COUNTRY_CODE_FIELD = {
    "Lead": ("Country", "CountryCode"),
    "Contact": ("MailingCountry", "MailingCountryCode"),
}


@dataclass
class MappedRecord:
    fields: dict[str, str]
    shortened: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class MappingFailure:
    code: str  # missing_name, missing_company, too_long
    field: str | None = None
    limit: int | None = None
    length: int | None = None


def map_contact(
    values: dict, target: str, describe: dict[str, dict] | None = None
) -> MappedRecord | MappingFailure:
    """`values`: the contact's fields by Lemontaps name; `describe`: the org's field facts."""
    describe = describe or {}
    fields = _mapped_fields(values, target)
    failure = _prechecks(fields, target, describe)
    if failure:
        return failure
    notes: list[str] = []
    extra_description_lines = _country(fields, target, describe, notes)
    _drop_unknown_picklist_values(fields, describe, notes)
    fields["LeadSource"] = LEAD_SOURCE
    fields["Description"] = description(
        values.get("notes") or "", values.get("met_on"), extra_description_lines
    )
    return _fit_lengths(fields, describe, notes)


def precheck(values: dict, target: str, describe: dict | None = None) -> MappingFailure | None:
    """Why the push engine would fail this contact before any API call, or None. The push
    dialog's forecast runs exactly this too; it reads only the FIELD_MAP fields of `target`."""
    return _prechecks(_mapped_fields(values, target), target, describe or {})


def email_key(email: str | None) -> str:
    """How a push tells two contacts with the same e-mail apart from different ones."""
    return (email or "").strip().lower()


def _mapped_fields(values: dict, target: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for ours, theirs in FIELD_MAP[target].items():
        value = (values.get(ours) or "").strip()
        if value:
            fields[theirs] = value
    return fields


def _prechecks(fields: dict, target: str, describe: dict) -> MappingFailure | None:
    return _name_and_company(fields, target) or _uncuttable_too_long(fields, describe)


def _too_long(name: str, value: str, describe: dict) -> int | None:
    """The field's length limit when `value` exceeds it, else None."""
    facts = describe.get(name) or {}
    limit = facts.get("length") or 0
    if not limit or facts.get("type") not in STRING_TYPES or len(value) <= limit:
        return None
    return limit


def _uncuttable_too_long(fields: dict, describe: dict) -> MappingFailure | None:
    # Later steps (country, picklists, description) never touch these fields.
    for name, value in fields.items():
        limit = _too_long(name, value, describe) if name in NEVER_CUT else None
        if limit:
            return MappingFailure("too_long", field=name, limit=limit, length=len(value))
    return None


def _name_and_company(fields: dict, target: str) -> MappingFailure | None:
    if not fields.get("LastName"):
        if not fields.get("FirstName"):
            return MappingFailure("missing_name")
        # Salesforce requires LastName: the only name becomes the last name.
        fields["LastName"] = fields.pop("FirstName")
    if target == "Lead" and not fields.get("Company"):
        return MappingFailure("missing_company")
    return None


def description(notes: str, met_on: date | None, extra_lines: list[str]) -> str:
    tail = list(extra_lines)
    if met_on:
        tail.append(f"Met on: {met_on.isoformat()} (Lemontaps)")
    tail_text = "\n".join(tail)
    notes = notes.strip()
    room = DESCRIPTION_MAX - len(tail_text) - (2 if notes and tail_text else 0)
    if len(notes) > room:
        notes = notes[: max(room, 0)].rstrip()  # the notes are cut first, never the tail
    return "\n\n".join(part for part in (notes, tail_text) if part)


def _country(fields: dict, target: str, describe: dict, notes: list[str]) -> list[str]:
    name_field, code_field = COUNTRY_CODE_FIELD[target]
    value = fields.get(name_field)
    if not value or code_field not in describe:
        return []
    # The org uses State and Country picklists: send the ISO code, not free text.
    del fields[name_field]
    code = country_code(value)
    allowed = describe[code_field].get("picklist") or []
    if code and (not allowed or code in allowed):
        fields[code_field] = code
        return []
    notes.append("country_not_recognised")
    return [f"Country: {value}"]


def _drop_unknown_picklist_values(fields: dict, describe: dict, notes: list[str]) -> None:
    for name in ("Salutation",):
        facts = describe.get(name)
        if name in fields and facts and facts.get("restricted"):
            if fields[name] not in (facts.get("picklist") or []):
                notes.append(f"not_sent:{name}")
                del fields[name]


def _fit_lengths(fields: dict, describe: dict, notes: list[str]) -> MappedRecord:
    shortened = []
    for name, value in list(fields.items()):
        limit = _too_long(name, value, describe)
        if not limit or name in NEVER_CUT:  # never-cut fields were checked up front
            continue
        fields[name] = value[:limit].rstrip()
        shortened.append(name)
    return MappedRecord(fields=fields, shortened=shortened, notes=notes)


@functools.cache
def _german_country_names() -> dict[str, str]:
    try:
        german = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"])
    except OSError:
        return {}
    return {german.gettext(c.name).casefold(): c.alpha_2 for c in pycountry.countries}


def country_code(value: str) -> str | None:
    """ISO 3166 alpha-2 code from an English or German name, or a 2/3-letter code."""
    text = value.strip()
    if not text:
        return None
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        pass
    return _german_country_names().get(text.casefold())
