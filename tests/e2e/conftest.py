"""End-to-end: the emulator as its own process, a private Redis, real rq workers, a real SMTP
server, and the app's database in a SQLite file they all share.

The app (served over HTTP on BASE_URL, and used in-process by the tests) and the workers are
built as `make run` builds them: APP_CONFIG=demo plus the environment a deployment sets, and
nothing a real process lacks. The `auth` fixture of tests/conftest.py logs in to this app
(its test client sends the CSRF token as a browser does)."""

import pytest
from aiosmtpd.controller import Controller

from lemontaps.extensions import db
from tests.e2e.helpers import CALLBACK_PATH
from tests.e2e.helpers import TOKEN_KEYS
from tests.e2e.helpers import LiveServer
from tests.e2e.helpers import Mailbox
from tests.e2e.helpers import RedisServer
from tests.e2e.helpers import Workers
from tests.e2e.helpers import create_deployed_app
from tests.e2e.helpers import free_port
from tests.e2e.helpers import start_emulator
from tests.helpers import make_account


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


@pytest.fixture(scope="module")
def live_server():
    server = LiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def emulator_urls(workdir, live_server):
    process, urls = start_emulator(workdir, live_server.url + CALLBACK_PATH)
    yield urls
    process.terminate()
    process.wait(10)


@pytest.fixture
def settings(workdir, redis_server, smtp, emulator_urls, live_server, request):
    database = workdir / f"app-{request.node.name[:40]}.sqlite"
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "REDIS_URL": redis_server.url,
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "BASE_URL": live_server.url,
        "TOKEN_ENCRYPTION_KEYS": TOKEN_KEYS,
        "SALESFORCE_LOGIN_URL": emulator_urls["login"],
        "SALESFORCE_SANDBOX_URL": emulator_urls["sandbox"],
        "SALESFORCE_EMULATOR_URLS": ",".join(emulator_urls.values()),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "PUSH_JOB_TIMEOUT": 20,
        "PUSH_STUCK_GRACE_SECONDS": 10,  # a beat every 2.5 s; a busy machine delays some
        "SWEEP_INTERVAL_SECONDS": 1,
        "MAIL_RETRY_INTERVALS": "2,5,10",  # scaled down like the timeouts above
    }


@pytest.fixture
def app(settings, live_server):
    app = create_deployed_app(settings)
    with app.app_context():
        db.create_all()
        live_server.target = app
        yield app
        live_server.target = None
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def workers(settings, workdir, redis_server):
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    pool = Workers(settings, workdir)
    yield pool
    pool.stop_all()


@pytest.fixture
def acme(app):
    """The account the tests push from; its admin, admin@acme.test, logs in through `auth`."""
    return make_account(app, "Acme AG", "admin@acme.test")
