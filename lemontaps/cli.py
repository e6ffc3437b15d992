"""Operator commands: `flask --app wsgi create-account`, `seed-demo`, ..."""

import click
from flask import Flask
from flask import current_app

from lemontaps.extensions import db
from lemontaps.services import users


def register(app: Flask) -> None:
    app.cli.add_command(create_account_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(run_demo_command)
    app.cli.add_command(retry_revocations_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(sweep_command)


@click.command("create-account")
@click.option("--name", prompt="Company name", help="The account's (company's) name.")
@click.option("--admin-email", prompt="First admin's e-mail")
@click.option("--admin-name", default="", help="The admin's display name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The admin's password (prompted when omitted).",
)
def create_account_command(name: str, admin_email: str, admin_name: str, password: str) -> None:
    """Create an account (company) with its first admin."""
    from lemontaps.services.passwords import password_problem

    if password_problem(password):
        raise click.BadParameter("the password needs 8 to 128 characters", param_hint="--password")
    try:
        account, admin = users.create_account(
            current_app.extensions["passwords"], name, admin_email, admin_name, password
        )
    except users.UserRuleError as error:
        raise click.ClickException(f"not created: {error.code}") from None
    db.session.commit()
    click.echo(f"Created account {account.id} ({account.name}) with admin {admin.email}.")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo account, its users and contacts (does nothing if it exists)."""
    from lemontaps.demo import seed_demo

    created = seed_demo(current_app.extensions["passwords"])
    db.session.commit()
    click.echo("Demo data created." if created else "Demo data already present.")


@click.command("run-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run_demo_command(host: str, port: int) -> None:
    """Start the web app and its helper processes for the demo; Ctrl-C stops them all."""
    from lemontaps.demo_runner import run_demo

    config = current_app.config
    run_demo(
        host,
        port,
        config.get("EMULATOR_PORT", 8899),
        config.get("MAIL_CATCHER_PORT", 8025),
        config.get("MAIL_CATCHER_FOLDER", "instance/mail"),
    )


@click.command("retry-revocations")
def retry_revocations_command() -> None:
    """Retry revoking Salesforce tokens whose revoke failed at disconnect."""
    from lemontaps.services.salesforce_connect import retry_pending_revocations

    settled = retry_pending_revocations(current_app.extensions["salesforce"])
    db.session.commit()
    click.echo(f"{settled} revocation(s) settled.")


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (tests, CI).")
@click.option("--no-sweeper", is_flag=True, help="Do not run the sweeper in this worker.")
def worker_command(queues: tuple[str, ...], burst: bool, no_sweeper: bool) -> None:
    """Run an RQ worker for the export and e-mail queues, with the sweeper beside it."""
    from lemontaps.jobs.worker import run_worker

    run_worker(current_app._get_current_object(), list(queues), burst=burst, sweeper=not no_sweeper)


@click.command("sweep")
def sweep_command() -> None:
    """Run the sweeper once (re-enqueue lost work, resume waiting pushes, send due mails)."""
    from lemontaps.jobs.sweeper import sweep

    click.echo(sweep())
