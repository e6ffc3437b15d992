"""Browser tests: Debian's chromium, driven by Playwright, against the app served by a real HTTP
server (werkzeug, in a thread of the test process) on a SQLite file, with the emulator as its
own process, a private Redis, a real rq worker and an SMTP server (the e2e helpers).

Everything is module-scoped: one stack and one browser per test module. The CDN is never
reached: every request to it is intercepted and served the local copy of htmx (or blocked, or
a tampered file, when a test says so)."""

import threading

import pytest
from werkzeug.serving import make_server

from lemontaps.extensions import db
from salesforce_emulator.control import ControlClient
from tests.browser.helpers import CHROMIUM
from tests.browser.helpers import CHROMIUM_ARGS
from tests.browser.helpers import DEMO_CLIENT_ID
from tests.browser.helpers import Live
from tests.browser.helpers import is_up
from tests.browser.helpers import require_chromium
from tests.e2e.helpers import CALLBACK_PATH
from tests.e2e.helpers import TOKEN_KEYS
from tests.e2e.helpers import Mailbox
from tests.e2e.helpers import RedisServer
from tests.e2e.helpers import Workers
from tests.e2e.helpers import create_deployed_app
from tests.e2e.helpers import free_port
from tests.e2e.helpers import start_emulator
from tests.e2e.helpers import wait_until


@pytest.fixture(scope="module")
def bworkdir(tmp_path_factory):
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def live(bworkdir):
    require_chromium()
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
        wait_until(lambda: is_up(url + "/auth/login"), 10, "the live server")
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
