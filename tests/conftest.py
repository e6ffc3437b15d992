"""Shared fixtures: the app on SQLite (in memory) or on PostgreSQL when TEST_DATABASE_URL is set."""

import os

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient
from sqlalchemy.pool import StaticPool

from config import TestingConfig
from lemontaps import create_app
from lemontaps.extensions import db
from lemontaps.extensions import mail
from tests.helpers import AuthActions
from tests.helpers import make_account

USING_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
_postgres_schema_ready = False


def _database_per_xdist_worker() -> None:
    """Each xdist worker gets a PostgreSQL database of its own (tests empty the tables)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not USING_POSTGRES or not worker:
        return
    url = sa.engine.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_{worker}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    os.environ["TEST_DATABASE_URL"] = url.set(database=name).render_as_string(hide_password=False)


_database_per_xdist_worker()


def _engine_options() -> dict:
    if USING_POSTGRES:
        return {"pool_pre_ping": True}
    # One shared in-memory connection, usable from the live-server thread too.
    return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}


class TestConfig(TestingConfig):
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options()


def _prepare_postgres_schema(app) -> None:
    """Build the schema once per test session through the migrations, as production does."""
    global _postgres_schema_ready
    if _postgres_schema_ready:
        return
    from flask_migrate import upgrade

    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    upgrade()
    _postgres_schema_ready = True


def _empty_postgres_tables() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


class IsolatedClient(FlaskClient):
    """Tests hold one app context open, and requests reuse it: forget the previous request's
    logged-in user so each client is judged by its own cookie only."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def app_config():
    """Override in a test module to change settings: return a dict of config values."""
    return {}


@pytest.fixture
def app(app_config):
    config_class = type("PerTestConfig", (TestConfig,), dict(app_config))
    app = create_app(config_class)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if USING_POSTGRES:
            _prepare_postgres_schema(app)
        else:
            db.create_all()
        yield app
        db.session.remove()
        if USING_POSTGRES:
            _empty_postgres_tables()
        else:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(app, client):
    """Log in through the log-in form: `auth.login(user_or_email)` as `client`, or
    `auth.client(user_or_email)` for a new logged-in client. The e2e tests' `app` is the
    deployed one, so there the same fixture logs in to it."""
    return AuthActions(app, client)


@pytest.fixture
def outbox(app):
    with mail.record_messages() as messages:
        yield messages


@pytest.fixture
def account_a(app):
    return make_account(app, "Acme AG", "admin@acme.test")


@pytest.fixture
def account_b(app):
    return make_account(app, "Globex GmbH", "admin@globex.test")


@pytest.fixture
def emulator(app):
    """The Salesforce emulator in-process; the app's Salesforce HTTP goes into it."""
    from tests.salesforce_helpers import emulator_session
    from tests.salesforce_helpers import new_emulator

    emulator = new_emulator()
    app.extensions["salesforce"].http_factory = lambda: emulator_session(emulator)
    return emulator
