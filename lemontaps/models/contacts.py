"""Contacts: the people met by an account's users. Export state lives in models.pushes."""

import enum
import unicodedata
import uuid
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from lemontaps.extensions import db
from lemontaps.models.accounts import Account
from lemontaps.models.accounts import User
from lemontaps.models.accounts import utcnow


class ContactSource(enum.StrEnum):
    FORM = "form"
    API = "api"
    IMPORT = "import"


def new_contact_uuid() -> str:
    return str(uuid.uuid4())


def fold_for_search(text: str) -> str:
    """Case- and accent-insensitive form: "MÜLLER" -> "muller", "Straße" -> "strasse".

    Done in Python because SQLite's lower() only folds ASCII; both engines then compare
    plain lower-case text with LIKE.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Contact(db.Model):
    """A person met by a user of the account. Export state lives in its own tables."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed as the leading column of both composite indexes above.
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    met_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Stable key sent to Salesforce as Lemontaps_Id__c.
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_contact_uuid)
    source: Mapped[str] = mapped_column(sa.String(16), default=ContactSource.FORM.value)

    name_prefix: Mapped[str] = mapped_column(sa.String(255), default="")
    first_name: Mapped[str] = mapped_column(sa.String(255), default="")
    last_name: Mapped[str] = mapped_column(sa.String(255), default="")
    position: Mapped[str] = mapped_column(sa.String(255), default="")
    role: Mapped[str] = mapped_column(sa.String(255), default="")
    department: Mapped[str] = mapped_column(sa.String(255), default="")
    company: Mapped[str] = mapped_column(sa.String(255), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    work_email: Mapped[str] = mapped_column(sa.String(254), default="")
    work_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    mobile_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    website: Mapped[str] = mapped_column(sa.String(2000), default="")
    addressee: Mapped[str] = mapped_column(sa.String(255), default="")
    address_line1: Mapped[str] = mapped_column(sa.String(255), default="")
    address_line2: Mapped[str] = mapped_column(sa.String(255), default="")
    postcode: Mapped[str] = mapped_column(sa.String(20), default="")
    city: Mapped[str] = mapped_column(sa.String(255), default="")
    country: Mapped[str] = mapped_column(sa.String(255), default="")
    gdpr_consent: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(sa.String(16), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    met_on: Mapped[date]

    # fold_for_search("first last company email"), kept current by the mapper events below.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(
        default=lambda: utcnow(), onupdate=lambda: utcnow()
    )

    account: Mapped[Account] = relationship()
    met_by: Mapped[User] = relationship()

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def refresh_search_text(self) -> None:
        self.search_text = contact_search_text(
            self.first_name, self.last_name, self.company, self.email
        )


# The table page: an account's contacts newest (or oldest) first, keyset on (met_on, id).
sa.Index(
    "ix_contacts_account_met_on_id", Contact.account_id, Contact.met_on.desc(), Contact.id.desc()
)
# An end user's own contacts, in the same order.
sa.Index(
    "ix_contacts_account_met_by_met_on_id",
    Contact.account_id,
    Contact.met_by_id,
    Contact.met_on,
    Contact.id,
)


# On PostgreSQL, migration 0009 adds a trigram GIN index on search_text for search (LIKE
# '%term%'). It is not declared here: SQLite has no such index, and the metadata would then
# differ from SQLite's migrated schema.


def contact_search_text(first_name: str, last_name: str, company: str, email: str) -> str:
    return fold_for_search(" ".join(p or "" for p in (first_name, last_name, company, email)))


@sa.event.listens_for(Contact, "before_insert")
@sa.event.listens_for(Contact, "before_update")
def _keep_search_text(_mapper, _connection, contact: Contact) -> None:
    contact.refresh_search_text()
