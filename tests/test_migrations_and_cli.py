"""The migrations build the same schema as the models, and the operator commands work."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from config import TestingConfig
from lemontaps import create_app
from lemontaps.extensions import db
from lemontaps.models import Account
from lemontaps.models import User


def test_migrations_match_the_models(tmp_path):
    class FileDb(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrated.sqlite'}"

    app = create_app(FileDb)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_create_account_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-account",
            "--name",
            "Initech",
            "--admin-email",
            "Boss@Initech.test",
            "--admin-name",
            "Bill",
            "--password",
            "long enough secret",
        ]
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(db.select(User).where(User.email == "boss@initech.test"))
    assert admin.is_admin and admin.account.name == "Initech"
    again = runner.invoke(
        args=[
            "create-account",
            "--name",
            "Other",
            "--admin-email",
            "boss@initech.test",
            "--password",
            "long enough secret",
        ]
    )
    assert again.exit_code != 0 and "email_taken" in again.output
    assert db.session.scalar(db.select(db.func.count(Account.id))) == 1


def test_create_account_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-account", "--name", "X", "--admin-email", "x@x.test", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "8 to 128" in result.output


@pytest.mark.parametrize("command", ["seed-demo"])
def test_seed_demo_is_idempotent(app, command):
    runner = app.test_cli_runner()
    assert runner.invoke(args=[command]).exit_code == 0
    users_after_first = db.session.scalar(db.select(db.func.count(User.id)))
    second = runner.invoke(args=[command])
    assert second.exit_code == 0 and "already present" in second.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == users_after_first == 3
