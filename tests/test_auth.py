import re

import pytest
import time_machine

from lemontaps.extensions import db
from lemontaps.models import User
from tests.helpers import PASSWORD
from tests.helpers import make_user

WRONG = "E-mail or password is wrong."


def test_login_page_renders(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data and b'name="password"' in response.data


def test_admin_logs_in_and_sees_start_page(auth, client, account_a):
    response = auth.login("admin@acme.test")
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_email_is_matched_without_regard_to_case(auth, client, account_a):
    assert auth.login("  ADMIN@Acme.TEST ").status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_message(auth, client, account_a):
    unknown = auth.login("nobody@acme.test")
    wrong = auth.login("admin@acme.test", "not the password")
    assert unknown.status_code == wrong.status_code == 200
    assert WRONG.encode() in unknown.data and WRONG.encode() in wrong.data
    assert client.get("/profile").status_code == 302


def test_deactivated_user_cannot_log_in(app, auth, client, account_a):
    user = make_user(app, account_a, "gone@acme.test")
    user.active = False
    db.session.commit()
    response = auth.login("gone@acme.test")
    assert WRONG.encode() in response.data


def test_invited_user_without_password_cannot_log_in(auth, client, account_a):
    from lemontaps.services import users

    users.invite_user(account_a, "new@acme.test", "New", "user")
    db.session.commit()
    assert b"This field is required." in auth.login("new@acme.test", "").data
    assert WRONG.encode() in auth.login("new@acme.test", "anything at all").data


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/users", "/users"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_only_leads_to_local_pages(auth, account_a, target, expected):
    response = auth.login("admin@acme.test", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in (expected, "http://localhost" + expected)


def test_protected_page_redirects_to_login_with_next(client):
    response = client.get("/users")
    assert response.status_code == 302
    assert "/auth/login?next=/users" in response.headers["Location"]


def test_logout_is_post_only_and_ends_the_session(auth, client, account_a):
    auth.login("admin@acme.test")
    assert client.get("/auth/logout").status_code == 405
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302


def _session_cookie(client) -> str:
    return client.get_cookie("lemontaps_session").value


def test_copied_session_cookie_stops_working_after_logout(app, auth, account_a):
    first, thief = app.test_client(), app.test_client()
    auth.login("admin@acme.test", client=first)
    thief.set_cookie("lemontaps_session", _session_cookie(first), domain="localhost")
    assert thief.get("/profile").status_code == 200
    auth.logout(first)
    assert thief.get("/profile").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, auth, account_a):
    phone, desktop = app.test_client(), app.test_client()
    auth.login("admin@acme.test", client=phone)
    auth.login("admin@acme.test", client=desktop)
    response = desktop.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new secret",
            "password_confirm": "a brand new secret",
        },
    )
    assert response.status_code == 302
    assert desktop.get("/profile").status_code == 200
    assert phone.get("/profile").status_code == 302
    assert (
        auth.login("admin@acme.test", "a brand new secret", client=app.test_client()).status_code
        == 302
    )


def test_password_change_needs_the_current_password(auth, client, account_a):
    auth.login("admin@acme.test")
    response = client.post(
        "/profile/password",
        data={
            "current_password": "wrong",
            "password": "newsecret1",
            "password_confirm": "newsecret1",
        },
    )
    assert response.status_code == 422
    assert b"This is not your current password." in response.data


def test_password_change_reports_short_and_mismatched_passwords(auth, client, account_a):
    auth.login("admin@acme.test")
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "password": "short", "password_confirm": "other"},
    )
    assert response.status_code == 422
    assert b"at least 8" in response.data or b"between 8" in response.data
    assert b"The passwords differ." in response.data


def test_deactivation_ends_the_users_sessions(app, auth, account_a):
    make_user(app, account_a, "eve@acme.test")
    eve, admin = app.test_client(), app.test_client()
    auth.login("eve@acme.test", client=eve)
    assert eve.get("/profile").status_code == 200
    auth.login("admin@acme.test", client=admin)
    eve_id = db.session.scalar(db.select(User.id).where(User.email == "eve@acme.test"))
    assert admin.post(f"/users/{eve_id}/deactivate").status_code == 302
    assert eve.get("/profile").status_code == 302


class TestThrottling:
    def test_ten_failures_for_one_email_block_it_for_15_minutes(self, auth, app, client, account_a):
        for _ in range(10):
            assert auth.login("admin@acme.test", "wrong").status_code == 200
        blocked = auth.login("admin@acme.test")  # even the right password
        assert blocked.status_code == 429
        assert b"Too many attempts" in blocked.data
        # Another e-mail from the same address is not blocked by the e-mail limit.
        make_user(app, account_a, "other@acme.test")
        assert auth.login("other@acme.test").status_code == 302

    def test_block_lifts_after_15_minutes(self, auth, client, account_a):
        with time_machine.travel("2026-11-28 10:00:00", tick=False) as clock:
            for _ in range(10):
                auth.login("admin@acme.test", "wrong")
            clock.shift(14 * 60)
            assert auth.login("admin@acme.test").status_code == 429
            clock.shift(61)
            assert auth.login("admin@acme.test").status_code == 302

    def test_successful_logins_do_not_count(self, auth, client, account_a):
        for _ in range(12):
            assert auth.login("admin@acme.test").status_code == 302
            auth.logout()

    def test_fifty_failures_from_one_ip_block_it(self, auth, client, account_a):
        for i in range(50):
            auth.login(f"user{i}@acme.test", "wrong")
        assert auth.login("admin@acme.test").status_code == 429
        client.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # the same browser, another address
        assert auth.login("admin@acme.test").status_code == 302

    def test_a_browser_that_logged_in_before_is_not_locked_out_by_its_neighbours(
        self, app, auth, client, account_a
    ):
        """An office behind one address: someone's fifty failures do not keep a colleague
        whose browser logged in to their account before from logging in."""
        make_user(app, account_a, "colleague@acme.test")
        colleague = auth.client("colleague@acme.test")
        auth.logout(colleague)
        for i in range(50):
            auth.login(f"user{i}@acme.test", "wrong")  # the same address, another browser
        assert auth.login("colleague@acme.test", client=colleague).status_code == 302
        auth.logout(colleague)
        # The cookie is for the colleague's account only, and a new browser is held back.
        assert auth.login("admin@acme.test", client=colleague).status_code == 429
        assert auth.login("colleague@acme.test").status_code == 429

    def test_a_new_password_ends_the_known_browsers(self, app, auth, client, account_a):
        from lemontaps.services import users

        make_user(app, account_a, "colleague@acme.test")
        colleague = auth.client("colleague@acme.test")
        auth.logout(colleague)
        user = users.find_user_by_email("colleague@acme.test")
        user.password_hash = app.extensions["passwords"].hash("a brand new passphrase")
        db.session.commit()
        for i in range(50):
            auth.login(f"user{i}@acme.test", "wrong")
        response = auth.login("colleague@acme.test", "a brand new passphrase", client=colleague)
        assert response.status_code == 429


class TestForgotPassword:
    def test_same_message_for_known_and_unknown_addresses(self, client, account_a, outbox):
        known = client.post(
            "/auth/forgot-password", data={"email": "admin@acme.test"}, follow_redirects=True
        )
        unknown = client.post(
            "/auth/forgot-password", data={"email": "who@acme.test"}, follow_redirects=True
        )
        message = b"If this address belongs to an account, a reset link is on its way."
        assert message in known.data and message in unknown.data
        assert [m.recipients for m in outbox] == [["admin@acme.test"]]

    def _reset_link(self, outbox) -> str:
        match = re.search(r"http://localhost(/auth/set-password/reset/\S+)", outbox[-1].body)
        assert match, outbox[-1].body
        return match.group(1)

    def test_reset_link_sets_a_new_password_once(self, auth, client, account_a, outbox):
        client.post("/auth/forgot-password", data={"email": "admin@acme.test"})
        link = self._reset_link(outbox)
        assert outbox[-1].html and link in outbox[-1].html
        data = {"password": "fresh password 1", "password_confirm": "fresh password 1"}
        assert client.post(link, data=data).status_code == 302
        assert auth.login("admin@acme.test", "fresh password 1").status_code == 302
        auth.logout()
        again = client.post(
            link, data={"password": "evil password", "password_confirm": "evil password"}
        )
        assert again.status_code == 400
        assert b"not valid any more" in again.data

    def test_reset_link_expires(self, client, account_a, outbox):
        with time_machine.travel("2026-11-28 10:00:00", tick=False) as clock:
            client.post("/auth/forgot-password", data={"email": "admin@acme.test"})
            link = self._reset_link(outbox)
            clock.shift(3 * 3600)
            assert client.get(link).status_code == 400

    def test_forged_link_is_refused(self, client, account_a):
        assert client.get("/auth/set-password/reset/not-a-real-token").status_code == 400
        assert client.get("/auth/set-password/other/x").status_code == 404


@pytest.mark.parametrize(
    ("app_config", "other_client_behind_the_proxy"),
    [({"TRUSTED_PROXIES": 0}, 429), ({"TRUSTED_PROXIES": 1}, 302)],
    ids=["no-trusted-proxy", "one-trusted-proxy"],
)
def test_the_client_address_comes_from_the_configured_proxies_only(
    client, account_a, other_client_behind_the_proxy
):
    """Behind a trusted proxy the IP limit counts each client's address (X-Forwarded-For),
    so one client's failures do not block the others behind the same proxy; without a
    trusted proxy the header is ignored (anyone could send it)."""
    proxy = {"REMOTE_ADDR": "10.0.0.5"}

    def log_in(email, password, client_ip):
        return client.post(
            "/auth/login",
            data={"email": email, "password": password},
            headers={"X-Forwarded-For": client_ip},
            environ_base=proxy,
        ).status_code

    for i in range(50):
        log_in(f"user{i}@acme.test", "wrong", "203.0.113.7")
    assert log_in("admin@acme.test", PASSWORD, "203.0.113.7") == 429
    assert log_in("admin@acme.test", PASSWORD, "198.51.100.1") == other_client_behind_the_proxy
