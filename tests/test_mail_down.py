"""The mail server is down: invitations and password resets still answer, nothing is a 500."""

import logging
import re
import socket

import pytest

from lemontaps.extensions import db
from lemontaps.models import User


def _closed_port() -> int:
    # A port that was free a moment ago and has no listener: connecting is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app_config():
    return {"MAIL_SUPPRESS_SEND": False, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": _closed_port()}


@pytest.fixture
def admin_client(auth, account_a):
    return auth.client("admin@acme.test")


def _user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email))


def _shown_link(page: bytes) -> str:
    match = re.search(rb'id="invite-link" readonly value="http://localhost(/auth/[^"]+)"', page)
    assert match, page.decode()
    return match.group(1).decode()


def test_invite_is_saved_and_the_admin_gets_the_link_to_copy(app, auth, admin_client, caplog):
    with caplog.at_level(logging.WARNING, logger="lemontaps.notifications.email"):
        response = admin_client.post(
            "/users/invite",
            data={
                "email": "jürgen.o'neill+demo@acme.test",
                "name": "Jürgen O'Neill",
                "role": "user",
            },
        )
    assert response.status_code == 200
    assert b"The invitation e-mail to" in response.data
    assert b"could not be sent" in response.data
    assert _user("jürgen.o'neill+demo@acme.test") is not None
    assert "send_invitation" in caplog.text

    link = _shown_link(response.data)
    visitor = app.test_client()
    form = {"password": "my own secret", "password_confirm": "my own secret"}
    assert visitor.post(link, data=form).status_code == 302
    assert (
        auth.login("jürgen.o'neill+demo@acme.test", "my own secret", client=visitor).status_code
        == 302
    )


def test_the_link_is_shown_once_not_kept_for_later_pages(admin_client):
    response = admin_client.post(
        "/users/invite", data={"email": "new@acme.test", "name": "New", "role": "user"}
    )
    link = _shown_link(response.data)
    later = admin_client.get("/users")
    assert later.status_code == 200
    assert b"new@acme.test" in later.data
    assert link.encode() not in later.data


def test_resend_with_the_mail_server_down_shows_the_link(admin_client):
    admin_client.post(
        "/users/invite", data={"email": "new@acme.test", "name": "New", "role": "user"}
    )
    user = _user("new@acme.test")
    response = admin_client.post(f"/users/{user.id}/resend-invite")
    assert response.status_code == 200
    assert b"could not be sent" in response.data
    assert _shown_link(response.data).startswith("/auth/set-password/invite/")


def test_forgot_password_answers_alike_for_known_and_unknown_addresses(client, account_a, caplog):
    with caplog.at_level(logging.WARNING, logger="lemontaps.notifications.email"):
        known = client.post("/auth/forgot-password", data={"email": "admin@acme.test"})
        known_page = client.get(known.headers["Location"])
    unknown = client.post("/auth/forgot-password", data={"email": "wer.ist.das@acme.test"})
    unknown_page = client.get(unknown.headers["Location"])

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known_page.status_code == unknown_page.status_code == 200
    assert known_page.data == unknown_page.data
    assert b"a reset link is on its way" in known_page.data
    assert "send_password_reset" in caplog.text
