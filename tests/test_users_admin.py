import re

import pytest
import time_machine

from lemontaps.extensions import db
from lemontaps.models import User
from tests.helpers import admin_of
from tests.helpers import make_user


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


@pytest.fixture
def admin_client(auth, account_a):
    return auth.client("admin@acme.test")


def _invite(admin_client, email="new@acme.test", role="user"):
    return admin_client.post(
        "/users/invite", data={"email": email, "name": "New Person", "role": role}
    )


def _set_password_link(message) -> str:
    match = re.search(r"http://localhost(/auth/set-password/invite/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_admin_sees_only_the_users_of_the_own_account(admin_client, account_b):
    page = admin_client.get("/users")
    assert page.status_code == 200
    assert b"admin@acme.test" in page.data
    assert b"admin@globex.test" not in page.data


def test_invitation_mail_link_sets_the_password_once(app, auth, admin_client, outbox):
    assert _invite(admin_client).status_code == 302
    assert [m.recipients for m in outbox] == [["new@acme.test"]]
    assert "Acme AG" in outbox[0].body
    link = _set_password_link(outbox[0])
    visitor = app.test_client()
    form = {"password": "my own secret", "password_confirm": "my own secret"}
    assert visitor.post(link, data=form).status_code == 302
    assert auth.login("new@acme.test", "my own secret", client=visitor).status_code == 302
    assert app.test_client().get(link).status_code == 400


def test_invitation_link_expires_after_72_hours(app, auth, account_a, outbox):
    with time_machine.travel("2026-11-28 10:00:00", tick=False) as clock:
        admin_client = auth.client("admin@acme.test")
        assert _invite(admin_client).status_code == 302
        link = _set_password_link(outbox[0])
        clock.shift(71 * 3600)
        assert app.test_client().get(link).status_code == 200
        clock.shift(2 * 3600)
        assert app.test_client().get(link).status_code == 400


def test_invite_shows_field_errors_and_keeps_input(admin_client, outbox):
    response = _invite(admin_client, email="not-an-email")
    assert response.status_code == 422
    assert b"Invalid email address" in response.data or b"valid" in response.data
    assert b'value="not-an-email"' in response.data
    taken = _invite(admin_client, email="ADMIN@acme.test")
    assert taken.status_code == 422
    assert b"A user with this e-mail already exists." in taken.data
    assert outbox == []


def test_role_change_and_last_admin_rule(app, admin_client, account_a):
    admin = admin_of(account_a)
    refused = admin_client.post(f"/users/{admin.id}/role", data={"role": "user"})
    assert refused.status_code == 409
    assert b"at least one active admin" in refused.data
    assert _user("admin@acme.test").role == "admin"

    second = make_user(app, account_a, "second@acme.test")
    assert admin_client.post(f"/users/{second.id}/role", data={"role": "admin"}).status_code == 302
    assert _user("second@acme.test").role == "admin"
    # Now the first admin may step down: another active admin remains.
    assert admin_client.post(f"/users/{admin.id}/role", data={"role": "user"}).status_code == 302
    assert _user("admin@acme.test").role == "user"
    # ...and the demotion takes effect at once: the admin pages are gone for this session.
    assert admin_client.get("/users").status_code == 403


def test_last_active_admin_cannot_be_deactivated(app, auth, account_a):
    other_admin = make_user(app, account_a, "boss@acme.test", role="admin")
    client = auth.client("boss@acme.test")
    first = admin_of(account_a)
    assert client.post(f"/users/{first.id}/deactivate").status_code == 302
    refused = client.post(f"/users/{other_admin.id}/deactivate")
    assert refused.status_code == 409
    assert _user("boss@acme.test").active


def test_a_deactivated_admin_does_not_count_as_active(app, auth, account_a):
    spare = make_user(app, account_a, "spare@acme.test", role="admin")
    spare.active = False
    db.session.commit()
    client = auth.client("admin@acme.test")
    me = _user("admin@acme.test")
    assert client.post(f"/users/{me.id}/role", data={"role": "user"}).status_code == 409


def test_reactivated_user_can_log_in_again(app, auth, admin_client, account_a):
    user = make_user(app, account_a, "back@acme.test")
    admin_client.post(f"/users/{user.id}/deactivate")
    assert auth.login("back@acme.test", client=app.test_client()).status_code == 200
    admin_client.post(f"/users/{user.id}/reactivate")
    assert auth.login("back@acme.test", client=app.test_client()).status_code == 302


def test_end_user_cannot_manage_users(app, auth, account_a):
    user = make_user(app, account_a, "plain@acme.test")
    client = auth.client("plain@acme.test")
    assert client.get("/users").status_code == 403
    assert (
        client.post("/users/invite", data={"email": "x@acme.test", "role": "admin"}).status_code
        == 403
    )
    assert client.post(f"/users/{user.id}/role", data={"role": "admin"}).status_code == 403
    assert _user("plain@acme.test").role == "user"


def test_profile_saves_name_and_language(admin_client):
    response = admin_client.post("/profile", data={"name": "Ada", "language": "de"})
    assert response.status_code == 302
    assert _user("admin@acme.test").name == "Ada"
    assert _user("admin@acme.test").language == "de"
    bad = admin_client.post("/profile", data={"name": "x" * 256, "language": "de"})
    assert bad.status_code == 422


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_forms_without_token_are_refused(self, auth, account_a):
        response = auth.login("admin@acme.test", "x")
        assert response.status_code == 400
        assert b"The form expired" in response.data

    def test_forms_with_token_work(self, auth, client, account_a):
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert auth.login("admin@acme.test", csrf_token=token).status_code == 302
        # htmx requests send the token in a header instead of a form field.
        no_header = client.post("/profile", data={"name": "A", "language": "en"})
        assert no_header.status_code == 400
        with_header = client.post(
            "/profile", data={"name": "A", "language": "en"}, headers={"X-CSRFToken": token}
        )
        assert with_header.status_code == 302
