"""Driving the bundled Salesforce emulator from tests: an org, a browser, the OAuth dance."""

import html
import re
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests

from salesforce_emulator import DEMO_ADMIN_USERNAME
from salesforce_emulator import DEMO_PASSWORD
from salesforce_emulator import create_emulator_app
from salesforce_emulator.transport import EmulatorAdapter

TEST_CALLBACK = "http://localhost/integrations/salesforce/callback"


def new_emulator(**options):
    return create_emulator_app(None, callback_urls=[TEST_CALLBACK], **options)


def emulator_session(emulator) -> requests.Session:
    """A requests session whose Salesforce URLs go into the in-process emulator."""
    return EmulatorAdapter(emulator).mount(requests.Session())


def sf_browser_login(
    emulator,
    authorize_url: str,
    username: str = DEMO_ADMIN_USERNAME,
    password: str = DEMO_PASSWORD,
    allow: bool = True,
) -> str:
    """Log in on the emulator's authorize page and allow (or deny); returns the callback URL
    Salesforce redirects the browser to."""
    with emulator_session(emulator) as browser:
        return browser_login(browser, authorize_url, username, password, allow)


def browser_login(
    browser: requests.Session,
    authorize_url: str,
    username: str = DEMO_ADMIN_USERNAME,
    password: str = DEMO_PASSWORD,
    allow: bool = True,
) -> str:
    page = browser.get(authorize_url)
    page.close()
    assert page.status_code == 200, page.text
    login = browser.post(
        authorize_url,
        data={
            **hidden_inputs(page.text),
            "step": "login",
            "username": username,
            "password": password,
        },
    )
    login.close()
    assert 'id="oaapprove"' in login.text, login.text
    decision = {"oaapprove": "Allow"} if allow else {"oadeny": "Deny"}
    answer = browser.post(
        authorize_url,
        data={
            **hidden_inputs(login.text),
            "step": "consent",
            **decision,
        },
        allow_redirects=False,
    )
    answer.close()
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


def hidden_inputs(page: str) -> dict:
    """What a browser would send back: the form's hidden fields."""
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page)
    }


def callback_path(callback_url: str) -> str:
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == TEST_CALLBACK, callback_url
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def control(emulator):
    from salesforce_emulator.control import ControlClient

    return ControlClient("http://login.sf-emulator.localhost", session=emulator_session(emulator))


def connect_account(auth, emulator, admin_email: str, environment: str = "production") -> str:
    """Run the real connect flow for the admin; returns the connected org id."""
    client = auth.client(admin_email)
    started = client.post("/integrations/salesforce/authorize", data={"environment": environment})
    assert started.status_code == 303, started.data
    back = sf_browser_login(emulator, started.headers["Location"])
    page = client.get(callback_path(back))
    assert b"Connected to Salesforce org" in page.data, page.data
    return connected_org_id(admin_email)


def connected_org_id(admin_email: str) -> str:
    import sqlalchemy as sa

    from lemontaps.extensions import db
    from lemontaps.models import SalesforceConnection
    from lemontaps.models import User

    account_id = db.session.scalar(sa.select(User.account_id).where(User.email == admin_email))
    return db.session.scalar(
        sa.select(SalesforceConnection.org_id).where(SalesforceConnection.account_id == account_id)
    )
