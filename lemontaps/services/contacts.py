"""Contacts: who may see which, search, ordering, keyset pages, create/update/delete.

Functions take explicit arguments and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import ContactSource
from lemontaps.models import User
from lemontaps.models import fold_for_search

PAGE_SIZE = 50
# Above this many matches the table says "more than N" instead of counting them all.
COUNT_LIMIT = 10_000
MAX_SEARCH_TERMS = 8

# Every Lemontaps field a user may type; met_by, met_on and bookkeeping are handled apart.
TEXT_FIELDS = (
    "name_prefix",
    "first_name",
    "last_name",
    "position",
    "role",
    "department",
    "company",
    "email",
    "work_email",
    "work_phone",
    "mobile_phone",
    "website",
    "addressee",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "language",
    "notes",
)
EDITABLE_FIELDS = (*TEXT_FIELDS, "gdpr_consent", "met_on")


class Sort(enum.StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"

    @classmethod
    def parse(cls, value: str | None) -> Sort:
        try:
            return cls(value or cls.NEWEST)
        except ValueError:
            return cls.NEWEST


class ContactRuleError(Exception):
    """A change refused by a rule of the product; `code` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def visible_rows(viewer: User, model, owner: sa.ColumnElement) -> sa.Select:
    """Admins see every row of their account, end users only the rows `owner` gives them."""
    query = sa.select(model).where(model.account_id == viewer.account_id)
    if not viewer.is_admin:
        query = query.where(owner == viewer.id)
    return query


def visible_contacts(viewer: User) -> sa.Select:
    """End users see the contacts they met."""
    return visible_rows(viewer, Contact, Contact.met_by_id)


def get_visible_contact(viewer: User, contact_id: int) -> Contact | None:
    """None for a contact the viewer may not see: the caller answers 404, never 403."""
    return db.session.scalar(visible_contacts(viewer).where(Contact.id == contact_id))


def search_terms(text: str | None) -> list[str]:
    return fold_for_search(text or "").split()[:MAX_SEARCH_TERMS]


def apply_search(query: sa.Select, text: str | None) -> sa.Select:
    """Every word must occur in first name, last name, company or e-mail, ignoring case
    and accents ("müller" finds "MÜLLER", "strasse" finds "Straße")."""
    for term in search_terms(text):
        query = query.where(Contact.search_text.contains(term, autoescape=True))
    return query


@dataclass(frozen=True)
class Cursor:
    met_on: date
    id: int

    def token(self) -> str:
        return f"{self.met_on.isoformat()}_{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        if not token:
            return None
        day, _, contact_id = token.partition("_")
        try:
            return cls(date.fromisoformat(day), int(contact_id))
        except ValueError:
            return None

    @classmethod
    def of(cls, contact: Contact) -> Cursor:
        return cls(contact.met_on, contact.id)


@dataclass
class ContactPage:
    contacts: list[Contact]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None
    # Matches in total, at most COUNT_LIMIT; `more` when there are more than that.
    total: int
    more: bool


def _order(sort: Sort, backwards: bool = False):
    descending = (sort is Sort.NEWEST) != backwards
    if descending:
        return (Contact.met_on.desc(), Contact.id.desc())
    return (Contact.met_on.asc(), Contact.id.asc())


def _beyond(cursor: Cursor, sort: Sort, backwards: bool = False):
    key = sa.tuple_(Contact.met_on, Contact.id)
    descending = (sort is Sort.NEWEST) != backwards
    value = sa.tuple_(sa.literal(cursor.met_on, sa.Date), sa.literal(cursor.id))
    return key < value if descending else key > value


def count_capped(query: sa.Select, limit: int | None = None) -> tuple[int, bool]:
    """Count at most limit + 1 rows: the cost stays bounded on a huge account."""
    limit = COUNT_LIMIT if limit is None else limit
    capped = query.with_only_columns(Contact.id).order_by(None).limit(limit + 1).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(capped))
    return min(total, limit), total > limit


def keyset_page(
    query: sa.Select,
    total: int,
    more: bool,
    sort: Sort = Sort.NEWEST,
    after: Cursor | None = None,
    before: Cursor | None = None,
    page_size: int = PAGE_SIZE,
) -> ContactPage:
    """One page of the contacts `query` selects, in (met_on, id) order, by keyset: the cost
    does not grow with the page number. One query (met_by joined); the caller counts."""
    query = query.options(joinedload(Contact.met_by))
    backwards = before is not None and after is None
    if backwards:
        query = query.where(_beyond(before, sort, backwards=True))
    elif after is not None:
        query = query.where(_beyond(after, sort))
    rows = list(db.session.scalars(query.order_by(*_order(sort, backwards)).limit(page_size + 1)))
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
        has_prev, has_next = has_more, True
    else:
        has_prev, has_next = after is not None, has_more
    return ContactPage(
        contacts=rows,
        next_cursor=Cursor.of(rows[-1]) if has_next and rows else None,
        prev_cursor=Cursor.of(rows[0]) if has_prev and rows else None,
        total=total,
        more=more,
    )


def contact_page(
    viewer: User,
    search: str | None = None,
    sort: Sort = Sort.NEWEST,
    after: Cursor | None = None,
    before: Cursor | None = None,
    page_size: int = PAGE_SIZE,
) -> ContactPage:
    """One keyset page of the viewer's contacts matching `search`.

    Two queries whatever the account's size: a capped count and the page.
    """
    base = apply_search(visible_contacts(viewer), search)
    total, more = count_capped(base)
    return keyset_page(base, total, more, sort, after, before, page_size)


def met_by_candidates(account_id: int, current: User | None = None) -> list[User]:
    """Active users of the account; the contact's current met_by stays selectable."""
    condition = User.active.is_(True)
    if current is not None:
        condition = sa.or_(condition, User.id == current.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.account_id == account_id, condition)
            .order_by(User.name, User.email)
        )
    )


def check_met_by(account_id: int, met_by: User, previous: User | None = None) -> None:
    if met_by.account_id != account_id:
        raise ContactRuleError("met_by_other_account")
    if not met_by.active and (previous is None or previous.id != met_by.id):
        raise ContactRuleError("met_by_inactive")


def _apply(contact: Contact, data: dict[str, Any]) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not contact fields: {sorted(unknown)}")
    for name, value in data.items():
        if name in TEXT_FIELDS:
            value = value or ""
        setattr(contact, name, value)


def create_contact(
    account_id: int,
    met_by: User,
    data: dict[str, Any],
    source: ContactSource = ContactSource.FORM,
    flush: bool = True,
) -> Contact:
    """flush=False lets a bulk caller (the CSV import) flush many contacts at once."""
    check_met_by(account_id, met_by)
    contact = Contact(account_id=account_id, met_by=met_by, source=ContactSource(source).value)
    data = dict(data)
    data.setdefault("met_on", date.today())
    _apply(contact, data)
    db.session.add(contact)
    if flush:
        db.session.flush()
    return contact


def update_contact(contact: Contact, data: dict[str, Any], met_by: User | None = None) -> Contact:
    if met_by is not None and met_by.id != contact.met_by_id:
        check_met_by(contact.account_id, met_by, previous=contact.met_by)
        contact.met_by = met_by
    _apply(contact, data)
    # Keep search_text right even when only met_by changed and nothing else is dirty.
    contact.refresh_search_text()
    db.session.flush()
    return contact


def delete_contact(contact: Contact) -> None:
    """Deletes the row here only: nothing in Salesforce is ever deleted."""
    db.session.delete(contact)
    db.session.flush()
