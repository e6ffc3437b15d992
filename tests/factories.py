"""Plain helper functions that create rows for tests (no factory library)."""

import uuid
from datetime import date, timedelta

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact, Role, User, contact_search_text, utcnow
from lemontaps.services import users

PASSWORD = "correct horse battery"


def make_account(app, name: str, admin_email: str):
    account, admin = users.create_account(
        app.extensions["passwords"], name, admin_email, "Admin " + name, PASSWORD
    )
    db.session.commit()
    return account


def make_user(app, account, email: str, role: str = Role.USER.value, name: str = "") -> User:
    user = users.invite_user(account, email, name or email.split("@")[0].title(), role)
    user.password_hash = app.extensions["passwords"].hash(PASSWORD)
    db.session.commit()
    return user


def admin_of(account) -> User:
    return next(u for u in account.users if u.role == Role.ADMIN.value)


def login(client, email: str, password: str = PASSWORD, follow: bool = False):
    return client.post(
        "/auth/login", data={"email": email, "password": password}, follow_redirects=follow
    )


def make_contact(met_by: User, **fields):
    from datetime import date

    from lemontaps.services import contacts

    fields.setdefault("first_name", "Erika")
    fields.setdefault("last_name", "Musterfrau")
    fields.setdefault("met_on", date(2026, 1, 15))
    contact = contacts.create_contact(met_by.account_id, met_by, fields)
    db.session.commit()
    return contact


def make_api_token(user: User) -> str:
    """A fresh API token for the user (replacing any previous one); returns the plain token."""
    from lemontaps.services import api_tokens

    _row, plain = api_tokens.issue_token(user)
    db.session.commit()
    return plain


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def bulk_insert_contacts(
    account_id: int, met_by_ids: list[int], count: int, start: int = 0
) -> None:
    """Core executemany: fast, and bypasses the ORM events, so search_text is set here."""
    now = utcnow()
    rows = []
    for i in range(start, start + count):
        first, last = f"Vorname{i}", ("MÜLLER" if i % 100 < 3 else f"Nachname{i}")
        company, email = f"Firma {i % 37}", f"person{i}@example.com"
        rows.append(
            {
                "account_id": account_id,
                "met_by_id": met_by_ids[i % len(met_by_ids)],
                "uuid": str(uuid.uuid4()),
                "source": "import",
                "first_name": first,
                "last_name": last,
                "company": company,
                "email": email,
                # Few distinct days: many ties, so the id tie-break matters.
                "met_on": date(2025, 1, 1) + timedelta(days=i % 30),
                "search_text": contact_search_text(first, last, company, email),
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(sa.insert(Contact.__table__), rows)
    db.session.commit()
