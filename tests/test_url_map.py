"""Walks every route of the app as anonymous, as end users and admins of two accounts.

Every endpoint must be listed in ACCESS: a new route without an entry fails this test, so each
issue's routes join the walk. Object ids in URLs always belong to *another* account (B), so users
of account A must get 404 for them, never data.
"""

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import PushKind
from lemontaps.models import User
from lemontaps.pushes import states
from tests.helpers import admin_of
from tests.helpers import make_contact
from tests.helpers import make_user

PUBLIC, USER, ADMIN = "public", "user", "admin"
# Any user, but only with an API token: no cookie, and anonymous callers get a 401 JSON.
API = "api"

# endpoint -> who may use it
ACCESS = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.set_password": PUBLIC,
    "auth.logout": USER,
    "main.index": USER,
    "main.healthz": PUBLIC,
    "accounts.profile": USER,
    "accounts.update_profile": USER,
    "accounts.change_password": USER,
    "accounts.generate_api_token": USER,
    "accounts.revoke_api_token": USER,
    "accounts.list_users": ADMIN,
    "accounts.invite_user": ADMIN,
    "accounts.resend_invite": ADMIN,
    "accounts.change_role": ADMIN,
    "accounts.deactivate_user": ADMIN,
    "accounts.reactivate_user": ADMIN,
    "contacts.list_contacts": USER,
    "contacts.new_contact": USER,
    "contacts.create_contact": USER,
    "contacts.view_contact": USER,
    "contacts.edit_contact": USER,
    "contacts.update_contact": USER,
    "contacts.confirm_delete_contact": USER,
    "contacts.delete_contact": USER,
    "exports.start_push": USER,
    "exports.push_dialog": USER,
    "exports.poll": USER,
    "exports.contact_details": USER,
    "exports.push_contact_again": USER,
    "exports.push_progress": USER,
    "exports.dismiss_push": USER,
    "exports.dismiss_automatic_pushes": USER,
    "exports.dismiss_finished_pushes": USER,
    "integrations.salesforce": ADMIN,
    "integrations.connection_panel": ADMIN,
    "integrations.authorize": ADMIN,
    "integrations.callback": ADMIN,
    "integrations.disconnect": ADMIN,
    "integrations.recheck": ADMIN,
    "integrations.save_settings": ADMIN,
    "integrations.confirm_switch": ADMIN,
    "integrations.waiting_after_switch": ADMIN,
    "imports.upload_form": ADMIN,
    "imports.upload": ADMIN,
    "imports.preview": ADMIN,
    "imports.run_import": ADMIN,
    "imports.download_invalid": ADMIN,
    "api.list_contacts": API,
    "api.create_contact": API,
    "api.get_contact": API,
    "api.update_contact": API,
    "api.delete_contact": API,
}


def object_ids_of_account_b(app, account_b) -> dict:
    """URL argument name -> a value naming an object of account B."""
    other = make_user(app, account_b, "victim@globex.test")
    contact = make_contact(other, first_name="Victim", last_name="Contact")
    # The API's routes get a contact of their own: the web walk deletes the first one.
    api_contact = make_contact(other, first_name="Victim", last_name="Api")
    # The export routes too (details, push again), and a push of account B.
    export_contact = make_contact(other, first_name="Victim", last_name="Export")
    push = states.create_push(account_b.id, [export_contact], "Lead", other, PushKind.MANUAL, None)
    db.session.commit()
    upload = _csv_upload_of(app, admin_of(account_b))
    return {
        "import_id": upload.id,
        "user_id": other.id,
        "attempt_id": _oauth_attempt_of(account_b).id,
        "contact_id": contact.id,
        "api_contact_id": api_contact.id,
        "export_contact_id": export_contact.id,
        "push_id": push.id,
        "filename": "css/app.css",
        "purpose": "reset",
        "token": "x",
    }


def _oauth_attempt_of(account):
    from lemontaps.extensions import db
    from lemontaps.models import OAuthAttempt

    attempt = OAuthAttempt(
        state_hash="b" * 64,
        code_verifier="v" * 64,
        account_id=account.id,
        user_id=admin_of(account).id,
        environment="production",
        login_url="https://login.salesforce.com",
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def _csv_upload_of(app, user):
    from lemontaps.extensions import db
    from lemontaps.services import csv_import

    with app.test_request_context():  # the row's error message is translated
        parsed = csv_import.parse(b"First name,E-mail\nVictim,bad\nOk,\n", user, [user])
    upload = csv_import.save_upload(user, "victim.csv", parsed)
    db.session.commit()
    return upload


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


def _url(app, rule, values) -> str:
    if _is_api(rule):
        values = {**values, "contact_id": values["api_contact_id"]}
    elif rule.endpoint.startswith("exports."):
        values = {**values, "contact_id": values["export_contact_id"]}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


def test_every_endpoint_has_an_access_rule(app):
    missing = sorted({rule.endpoint for rule, _ in _routes(app)} - set(ACCESS))
    assert missing == [], f"add these endpoints to ACCESS in {__file__}: {missing}"


@pytest.fixture
def walk(app, account_a, account_b):
    make_user(app, account_a, "user@acme.test")
    values = object_ids_of_account_b(app, account_b)
    routes = [(rule, method, _url(app, rule, values)) for rule, method in _routes(app)]
    return routes


def _call(client, method, url, headers=None):
    response = client.open(url, method=method, data={}, headers=headers or {})
    response.close()
    return response


def _api_call(client, method, url, user):
    """An API request as `user`, with a fresh token (the walk's profile routes revoke tokens)."""
    from tests.helpers import bearer
    from tests.helpers import make_api_token

    return _call(client, method, url, bearer(make_api_token(user)))


def test_anonymous_visitors_are_sent_to_login(app, walk):
    client = app.test_client()
    for rule, method, url in walk:
        response = _call(client, method, url)
        if ACCESS[rule.endpoint] == PUBLIC:
            assert response.status_code < 500, (method, url)
            continue
        if ACCESS[rule.endpoint] == API:
            assert _is_api(rule), rule.rule
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.is_json and response.json["error"] == "unauthorized"
            continue
        assert _is_api(rule) is False, rule.rule
        assert response.status_code == 302, (method, url, response.status_code)
        assert "/auth/login" in response.headers["Location"], (method, url)


@pytest.mark.parametrize("email", ["user@acme.test", "admin@acme.test"])
def test_users_of_account_a(auth, walk, email):
    client = auth.client(email)
    is_admin = email.startswith("admin")
    for rule, method, url in walk:
        if rule.endpoint in ("auth.logout", "auth.set_password", "static"):
            continue  # logging out would end the walk; the link needs a real token
        response = _call(client, method, url)
        assert response.status_code < 500, (method, url)
        if ACCESS[rule.endpoint] == API:
            # The session cookie is never accepted by the API; the user's token is.
            assert response.status_code == 401, (method, url, response.status_code)
            user = db.session.scalar(sa.select(User).where(User.email == email))
            response = _api_call(client, method, url, user)
            assert response.status_code < 500 and response.is_json, (method, url)
        takes_foreign_object = any(arg.endswith("_id") for arg in rule.arguments)
        if ACCESS[rule.endpoint] == ADMIN and not is_admin:
            assert response.status_code == 403, (method, url, response.status_code)
        elif takes_foreign_object:
            assert response.status_code == 404, (method, url, response.status_code)
        else:
            assert response.status_code not in (401, 403, 404), (method, url, response.status_code)
        # The walk must not have logged us out or changed our role.
        assert client.get("/profile").status_code == 200


def test_admin_of_account_b_reaches_its_own_objects(auth, walk, account_b):
    client = auth.client(admin_of(account_b))
    checked = 0
    for rule, method, url in walk:
        if any(arg.endswith("_id") for arg in rule.arguments):
            if ACCESS[rule.endpoint] == API:
                response = _api_call(client, method, url, admin_of(account_b))
            else:
                response = _call(client, method, url)
            assert response.status_code not in (403, 404), (method, url)
            checked += 1
    assert checked > 0
