"""Browser tests: Debian's chromium, driven by Playwright, against the app served by a real HTTP
server (werkzeug, in a thread of the test process) on a SQLite file, with the emulator as its
own process, a private Redis, a real rq worker and an SMTP server (the e2e helpers).

Everything is module-scoped: one stack and one browser per test module. The CDN is never
reached: every request to it is intercepted and served the local copy of htmx (or blocked, or
a tampered file, when a test says so)."""

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from config import Config
from lemontaps.extensions import db
from lemontaps.vendor import sri_of  # noqa: F401  (for the tests)
from salesforce_emulator.control import ControlClient
from tests.e2e.conftest import (
    ROOT,
    TOKEN_KEYS,
    Mailbox,
    RedisServer,
    Workers,
    create_deployed_app,
    free_port,
    start_emulator,
    wait_until,
)
from tests.helpers import PASSWORD
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
CALLBACK_PATH = "/integrations/salesforce/callback"
DEMO_CLIENT_ID = "3MVG9LemontapsDemoClientId"


def _require_chromium() -> None:
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


@pytest.fixture(scope="module")
def bworkdir(tmp_path_factory):
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def live(bworkdir):
    _require_chromium()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    redis_server = RedisServer(bworkdir)
    redis_server.start()
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    emulator, emulator_urls = start_emulator(bworkdir, url + CALLBACK_PATH)
    server = thread = workers = None
    try:
        # What a deployment sets; the app and the worker are built from APP_CONFIG=demo, as
        # `make run` builds them (CSRF on, plain-HTTP cookies, no SERVER_NAME).
        settings = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{bworkdir / 'app.sqlite'}",
            "REDIS_URL": redis_server.url,
            "RATELIMIT_STORAGE_URI": redis_server.url,
            "BASE_URL": url,
            "TOKEN_ENCRYPTION_KEYS": TOKEN_KEYS,
            "SALESFORCE_REDIRECT_URI": url + CALLBACK_PATH,
            "SALESFORCE_LOGIN_URL": emulator_urls["login"],
            "SALESFORCE_SANDBOX_URL": emulator_urls["sandbox"],
            "SALESFORCE_EMULATOR_URLS": ",".join(emulator_urls.values()),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "PUSH_JOB_TIMEOUT": 60,
            "PUSH_STUCK_GRACE_SECONDS": 5,
            "SWEEP_INTERVAL_SECONDS": 2,
        }
        app = create_deployed_app(settings)
        with app.app_context():
            db.create_all()
            db.session.remove()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        wait_until(lambda: _up(url + "/auth/login"), 10, "the live server")
        workers = Workers(settings, bworkdir)
        workers.start(1)
        control = ControlClient(emulator_urls["instance"])
        control.update_app(DEMO_CLIENT_ID, rotate_refresh_tokens=False)
        mailbox.port = smtp.port
        with app.app_context():
            yield Live(url, app, settings, emulator_urls, control, mailbox, workers)
            db.session.remove()
    finally:
        if workers:
            workers.stop_all()
        if server:
            server.shutdown()
            thread.join(10)
        emulator.terminate()
        emulator.wait(10)
        smtp.stop()
        redis_server.stop()


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(live, playwright_instance):
    # A fresh, empty user-data dir per launch (Playwright's default for launch()).
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


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


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def connect_over_http(live: Live, email: str) -> str:
    """The connect flow over plain HTTP (the app's login, authorize, the emulator's login and
    consent, the callback); returns the connected org id. The popup itself is tested apart."""
    with requests.Session() as app_session, requests.Session() as sf_session:
        page = app_session.get(live.url + "/auth/login")
        app_session.post(
            live.url + "/auth/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
        )
        page = app_session.get(live.url + "/integrations/salesforce")
        assert page.ok, page.text
        started = app_session.post(
            live.url + "/integrations/salesforce/authorize",
            data={"csrf_token": csrf_of(page.text), "environment": "production"},
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
