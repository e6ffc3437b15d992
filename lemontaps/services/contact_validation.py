"""The contact field rules, in plain Python: one set of limits and messages for the capture
form, the JSON API and the CSV import.

`clean(name, value)` trims and drops control characters the way the form always did;
`field_errors(name, value)` checks one cleaned value; `validate_strings(values, result)` does
both for a whole mapping; `has_identity(data)` is the "at least a name, a company or an e-mail"
rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import email_validator
from flask_babel import lazy_gettext as _l

TEXT_MAX = 255
EMAIL_MAX = 254
PHONE_MAX = 40
POSTCODE_MAX = 20
LANGUAGE_MAX = 16
WEBSITE_MAX = 2000
NOTES_MAX = 32_000
EARLIEST_MET_ON = date(2000, 1, 1)

PHONE_PATTERN = r"^[0-9 +()\-/.]*$"
# A language tag such as "de", "pt-BR" or "zh-Hant" (the form offers a list; the API and the
# import may bring others).
LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# C0 control characters (PostgreSQL refuses NUL outright); tab and newlines stay in notes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$", re.S)
_PHONE = re.compile(PHONE_PATTERN)
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


@dataclass(frozen=True)
class Rule:
    kind: str  # text, email, phone, website, notes, language
    max_length: int


RULES: dict[str, Rule] = {
    "name_prefix": Rule("text", TEXT_MAX),
    "first_name": Rule("text", TEXT_MAX),
    "last_name": Rule("text", TEXT_MAX),
    "position": Rule("text", TEXT_MAX),
    "role": Rule("text", TEXT_MAX),
    "department": Rule("text", TEXT_MAX),
    "company": Rule("text", TEXT_MAX),
    "email": Rule("email", EMAIL_MAX),
    "work_email": Rule("email", EMAIL_MAX),
    "work_phone": Rule("phone", PHONE_MAX),
    "mobile_phone": Rule("phone", PHONE_MAX),
    "website": Rule("website", WEBSITE_MAX),
    "addressee": Rule("text", TEXT_MAX),
    "address_line1": Rule("text", TEXT_MAX),
    "address_line2": Rule("text", TEXT_MAX),
    "postcode": Rule("text", POSTCODE_MAX),
    "city": Rule("text", TEXT_MAX),
    "country": Rule("text", TEXT_MAX),
    "language": Rule("language", LANGUAGE_MAX),
    "notes": Rule("notes", NOTES_MAX),
}
STRING_FIELDS = tuple(RULES)
# The fields that identify a contact: at least one of them must be filled.
IDENTITY_FIELDS = ("first_name", "last_name", "company", "email")


def message_need_identity():
    return _l("Enter at least a name, a company or an e-mail.")


def message_met_on_required():
    return _l("Enter the date you met.")


def clean_line(value: str | None) -> str:
    if value is None:
        return ""
    return _ONE_LINE_CONTROL.sub(" ", value).strip()


def clean_text(value: str | None) -> str:
    if value is None:
        return ""
    return _CONTROL.sub("", value).strip()


def normalise_website(value: str | None) -> str:
    """Add https:// when no scheme is given; other schemes are left for the validator."""
    value = (value or "").strip()
    if not value:
        return ""
    if value.startswith("//"):
        return "https:" + value
    match = _SCHEME.match(value)
    # "example.com:8080/x" has no scheme, "javascript:..." or "mailto:..." does.
    if match and not match.group(2)[:1].isdigit():
        return value
    return "https://" + value


def clean(name: str, value: str | None) -> str:
    kind = RULES[name].kind
    if kind == "notes":
        return clean_text(value)
    if kind == "website":
        return normalise_website(clean_line(value))
    return clean_line(value)


def field_errors(name: str, value: str) -> list[str]:
    """Messages for one cleaned value; an empty value is always fine (every field is optional)."""
    if not value:
        return []
    rule = RULES[name]
    if len(value) > rule.max_length:
        return [_l("Field cannot be longer than %(max)d characters.", max=rule.max_length)]
    if rule.kind == "email":
        try:
            email_validator.validate_email(value, check_deliverability=False)
        except email_validator.EmailNotValidError:
            return [_l("Invalid email address.")]
    elif rule.kind == "phone":
        if not _PHONE.match(value):
            return [_l("Use digits, spaces and + ( ) - / . only.")]
    elif rule.kind == "website":
        return website_errors(value)
    elif rule.kind == "language":
        if not LANGUAGE_PATTERN.match(value):
            return [_l("Use a language code such as en, de or pt-BR.")]
    return []


def website_errors(value: str) -> list[str]:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        return [_l("Only http:// and https:// addresses are allowed.")]
    host = parts.hostname or ""
    if not host or " " in value or "." not in host and host != "localhost":
        return [_l("This is not a valid web address.")]
    return []


def latest_met_on(today: date | None = None) -> date:
    return (today or date.today()) + timedelta(days=1)


def met_on_errors(value: date | None, today: date | None = None) -> list[str]:
    if value is None:
        return [message_met_on_required()]
    latest = latest_met_on(today)
    if not EARLIEST_MET_ON <= value <= latest:
        return [
            _l(
                "Enter a date between %(first)s and %(last)s.",
                first=EARLIEST_MET_ON.isoformat(),
                last=latest.isoformat(),
            )
        ]
    return []


def parse_date(text: str, german: bool = False) -> date | None:
    """ISO (2026-01-31), and with german=True also 31.01.2026; None when it is neither."""
    text = text.strip()
    if len(text) == 10 and text[4:5] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    match = _GERMAN_DATE.match(text) if german else None
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def parse_bool(text: str) -> bool | None:
    """Spreadsheet spellings of yes/no, English and German; None when it is neither."""
    value = text.strip().casefold()
    if value in ("", "0", "no", "nein", "false", "falsch", "n"):
        return False
    if value in ("1", "yes", "ja", "true", "wahr", "y", "j", "x"):
        return True
    return None


def has_identity(data: Mapping[str, Any]) -> bool:
    return any(data.get(name) for name in IDENTITY_FIELDS)


class ContactValidation:
    """Collects cleaned values and per-field messages (lists, as the form shows them)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.errors: dict[str, list[str]] = {}

    def add_error(self, name: str, message) -> None:
        self.errors.setdefault(name, []).append(str(message))

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_strings(values: Mapping[str, str | None], result: ContactValidation) -> None:
    for name, raw in values.items():
        value = clean(name, raw)
        result.data[name] = value
        for message in field_errors(name, value):
            result.add_error(name, message)


def contact_values(contact) -> dict[str, Any]:
    return {name: getattr(contact, name) for name in IDENTITY_FIELDS}
