"""`make run`'s mail catcher: the demo's mails end up as files and as a line in the terminal."""

import email
import smtplib
import subprocess
import sys
from email import policy
from email.message import EmailMessage

import pytest

from config import DemoConfig
from config import TestingConfig
from lemontaps import create_app
from lemontaps.demo_runner import demo_processes
from lemontaps.extensions import db
from lemontaps.mail_catcher import start
from lemontaps.notifications import email as mails
from lemontaps.services import users
from tests.e2e.helpers import ROOT
from tests.e2e.helpers import free_port
from tests.e2e.helpers import wait_until


def _caught(folder) -> list:
    return sorted(folder.glob("*.eml"))


def test_catcher_keeps_each_mail_as_a_file_and_prints_a_line(tmp_path):
    lines: list[str] = []
    controller = start(tmp_path / "mail", free_port(), lines.append)
    try:
        for n in (1, 2):
            message = EmailMessage()
            message["From"] = "no-reply@lemontaps.test"
            message["To"] = "zoë.o'brien+demo@demo.lemontaps.test"
            message["Subject"] = f"Grüße Nr. {n}"
            message.set_content("Hallo Zoë")
            with smtplib.SMTP("127.0.0.1", controller.port, timeout=10) as smtp:
                smtp.send_message(message)
    finally:
        controller.stop()
    files = _caught(tmp_path / "mail")
    assert len(files) == 2
    by_subject = {
        email.message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"]: f for f in files
    }
    assert set(by_subject) == {"Grüße Nr. 1", "Grüße Nr. 2"}
    assert sorted(lines) == [
        f"mail to zoë.o'brien+demo@demo.lemontaps.test: {subject} -> {path}"
        for subject, path in sorted(by_subject.items())
    ]


def test_demo_invitation_reaches_the_catcher_process_of_make_run(tmp_path):
    port = free_port()
    folder = tmp_path / "mail"
    (catcher,) = [
        p
        for p in demo_processes("127.0.0.1", 5000, 8899, port, str(folder))
        if p.name == "mail-catcher"
    ]
    assert catcher.argv[0] == sys.executable
    process = subprocess.Popen(
        catcher.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until(lambda: _answers(port), 20, "the mail catcher")
        # The demo's own configuration, only on a free port and a throwaway database.
        # (and a fixed key, so no key file is written into instance/).
        config = type(
            "DemoOnFreePort",
            (DemoConfig,),
            {
                "MAIL_PORT": port,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "TOKEN_ENCRYPTION_KEYS": TestingConfig.TOKEN_ENCRYPTION_KEYS,
            },
        )
        app = create_app(config)
        with app.app_context(), app.test_request_context():
            db.create_all()
            account, admin = users.create_account(
                app.extensions["passwords"], "Demo GmbH", "admin@demo.lemontaps.test", "Admin", None
            )
            invited = users.invite_user(
                account, "juergen.gross+demo@demo.lemontaps.test", "Jürgen Groß", "user"
            )
            assert mails.try_send(mails.send_invitation, invited, admin, "a-token")
            # Flask-Mail cannot send to a non-ASCII local part: reported, not raised.
            umlaut = users.invite_user(account, "jürgen@demo.lemontaps.test", "Jürgen", "user")
            assert not mails.try_send(mails.send_invitation, umlaut, admin, "b-token")
        (saved,) = wait_until(lambda: _caught(folder), 20, "the saved mail")
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    message = email.message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert message["To"] == "juergen.gross+demo@demo.lemontaps.test"
    assert "/auth/set-password/invite/a-token" in message.get_body(("plain",)).get_content()
    line = f"mail to juergen.gross+demo@demo.lemontaps.test: {message['Subject']} -> {saved}"
    assert line in output


def _answers(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


@pytest.fixture
def catcher(tmp_path):
    controller = start(tmp_path / "caught", free_port(), lambda line: None)
    yield controller
    controller.stop()


@pytest.fixture
def app_config(catcher):
    return {"MAIL_SUPPRESS_SEND": False, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": catcher.port}


def test_invite_with_a_working_mail_server_and_an_address_it_cannot_take(
    auth, account_a, catcher, tmp_path
):
    admin = auth.client("admin@acme.test")
    sent = admin.post(
        "/users/invite",
        data={"email": "o'neill+messe@acme.test", "name": "Siobhán O'Neill", "role": "user"},
    )
    assert sent.status_code == 302
    (saved,) = wait_until(lambda: _caught(tmp_path / "caught"), 10, "the invitation")
    assert "o'neill+messe@acme.test" in saved.read_text()
    # A non-ASCII local part passes the form, but Flask-Mail cannot address it: no 500.
    refused = admin.post(
        "/users/invite", data={"email": "jürgen@acme.test", "name": "Jürgen", "role": "user"}
    )
    assert refused.status_code == 200
    assert b"could not be sent" in refused.data
    assert b'id="invite-link"' in refused.data
