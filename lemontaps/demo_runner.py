"""`flask --app wsgi run-demo`: starts every process of the demo and stops them together."""

import os
import shutil
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


PRIVATE_REDIS_PORT = 6390


def redis_answers(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except RedisError:
        return False


def plan_jobs(env: dict) -> list[DemoProcess]:
    """Use REDIS_URL; else a private redis-server; else run the jobs inside the web app."""
    bin_dir = os.path.dirname(sys.executable)
    flask = [os.path.join(bin_dir, "flask"), "--app", "wsgi"]
    worker = DemoProcess("worker", [*flask, "worker"])
    url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if redis_answers(url):
        return [worker]
    server = shutil.which("redis-server")
    if server:
        env["REDIS_URL"] = f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0"
        return [
            DemoProcess(
                "redis",
                [
                    server,
                    "--port",
                    str(PRIVATE_REDIS_PORT),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
            ),
            worker,
        ]
    click.echo("No Redis found: jobs run inside the web app (fine for the demo only).")
    env["LEMONTAPS_RQ_INPROCESS"] = "true"
    env["LEMONTAPS_RATELIMIT_STORAGE_URI"] = "memory://"
    return []


def demo_processes(
    host: str, port: int, emulator_port: int, mail_port: int, mail_folder: str
) -> list[DemoProcess]:
    bin_dir = os.path.dirname(sys.executable)
    return [
        DemoProcess(
            "mail-catcher",
            [
                sys.executable,
                "-m",
                "lemontaps.mail_catcher",
                "--port",
                str(mail_port),
                "--folder",
                mail_folder,
            ],
        ),
        DemoProcess(
            "salesforce-emulator",
            [
                sys.executable,  # the emulator is its own program, never imported by the app
                "-m",
                "salesforce_emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(emulator_port),
                "--db",
                os.path.join("instance", "sf-emulator.sqlite"),
                "--callback-url",
                f"http://{host}:{port}/integrations/salesforce/callback",
            ],
        ),
        DemoProcess(
            "web",
            [
                os.path.join(bin_dir, "gunicorn"),
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
                "wsgi:app",
            ],
        ),
    ]


def run_demo(host: str, port: int, emulator_port: int, mail_port: int, mail_folder: str) -> None:
    env = dict(os.environ, APP_CONFIG=os.environ.get("APP_CONFIG", "demo"))
    started: list[tuple[DemoProcess, subprocess.Popen]] = []
    job_processes = plan_jobs(env)
    for process in [
        *job_processes[:1],
        *demo_processes(host, port, emulator_port, mail_port, mail_folder),
        *job_processes[1:],
    ]:
        started.append((process, subprocess.Popen(process.argv, env=env)))
        if process.name == "redis":
            _wait_for_redis(env["REDIS_URL"])
    _print_banner(host, port, emulator_port, mail_port, mail_folder)
    stop = _install_stop_handlers()
    try:
        while not stop:
            for process, popen in started:
                if popen.poll() is not None:
                    click.echo(
                        f"{process.name} stopped (exit {popen.returncode}); stopping the demo."
                    )
                    stop.append(True)
            time.sleep(0.5)
    finally:
        _stop_all(started)


def _wait_for_redis(url: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not redis_answers(url):
        time.sleep(0.2)


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


def _print_banner(
    host: str, port: int, emulator_port: int, mail_port: int, mail_folder: str
) -> None:
    click.echo("")
    click.echo(f"Lemontaps is running at http://{host}:{port}/")
    click.echo("Demo logins:")
    for email, password, role in demo_logins():
        click.echo(f"  {email} / {password}  ({role})")
    click.echo(
        f"Salesforce emulator: http://127.0.0.1:{emulator_port} (production login), "
        f":{emulator_port + 1} (sandbox), :{emulator_port + 2} (instance)"
    )
    click.echo(
        "  Salesforce logins: admin@demo.lemontaps.test / demo-sf-pass "
        "(also anna@, ben@demo.lemontaps.test)"
    )
    click.echo(
        f"Mail: nothing leaves this machine. The demo's mail catcher (127.0.0.1:{mail_port}) "
        f"saves each mail in {mail_folder}/ and prints a line here."
    )
    click.echo("Stop with Ctrl-C.")
    click.echo("")
