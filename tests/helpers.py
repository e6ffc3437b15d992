"""What tests share: the one way to log in (AuthActions, the `auth` fixture), plain functions
that create rows (no factory library), counting SQL statements, contact-form boundaries, and
export states set up without Salesforce with the page parts that show them."""

import re
import uuid
from contextlib import contextmanager
from datetime import date
from datetime import timedelta

import requests
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import ExportState
from lemontaps.models import IntegrationSettings
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import Role
from lemontaps.models import SalesforceConnection
from lemontaps.models import User
from lemontaps.models import contact_search_text
from lemontaps.models import utcnow
from lemontaps.pushes import states
from lemontaps.services import users

PASSWORD = "correct horse battery"  # of every user these helpers make


class AuthActions:
    """Logging in to the web app through its log-in form, the one way tests do it (flaskr's
    AuthActions). `who` is a User or an e-mail address. Bound to the test's app and its
    `client` fixture; e2e tests get the same class bound to the deployed app, whose client
    sends the CSRF token as the browser does."""

    def __init__(self, app, client=None):
        self.app = app
        self._client = client

    def login(
        self,
        who,
        password: str = PASSWORD,
        client=None,
        follow: bool = False,
        query_string: dict | None = None,
        **fields,
    ):
        """Post the log-in form as `client` (default: the `client` fixture), with any further
        form `fields` (a csrf_token); returns the response."""
        client = client or self._client or self.app.test_client()
        return client.post(
            "/auth/login",
            query_string=query_string,
            data={"email": _email_of(who), "password": password, **fields},
            follow_redirects=follow,
        )

    def client(self, who, password: str = PASSWORD):
        """A new test client, logged in as `who`."""
        client = self.app.test_client()
        response = self.login(who, password, client=client)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert "/auth/login" not in response.headers["Location"]
        return client

    def logout(self, client=None):
        return (client or self._client).post("/auth/logout")

    def http_session(self, who, password: str = PASSWORD) -> requests.Session:
        """A browser's session on the app served over HTTP (BASE_URL), logged in as `who`
        through the same form, with the CSRF token the page carries."""
        base_url = self.app.config["BASE_URL"]
        session = requests.Session()
        page = session.get(base_url + "/auth/login", timeout=10)
        done = session.post(
            base_url + "/auth/login",
            data={
                "csrf_token": csrf_token_of(page.text),
                "email": _email_of(who),
                "password": password,
            },
            timeout=10,
        )
        assert done.ok and "/auth/login" not in done.url, done.text
        return session


def _email_of(who) -> str:
    return who if isinstance(who, str) else who.email


def csrf_token_of(html: str) -> str:
    """The CSRF token a page's form carries."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


# Rows (no factory library).


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


def contact_row(
    i: int, account_id: int, met_by_id: int, now, last_name: str = "", days: int = 30
) -> dict:
    """Contact number i as a row for Core's executemany, which bypasses the ORM events, so
    search_text is set here."""
    first, last = f"Vorname{i}", last_name or f"Nachname{i}"
    company, email = f"Firma {i % 37}", f"person{i}@example.com"
    return {
        "account_id": account_id,
        "met_by_id": met_by_id,
        "uuid": str(uuid.uuid4()),
        "source": "import",
        "first_name": first,
        "last_name": last,
        "company": company,
        "email": email,
        "met_on": date(2025, 1, 1) + timedelta(days=i % days),
        "search_text": contact_search_text(first, last, company, email),
        "created_at": now,
        "updated_at": now,
    }


def bulk_insert_contacts(
    account_id: int, met_by_ids: list[int], count: int, start: int = 0
) -> None:
    """Fast: Core executemany. Few distinct days: many ties, so the id tie-break matters."""
    now = utcnow()
    rows = [
        contact_row(
            i,
            account_id,
            met_by_ids[i % len(met_by_ids)],
            now,
            last_name="MÜLLER" if i % 100 < 3 else "",
        )
        for i in range(start, start + count)
    ]
    db.session.execute(sa.insert(Contact.__table__), rows)
    db.session.commit()


@contextmanager
def counted_statements():
    """The SQL statements run inside the block (to show a page's query count stays flat)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


# Contact form fields: a value at each limit (accepted) and one past it (refused).
_TEXT_FIELDS = (
    "name_prefix first_name last_name position role department company addressee "
    "address_line1 address_line2 city country"
).split()


def _email_of_length(n: int) -> str:
    local, label = "a" * 64, "b" * 63
    rest = n - len(local) - 1 - 2 * (len(label) + 1)
    return f"{local}@{label}.{label}.{'c' * rest}"


BOUNDARIES = [
    *[(name, "x" * 255, "x" * 256) for name in _TEXT_FIELDS],
    ("email", _email_of_length(254), _email_of_length(255)),
    ("work_email", _email_of_length(254), _email_of_length(255)),
    ("email", "jörg@bücher.example.com", "not-an-email"),
    ("work_email", "a@example.com", "a@@example.com"),
    ("work_phone", "1" * 40, "1" * 41),
    ("mobile_phone", "1" * 40, "1" * 41),
    ("work_phone", "+49 (0)30 / 123-45.6", "030 1234 ext. 5"),
    ("mobile_phone", "+1 555 0100", "+49 170 <b>"),
    ("postcode", "1" * 20, "1" * 21),
    ("website", "https://example.com/" + "a" * 1980, "https://example.com/" + "a" * 1981),
    ("website", "http://example.com", "javascript:alert(1)"),
    ("website", "https://example.com", "JavaScript:alert(document.cookie)"),
    ("website", "www.example.com", "ftp://example.com"),
    ("website", "example.com:8080/x", "data:text/html,<script>alert(1)</script>"),
    ("website", "HTTPS://Example.com", "https://"),
    ("notes", "n" * 32_000, "n" * 32_001),
    ("met_on", "2000-01-01", "1999-12-31"),
    (
        "met_on",
        (date.today() + timedelta(days=1)).isoformat(),
        (date.today() + timedelta(days=2)).isoformat(),
    ),
    ("met_on", date.today().isoformat(), "31.12.2025"),
    ("language", "fr", "klingon"),
]


# Export states without Salesforce, and the parts of the contacts page that show them.
ORG = "00D000000000001AAA"
OTHER_ORG = "00D000000000002AAA"
HX = {"HX-Request": "true"}


def connection_row(account, org_id=ORG, status="connected"):
    """The account's Salesforce connection as a row (no Salesforce involved)."""
    connection = SalesforceConnection(
        account_id=account.id,
        status=status,
        environment="production",
        login_url="https://login.example.test",
        instance_url="https://acme.my.example.test",
        org_id=org_id,
        sf_user_id="005000000000001AAA",
        sf_user_name="Connecting User",
        refresh_token_enc="x",
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def allow_end_users(account):
    row = db.session.get(IntegrationSettings, account.id) or IntegrationSettings(
        account_id=account.id
    )
    row.push_permission = "everyone"
    db.session.add(row)
    db.session.commit()


def put_in_state(contact, state, *, by=None, reason=None, org_id=ORG, push=None, **fields):
    """A push item in `state` made the contact's current state (no Salesforce involved)."""
    if push is None:
        push = states.create_push(
            contact.account_id,
            [],
            "Lead",
            by,
            PushKind.MANUAL if by else PushKind.AUTOMATIC,
            org_id,
        )
    item = PushItem(
        push_id=push.id,
        account_id=contact.account_id,
        contact_id=contact.id,
        contact_label=states.contact_label(contact),
    )
    db.session.add(item)
    db.session.flush()
    push.total += 1
    states.set_current(contact.id, contact.account_id, item)
    if state != "queued":
        if state == "exported":
            fields.setdefault("sf_object", "Lead")
            fields.setdefault("sf_id", "00Q000000000001AAA")
            fields.setdefault("org_id", org_id)
        states.settle(item, ExportState(state), reason, **fields)
    db.session.commit()
    return item


def html_of(response) -> str:
    return response.get_data(as_text=True)


def cell_of(html: str, contact_id: int) -> str:
    match = re.search(
        rf'<div class="export-status[^"]*" id="export-status-{contact_id}".*?</div>', html, re.S
    )
    assert match, f"no export cell for {contact_id}"
    return match.group(0)


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="contact-(\d+)"', html)]
