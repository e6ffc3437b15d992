"""End-to-end: the emulator as its own process, a private Redis, real rq workers, a real SMTP
server, and the app's database in a SQLite file they all share."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from aiosmtpd.controller import Controller

from config import TestingConfig
from lemontaps import create_app
from lemontaps.extensions import db

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]


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


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def redis_server(workdir):
    server = RedisServer(workdir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


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


@pytest.fixture(scope="module")
def emulator_urls(workdir):
    process, urls = start_emulator(workdir, "http://localhost/integrations/salesforce/callback")
    yield urls
    process.terminate()
    process.wait(10)


@pytest.fixture
def settings(workdir, redis_server, smtp, emulator_urls, request):
    database = workdir / f"app-{request.node.name[:40]}.sqlite"
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "RQ_IS_ASYNC": True,
        "REDIS_URL": redis_server.url,
        "SALESFORCE_LOGIN_URL": emulator_urls["login"],
        "SALESFORCE_SANDBOX_URL": emulator_urls["sandbox"],
        "SALESFORCE_EMULATOR_URLS": ",".join(emulator_urls.values()),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "MAIL_SUPPRESS_SEND": False,
        "PUSH_JOB_TIMEOUT": 20,
        "PUSH_STUCK_GRACE_SECONDS": 10,  # a beat every 2.5 s; a busy machine delays some
        "SWEEP_INTERVAL_SECONDS": 1,
    }


@pytest.fixture
def app(settings):
    config = type("E2EConfig", (TestingConfig,), settings)
    app = create_app(config)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


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
        self.env = dict(os.environ, APP_CONFIG="testing", PYTHONUNBUFFERED="1")
        for name, value in settings.items():
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, dict):
                continue
            self.env[f"LEMONTAPS_{name}"] = str(value)
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


@pytest.fixture
def workers(settings, workdir, redis_server):
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    pool = Workers(settings, workdir)
    yield pool
    pool.stop_all()
