"""`flask --app wsgi run-demo`: starts every process of the demo and stops them together."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import click

from lemontaps.demo import demo_logins


@dataclass
class DemoProcess:
    name: str
    argv: list[str]


def demo_processes(host: str, port: int, emulator_port: int) -> list[DemoProcess]:
    bin_dir = os.path.dirname(sys.executable)
    flask = [os.path.join(bin_dir, "flask"), "--app", "wsgi"]
    return [
        DemoProcess(
            "salesforce-emulator",
            [*flask, "sf-emulator", "--host", "127.0.0.1", "--port", str(emulator_port),
             "--db", os.path.join("instance", "sf-emulator.sqlite"),
             "--callback-url", f"http://{host}:{port}/integrations/salesforce/callback"],
        ),
        DemoProcess(
            "web",
            [
                os.path.join(bin_dir, "gunicorn"),
                "--bind", f"{host}:{port}",
                "--workers", "2",
                "--access-logfile", "-",
                "wsgi:app",
            ],
        ),
    ]


def run_demo(host: str, port: int, emulator_port: int) -> None:
    env = dict(os.environ, APP_CONFIG=os.environ.get("APP_CONFIG", "demo"))
    started: list[tuple[DemoProcess, subprocess.Popen]] = []
    for process in demo_processes(host, port, emulator_port):
        started.append((process, subprocess.Popen(process.argv, env=env)))
    _print_banner(host, port, emulator_port)
    stop = _install_stop_handlers()
    try:
        while not stop:
            for process, popen in started:
                if popen.poll() is not None:
                    click.echo(f"{process.name} stopped (exit {popen.returncode}); stopping the demo.")
                    stop.append(True)
            time.sleep(0.5)
    finally:
        _stop_all(started)


def _install_stop_handlers() -> list:
    stop: list = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.append(True))
    return stop


def _stop_all(started) -> None:
    for _process, popen in started:
        if popen.poll() is None:
            popen.terminate()
    deadline = time.monotonic() + 10
    for _process, popen in started:
        try:
            popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            popen.kill()


def _print_banner(host: str, port: int, emulator_port: int) -> None:
    click.echo("")
    click.echo(f"Lemontaps is running at http://{host}:{port}/")
    click.echo("Demo logins:")
    for email, password, role in demo_logins():
        click.echo(f"  {email} / {password}  ({role})")
    click.echo(f"Salesforce emulator: http://127.0.0.1:{emulator_port} (production login), "
               f":{emulator_port + 1} (sandbox), :{emulator_port + 2} (instance)")
    click.echo("  Salesforce logins: admin@demo.lemontaps.test / demo-sf-pass "
               "(also anna@, ben@demo.lemontaps.test)")
    click.echo("Stop with Ctrl-C.")
    click.echo("")
