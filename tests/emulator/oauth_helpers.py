"""Driving the emulator's OAuth pages like a browser without JavaScript: parse and submit its
forms, log in, allow or deny, exchange and refresh tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

from salesforce_emulator import DEMO_CLIENT_ID
from salesforce_emulator import DEMO_CLIENT_SECRET

CALLBACK = "http://127.0.0.1:5000/integrations/salesforce/callback"
ADMIN = "admin@demo.lemontaps.test"
PASSWORD = "demo-sf-pass"


class FormParser(HTMLParser):
    """Collects each <form>'s inputs so tests can submit it like a browser without JS."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"action": attrs.get("action", ""), "fields": {}, "buttons": {}}
            self.forms[attrs.get("id", "")] = self._current
        elif self._current is not None and tag == "input" and attrs.get("name"):
            self._current["fields"][attrs["name"]] = attrs.get("value", "")
        elif self._current is not None and tag == "button" and attrs.get("name"):
            self._current["buttons"][attrs.get("id")] = (attrs["name"], attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse_forms(html: str) -> dict[str, dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def submit(session, response, form_id, button_id, **fields):
    form = parse_forms(response.text)[form_id]
    data = {**form["fields"], **fields}
    name, value = form["buttons"][button_id]
    data[name] = value
    return session.post(
        urljoin(response.url, form["action"]), data=data, allow_redirects=False, timeout=10
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_url(base: str, **params) -> str:
    query = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "api refresh_token",
        "state": "st-123",
    }
    query.update({k: v for k, v in params.items() if v is not None})
    return f"{base}/services/oauth2/authorize?{urlencode(query)}"


def login(session, base, username=ADMIN, password=PASSWORD, **params):
    """Open the authorize URL and submit the login form; returns the page after login."""
    page = session.get(authorize_url(base, **params), timeout=10)
    assert page.status_code == 200, page.text
    assert "login_form" in parse_forms(page.text), "expected the login page"
    return submit(session, page, "login_form", "Login", username=username, password=password)


def authorize(session, base, username=ADMIN, password=PASSWORD, approve=True, **params):
    """Login then Allow (or Deny); returns the redirect response (302) to the callback."""
    consent = login(session, base, username, password, **params)
    assert "approve_form" in parse_forms(consent.text), consent.text
    return submit(session, consent, "approve_form", "oaapprove" if approve else "oadeny")


def callback_params(response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(CALLBACK)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def exchange(session, base, code, verifier=None, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "redirect_uri": CALLBACK,
    }
    if verifier:
        data["code_verifier"] = verifier
    data.update(overrides)
    return session.post(f"{base}/services/oauth2/token", data=data, timeout=10)


def connect(session, base, username=ADMIN, **params) -> dict:
    """The whole web-server flow; returns the token response JSON."""
    params.setdefault("prompt", "login")
    code = callback_params(authorize(session, base, username, **params))["code"]
    response = exchange(session, base, code)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(session, base, refresh_token, **overrides):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        **overrides,
    }
    return session.post(f"{base}/services/oauth2/token", data=data, timeout=10)


def userinfo(session, base, access_token):
    return session.get(
        f"{base}/services/oauth2/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    )
