"""A parsed CSV upload waiting for the admin's decision, kept server-side (not in the cookie)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from lemontaps.extensions import db
from lemontaps.models.accounts import utcnow


class ContactImport(db.Model):
    __tablename__ = "contact_imports"

    # Random, unguessable; every look-up also checks the importer and the account.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    # zlib-compressed JSON: the header row, the column mapping and every parsed row with its
    # cleaned values and per-field errors (see services/csv_import.py).
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    row_count: Mapped[int] = mapped_column(default=0)
    invalid_count: Mapped[int] = mapped_column(default=0)
    # Set once the valid rows are imported; a second "Import" does nothing.
    imported_count: Mapped[int | None]
    imported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=lambda: utcnow(), index=True)
