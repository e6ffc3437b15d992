"""The end-to-end harness: free ports, waiting, a private Redis, an SMTP mailbox, the emulator
and the web app as their own servers, the deployed app as `make run` builds it, rq workers."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests
import sqlalchemy as sa
from flask import g
from flask import has_app_context
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from lemontaps import create_app
from lemontaps.extensions import db
from lemontaps.models import ContactExport
from lemontaps.models import SalesforceConnection
from salesforce_emulator.control import ControlClient
from tests.helpers import csrf_token_of
from tests.salesforce_helpers import browser_login

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
APP_CONFIG = "demo"  # what `make run` starts
CALLBACK_PATH = "/integrations/salesforce/callback"
# A deployment's own key (the demo would write one into instance/ instead).
TOKEN_KEYS = "ZTJlLWtleS1lMmUta2V5LWUyZS1rZXktZTJlLWtleS0="


def free_port(count: int = 1) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65000:
            continue
        if all(_port_free(base + n) for n in range(count)):
            return base
    raise RuntimeError("no free ports")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_until(check, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class RedisServer:
    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = workdir / "redis.log"
        self.process = None

    def start(self):
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        import redis

        wait_until(lambda: _ping(redis.Redis.from_url(self.url)), 10, "redis")

    def restart(self):
        """Stop (losing everything queued: no persistence) and start again."""
        self.stop()
        self.start()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _ping(client) -> bool:
    try:
        return client.ping()
    except Exception:  # noqa: BLE001  not up yet
        return False
    finally:
        client.close()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


def start_emulator(workdir: Path, callback_url: str) -> tuple[subprocess.Popen, dict]:
    """The emulator as its own process on three free ports; returns it with its URLs once
    it answers."""
    port = free_port(3)
    with (workdir / "emulator.log").open("ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "salesforce_emulator",
                "--port",
                str(port),
                "--db",
                str(workdir / "emulator.sqlite"),
                "--callback-url",
                callback_url,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    urls = {
        "login": f"http://127.0.0.1:{port}",
        "sandbox": f"http://127.0.0.1:{port + 1}",
        "instance": f"http://127.0.0.1:{port + 2}",
    }

    def up():
        try:
            return requests.get(f"{urls['instance']}/services/data/", timeout=1).ok
        except requests.RequestException:
            return False

    try:
        wait_until(up, 20, "the emulator")
    except AssertionError:
        process.kill()
        process.wait(10)
        raise
    return process, urls


class LiveServer:
    """The web app over HTTP on a fixed loopback port (BASE_URL), serving each test's app."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = None
        self.server = make_server("127.0.0.1", self.port, self, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __call__(self, environ, start_response):
        if self.target is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app"]
        return self.target(environ, start_response)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(10)


def deployment_env(settings: dict) -> dict[str, str]:
    """`settings` as a deployment gives them: LEMONTAPS_<NAME> environment variables."""
    env = {"APP_CONFIG": APP_CONFIG}
    for name, value in settings.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        env[f"LEMONTAPS_{name}"] = str(value)
    return env


@contextmanager
def environment(values: dict[str, str]):
    # Only these keys are restored: the app sets OAUTHLIB_* for the loopback emulator.
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def create_deployed_app(settings: dict):
    """The app as wsgi.py creates it in a process started with the deployment's environment."""
    with environment(deployment_env(settings)):
        app = create_app()
    app.test_client_class = BrowserLikeClient
    return app


class BrowserLikeClient(FlaskClient):
    """The test client sends the session's CSRF token with every POST, as the app's forms and
    htmx do (the app checks it: CSRF is on, as in production)."""

    def open(self, *args, **kwargs):
        # The tests hold one app context, which each request reuses; a server gives every
        # request a fresh `g` (Flask-WTF and Flask-Login cache the session's token and user).
        if has_app_context():
            vars(g).clear()
        return super().open(*args, **kwargs)

    def post(self, *args, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("X-CSRFToken", self.csrf_token())
        return super().post(*args, headers=headers, **kwargs)

    def csrf_token(self) -> str:
        return csrf_token_of(self.get("/auth/login", follow_redirects=True).get_data(as_text=True))


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Workers:
    def __init__(self, settings: dict, workdir: Path):
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **deployment_env(settings))
        self.workdir = workdir
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(count):
            with (self.workdir / f"worker-{len(self.processes)}.log").open("ab") as log:
                process = subprocess.Popen(
                    [*FLASK, "worker"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.processes.append(process)
            started.append(process)
        return started

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its work horse. RQ starts the horse in a session of its
        own (setsid), so it is found by its parent pid, not by the process group."""
        for pid in [*descendants(process.pid), process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill(process)


# Driving pushes as the admin of acme (the app and its database in the test process).
SETTLED = ("exported", "duplicate", "failed")


def connect(auth, emulator_urls) -> tuple[str, ControlClient]:
    """Connect the admin of acme to the emulator's demo org, through the app's OAuth flow."""
    app = auth.app
    control = ControlClient(emulator_urls["instance"])
    org_id = control.org_id("Lemontaps Demo")
    control.reset_org(org_id)  # each test starts from the seeded org (and its tokens die)
    control.clear_faults(org_id)
    control.update_app("3MVG9LemontapsDemoClientId", rotate_refresh_tokens=False)
    client = auth.client("admin@acme.test")
    started = client.post("/integrations/salesforce/authorize", data={"environment": "production"})
    with requests.Session() as browser:
        back = browser_login(browser, started.headers["Location"])
    assert back.startswith(app.config["BASE_URL"] + CALLBACK_PATH)
    assert (
        b"Connected to Salesforce org" in client.get(back.removeprefix(app.config["BASE_URL"])).data
    )
    assert db.session.scalar(sa.select(SalesforceConnection.org_id)) == org_id
    db.session.rollback()
    control.reset_api_calls(org_id)
    return org_id, control


def start_push(auth, contact_ids=None, client=None) -> None:
    """Push the ticked contacts, or (no ids) "all matching" the empty filter, as the admin
    (logged in as `client`, or anew)."""
    client = client or auth.client("admin@acme.test")
    form = {"contact_ids": contact_ids} if contact_ids else {"all": "1"}
    response = client.post("/exports/push", data=form)
    # A real request ends its transaction at teardown; the tests' shared app context does not.
    db.session.rollback()
    assert response.status_code == 302 and "push=" in response.headers["Location"]


def states(contact_ids) -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(ContactExport.contact_id, ContactExport.state).where(
            ContactExport.contact_id.in_(contact_ids)
        )
    ).all()
    db.session.rollback()  # SQLite: hold no lock while the workers write
    return dict(rows)


def all_settled(contact_ids):
    current = states(contact_ids)
    return current if all(current.get(c) in SETTLED for c in contact_ids) else None
