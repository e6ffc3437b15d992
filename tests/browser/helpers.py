"""The browser suite's helpers: Debian's chromium and its contexts (desktop, phone), the CDN
stand-in, logging in through the browser, connecting over plain HTTP, screenshots."""

import os
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from config import Config
from salesforce_emulator.control import ControlClient
from tests.e2e.helpers import CALLBACK_PATH
from tests.e2e.helpers import ROOT
from tests.e2e.helpers import Mailbox
from tests.e2e.helpers import Workers
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import csrf_token_of
from tests.salesforce_helpers import browser_login

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
# The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1); a normal
# test run writes them to test-artifacts/ so it never changes tracked files.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "screenshots"
)
HTMX_LOCAL = ROOT / "static" / "vendor" / "htmx.min.js"
DEMO_CLIENT_ID = "3MVG9LemontapsDemoClientId"


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
            "Run `make install-dev` as root (it runs apt-get install -y chromium), "
            "or install the package `chromium` yourself.",
            pytrace=False,
        )
    if not HTMX_LOCAL.exists():
        pytest.fail(
            f"{HTMX_LOCAL} is missing: run `python -m lemontaps.vendor` (`make install-dev` does).",
            pytrace=False,
        )


@dataclass
class Live:
    """The running stack of one test module."""

    url: str
    app: object
    settings: dict
    emulator_urls: dict
    control: ControlClient
    smtp: Mailbox
    workers: Workers
    storage: dict = field(default_factory=dict)  # logged-in cookies per (email, device)

    @property
    def callback_url(self) -> str:
        return self.url + CALLBACK_PATH


def is_up(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


class CDN:
    """What the intercepted CDN answers: "serve" the real file, "block" (unreachable), or
    "tamper" (the file with code added, so its hash no longer matches)."""

    TAMPER = b"window.__tampered = true;\n"

    def __init__(self, mode: str = "serve"):
        self.mode = mode
        self.requests = 0

    def __call__(self, route):
        self.requests += 1
        if self.mode == "block":
            route.abort("internetdisconnected")
            return
        body = HTMX_LOCAL.read_bytes()
        if self.mode == "tamper":
            body = self.TAMPER + body
        # crossorigin="anonymous": without this header the browser refuses the script.
        route.fulfill(
            status=200,
            body=body,
            headers={
                "Content-Type": "application/javascript; charset=utf-8",
                "Access-Control-Allow-Origin": "*",
                "Cache-Control": "no-store",
            },
        )


def new_context(browser, live: Live, device: dict = DESKTOP, cdn: CDN | None = None):
    context = browser.new_context(
        **device, base_url=live.url, locale="en-US", timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(15_000)
    context.route(f"{Config.HTMX_CDN_ORIGIN}/**", cdn or CDN())
    return context


def log_in(context, live: Live, email: str, device: str = "desktop"):
    """A page of the context, logged in as `email` (the login form, once per user and device;
    later the cookies are reused, keeping under the login rate limit)."""
    page = context.new_page()
    key = (email, device)
    if key in live.storage:
        context.add_cookies(live.storage[key])
        return page
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.form [type=submit]")
    assert "/auth/login" not in page.url, page.content()
    # The page after log-in may still fetch htmx's local copy (loaded after "load" when the
    # CDN is blocked); let it finish, so a test's request counting starts clean.
    page.wait_for_load_state("networkidle")
    live.storage[key] = context.cookies()
    return page


def connect_over_http(live: Live, email: str) -> str:
    """The connect flow over plain HTTP (the app's login, authorize, the emulator's login and
    consent, the callback); returns the connected org id. The popup itself is tested apart."""
    with AuthActions(live.app).http_session(email) as app_session, requests.Session() as sf_session:
        page = app_session.get(live.url + "/integrations/salesforce")
        assert page.ok, page.text
        started = app_session.post(
            live.url + "/integrations/salesforce/authorize",
            data={"csrf_token": csrf_token_of(page.text), "environment": "production"},
            allow_redirects=False,
        )
        assert started.status_code in (302, 303), started.text
        back = browser_login(sf_session, started.headers["Location"])
        assert urlsplit(back).path == CALLBACK_PATH
        done = app_session.get(back)
        assert "Connected to Salesforce org" in done.text, done.text
        org_id = re.search(
            r'id="connection-org-id">([^<]+)<',
            app_session.get(live.url + "/integrations/salesforce").text,
        ).group(1)
        return org_id


def screenshot(target, name: str, **options) -> Path:
    """Save <name>.png (docs/screenshots/ with UPDATE_SCREENSHOTS=1: the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    target.screenshot(path=str(path), animations="disabled", **options)
    return path


def fits_width(page) -> bool:
    """No sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
