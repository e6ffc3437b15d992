"""Plain helper functions that create rows for tests (no factory library)."""

from lemontaps.extensions import db
from lemontaps.models import Role, User
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
