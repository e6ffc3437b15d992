"""``sf-emulator``: run the emulator as its own process.

Run it with ``python -m salesforce_emulator --port 8899`` (the demo and the tests do).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from .seed import DEMO_CLIENT_ID
from .seed import DEMO_CLIENT_SECRET
from .seed import DEMO_ORG_NAME
from .seed import DEMO_PASSWORD
from .server import serve
from .state import emulator_state

DEFAULT_DB_PATH = os.environ.get("SF_EMULATOR_DB", "instance/sf-emulator.sqlite")


def describe(server) -> str:
    store = emulator_state(server.app).store
    lines = [
        "Salesforce emulator (local stand-in, not Salesforce)",
        f"  production login host: {server.login_url}",
        f"  sandbox login host:    {server.sandbox_url}",
        f"  instance (My Domain):  {server.instance_url}",
        f"  control API:           {server.control_url}/",
        f"  demo connected app:    client id {DEMO_CLIENT_ID}",
        f"                         client secret {DEMO_CLIENT_SECRET}",
    ]
    if server.cert_path:
        lines.append(f"  self-signed cert:      {server.cert_path}")
    for org in store.list_orgs():
        lines.append(f"  org {org['name']} ({org['kind']}, id {org['id']}):")
        for user in store.list_users(org["id"]):
            status = "" if user["IsActive"] else " [inactive]"
            if user["UserType"] != "Standard":
                status += f" [{user['UserType']}]"
            lines.append(f"    {user['Username']}{status}")
    demo_app = store.get_app(DEMO_CLIENT_ID)
    if demo_app:
        lines.append("  demo callback URLs:")
        lines += [f"    {url}" for url in demo_app["settings"]["callback_urls"]]
    lines.append(f"  password of the seeded users ({DEMO_ORG_NAME}): {DEMO_PASSWORD}")
    return "\n".join(lines)


def main(
    port: int = 8899,
    https: bool = False,
    db_path: str | None = DEFAULT_DB_PATH,
    callback_urls=(),
    host: str = "127.0.0.1",
    seed_demo: bool = True,
) -> None:
    """Serve (blocking) and print the demo credentials and URLs at start."""
    if db_path:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    serve(
        host=host,
        port=port,
        https=https,
        db_path=db_path,
        seed_demo=seed_demo,
        callback_urls=list(callback_urls),
        on_ready=lambda server: click.echo(describe(server)),
    )


@click.command("sf-emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=8899,
    show_default=True,
    help="production login port; +1 sandbox login, +2 instance",
)
@click.option("--https", is_flag=True, help="serve TLS with a generated self-signed certificate")
@click.option(
    "--db",
    "db_path",
    default=DEFAULT_DB_PATH,
    show_default=True,
    help="SQLite file shared by processes; '' for in-memory",
)
@click.option(
    "--callback-url",
    "callback_urls",
    multiple=True,
    help="extra allowed callback URL for the demo connected app (repeatable)",
)
@click.option("--no-seed", is_flag=True, help="do not seed the demo orgs")
def sf_emulator_command(host, port, https, db_path, callback_urls, no_seed):
    """Run the Salesforce emulator."""
    main(
        port=port,
        https=https,
        db_path=db_path or None,
        callback_urls=callback_urls,
        host=host,
        seed_demo=not no_seed,
    )
