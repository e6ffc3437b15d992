"""CSV import of contacts: decode, detect the delimiter, map English or German headers,
check every row with the shared contact rules, and write the error file.

Plain functions over bytes and explicit users: no request, no commit.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from typing import Any

import charset_normalizer
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lemontaps.extensions import db
from lemontaps.models import ContactImport
from lemontaps.models import ContactSource
from lemontaps.models import User
from lemontaps.models import utcnow
from lemontaps.services import contact_validation as rules
from lemontaps.services.contacts import create_contact

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# Cells that a spreadsheet would run as a formula; written with a leading "'" in the error file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Lemontaps field -> accepted headers, English and German. Compared after _header_key().
HEADERS: dict[str, tuple[str, ...]] = {
    "name_prefix": ("Name prefix", "Prefix", "Salutation", "Anrede", "Namenspräfix"),
    "first_name": ("First name", "Firstname", "Given name", "Vorname"),
    "last_name": ("Last name", "Lastname", "Surname", "Family name", "Nachname", "Familienname"),
    "position": ("Position", "Title", "Job title", "Titel", "Berufsbezeichnung"),
    "role": ("Role", "Rolle"),
    "department": ("Department", "Abteilung"),
    "company": ("Company", "Organisation", "Organization", "Firma", "Unternehmen"),
    "email": ("E-mail", "Email", "E-mail address", "E-Mail-Adresse", "Mail"),
    "work_email": ("Work e-mail", "Work email", "E-Mail geschäftlich", "Geschäftliche E-Mail"),
    "work_phone": ("Phone", "Work phone", "Telephone", "Telefon", "Telefon geschäftlich"),
    "mobile_phone": ("Mobile", "Mobile phone", "Cell", "Mobil", "Mobiltelefon", "Handy"),
    "website": ("Website", "Web", "URL", "Webseite", "Internetseite"),
    "addressee": ("Addressee", "Adressat", "Empfänger"),
    "address_line1": (
        "Street",
        "Address",
        "Address line 1",
        "Straße",
        "Strasse",
        "Adresse",
        "Adresszeile 1",
    ),
    "address_line2": ("Address line 2", "Adresszeile 2", "Adresszusatz"),
    "postcode": ("Postcode", "Postal code", "ZIP", "ZIP code", "PLZ", "Postleitzahl"),
    "city": ("City", "Town", "Stadt", "Ort"),
    "country": ("Country", "Land"),
    "language": ("Language", "Sprache"),
    "gdpr_consent": (
        "GDPR consent",
        "GDPR",
        "Consent",
        "DSGVO",
        "DSGVO-Einwilligung",
        "Einwilligung",
    ),
    "notes": ("Notes", "Note", "Comment", "Comments", "Notizen", "Notiz", "Bemerkung"),
    "met_on": ("Met on", "Date", "Kennengelernt am", "Datum"),
    "met_by": ("Met by", "Kennengelernt von"),
}


def _header_key(text: str) -> str:
    """ "E-Mail", " e mail " and "EMAIL" compare equal; "Straße" equals "Strasse"."""
    return re.sub(r"[\s\-_.]+", "", text.casefold())


HEADER_INDEX = {_header_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}


class ImportError_(Exception):
    """The file as a whole cannot be imported; the message says why."""

    def __init__(self, message, status: int = 422):
        super().__init__(str(message))
        self.message = message
        self.status = status


@dataclass
class ParsedRow:
    line: int
    cells: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    met_by_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ParsedFile:
    encoding: str
    delimiter: str
    columns: list[str]
    fields: list[str | None]
    rows: list[ParsedRow]
    ignored_columns: list[str]
    blank_rows: int

    @property
    def valid_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if row.ok]

    @property
    def invalid_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if not row.ok]

    def label(self, name: str) -> str:
        """The file's own header for a field, for messages the importer recognises."""
        if name in self.fields:
            return self.columns[self.fields.index(name)]
        return name

    def to_json(self) -> dict:
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "columns": self.columns,
            "fields": self.fields,
            "ignored_columns": self.ignored_columns,
            "blank_rows": self.blank_rows,
            "rows": [
                {
                    "line": r.line,
                    "cells": r.cells,
                    "data": _jsonable(r.data),
                    "met_by_id": r.met_by_id,
                }
                if r.ok
                else {"line": r.line, "cells": r.cells, "errors": r.errors}
                for r in self.rows
            ],
        }

    @classmethod
    def from_json(cls, payload: dict) -> ParsedFile:
        rows = []
        for r in payload["rows"]:
            data = dict(r.get("data") or {})
            if "met_on" in data:
                data["met_on"] = date.fromisoformat(data["met_on"])
            rows.append(
                ParsedRow(r["line"], r["cells"], data, r.get("met_by_id"), r.get("errors") or {})
            )
        return cls(
            payload["encoding"],
            payload["delimiter"],
            payload["columns"],
            payload["fields"],
            rows,
            payload["ignored_columns"],
            payload["blank_rows"],
        )


def _jsonable(data: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252, and
    charset-normalizer's guess for anything else."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # What Excel on Windows writes for "CSV"; it decodes all but five byte values.
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(raw).best()
    if best is None:
        raise ImportError_(
            _l(
                "The file's character encoding could not be recognised. "
                "Save it as CSV UTF-8 and try again."
            )
        )
    return str(best), best.encoding


def detect_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;").delimiter
    except csv.Error:
        first = text.split("\n", 1)[0]
        return ";" if first.count(";") > first.count(",") else ","


def _map_headers(columns: list[str]) -> tuple[list[str | None], list[str]]:
    fields: list[str | None] = []
    ignored = []
    for column in columns:
        name = HEADER_INDEX.get(_header_key(column))
        if name is None or name in fields:
            fields.append(None)
            if column.strip():
                ignored.append(column)
        else:
            fields.append(name)
    return fields, ignored


def parse(raw: bytes, importer: User, account_users: Iterable[User]) -> ParsedFile:
    """Read the whole file and check every row; raises ImportError_ for the file as a whole."""
    if len(raw) > MAX_BYTES:
        raise ImportError_(_l("The file is larger than 5 MB."), 413)
    if not raw.strip():
        raise ImportError_(_l("The file is empty."))
    text, encoding = decode(raw)
    text = text.replace("\x00", "")
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        columns = [c.strip() for c in next(reader)]
    except (StopIteration, csv.Error) as error:
        raise ImportError_(_l("The file has no header row.")) from error
    fields, ignored = _map_headers(columns)
    if not any(fields):
        raise ImportError_(
            _l(
                "No known column was found. The first row must name the columns, e.g. "
                '"First name", "Last name", "Company", "E-mail" (or "Vorname", '
                '"Nachname", "Firma", "E-Mail").'
            )
        )
    users_by_email = {u.email: u for u in account_users if u.active}
    rows: list[ParsedRow] = []
    blank = 0
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                blank += 1
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportError_(
                    _l(
                        "The file has more than %(max)s rows. Split it into files of at most "
                        "%(max)s rows.",
                        max=f"{MAX_ROWS:,}",
                    )
                )
            rows.append(_check_row(reader.line_num, cells, fields, importer, users_by_email))
    except csv.Error as error:
        raise ImportError_(
            _l("The file is not valid CSV (line %(line)s).", line=reader.line_num)
        ) from error
    if not rows:
        raise ImportError_(_l("The file has a header row but no contacts."))
    return ParsedFile(encoding, delimiter, columns, fields, rows, ignored, blank)


def _check_row(line, cells, fields, importer: User, users_by_email) -> ParsedRow:
    row = ParsedRow(line, cells)
    result = rules.ContactValidation()
    values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(fields) if name}
    rules.validate_strings({k: v for k, v in values.items() if k in rules.RULES}, result)

    consent = values.get("gdpr_consent", "")
    parsed_consent = rules.parse_bool(consent)
    if parsed_consent is None:
        result.add_error("gdpr_consent", _l("Use yes or no (ja/nein)."))
    else:
        result.data["gdpr_consent"] = parsed_consent

    met_on_text = values.get("met_on", "").strip()
    if met_on_text:
        met_on = rules.parse_date(met_on_text, german=True)
        if met_on is None:
            result.add_error("met_on", _l("Enter the date as YYYY-MM-DD or DD.MM.YYYY."))
        else:
            for message in rules.met_on_errors(met_on):
                result.add_error("met_on", message)
            result.data["met_on"] = met_on
    else:
        result.data["met_on"] = date.today()

    met_by_text = values.get("met_by", "").strip().lower()
    met_by = importer
    if met_by_text:
        met_by = users_by_email.get(met_by_text)
        if met_by is None:
            result.add_error("met_by", _l("No active user of your account has this e-mail."))

    if not rules.has_identity(result.data) and "first_name" not in result.errors:
        result.add_error("first_name", rules.message_need_identity())
    if len(cells) > len(fields) and any(c.strip() for c in cells[len(fields) :]):
        result.add_error("_row", _l("This row has more cells than the header."))

    row.errors = result.errors
    if row.ok:
        row.data = result.data
        row.met_by_id = met_by.id
    return row


def neutralise(cell: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def error_message(parsed: ParsedFile, row: ParsedRow) -> str:
    parts = []
    for name, messages in row.errors.items():
        label = parsed.label(name) if name != "_row" else ""
        text = " ".join(messages)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def invalid_rows_csv(parsed: ParsedFile, error_header: str = "Error") -> str:
    """The invalid rows as they came, plus an error column; UTF-8 with BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=parsed.delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in [*parsed.columns, error_header]])
    width = len(parsed.columns)
    for row in parsed.invalid_rows:
        cells = (row.cells + [""] * width)[: max(width, len(row.cells))]
        writer.writerow([neutralise(c) for c in [*cells, error_message(parsed, row)]])
    return "\ufeff" + out.getvalue()


# --- Uploads kept server-side between the preview and the import -------------------------

IMPORT_LIFETIME_HOURS = 24
FLUSH_EVERY = 500


def save_upload(importer: User, filename: str, parsed: ParsedFile):
    """Store the parsed file under a random id bound to the importer and the account."""
    cutoff = utcnow() - timedelta(hours=IMPORT_LIFETIME_HOURS)
    db.session.execute(sa.delete(ContactImport).where(ContactImport.created_at < cutoff))
    upload = ContactImport(
        id=secrets.token_urlsafe(16),
        account_id=importer.account_id,
        user_id=importer.id,
        filename=(filename or "")[:255],
        payload=zlib.compress(json.dumps(parsed.to_json()).encode()),
        row_count=len(parsed.rows),
        invalid_count=len(parsed.invalid_rows),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def load_upload(importer: User, upload_id: str):
    """(upload, parsed) for the importer's own upload, or None (the caller answers 404)."""
    upload = db.session.scalar(
        sa.select(ContactImport).where(
            ContactImport.id == upload_id,
            ContactImport.user_id == importer.id,
            ContactImport.account_id == importer.account_id,
        )
    )
    if upload is None:
        return None
    return upload, ParsedFile.from_json(json.loads(zlib.decompress(upload.payload)))


def import_valid_rows(importer: User, upload, parsed: ParsedFile) -> list[int]:
    """Create a contact for every valid row (source "import"); returns their ids.

    Rows whose "met by" user was deactivated since the preview become invalid rows, so
    nothing is dropped silently. The caller commits, then calls contacts_created().
    """
    users = {
        u.id: u
        for u in db.session.scalars(sa.select(User).where(User.account_id == importer.account_id))
    }
    created = []
    changed = False
    for row in parsed.valid_rows:
        met_by = users.get(row.met_by_id)
        if met_by is None or not met_by.active:
            row.errors = {"met_by": [str(_l("This user is deactivated."))]}
            changed = True
            continue
        created.append(
            create_contact(importer.account_id, met_by, row.data, ContactSource.IMPORT, flush=False)
        )
        if len(created) % FLUSH_EVERY == 0:
            db.session.flush()
    db.session.flush()
    if changed:
        upload.payload = zlib.compress(json.dumps(parsed.to_json()).encode())
        upload.invalid_count = len(parsed.invalid_rows)
    upload.imported_count = len(created)
    upload.imported_at = utcnow()
    return [contact.id for contact in created]
