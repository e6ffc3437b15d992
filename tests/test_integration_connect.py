import re

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import OAuthAttempt
from lemontaps.models import PendingRevocation
from lemontaps.models import SalesforceConnection
from salesforce_emulator.control import ControlClient
from tests.helpers import make_user
from tests.salesforce_helpers import callback_path
from tests.salesforce_helpers import emulator_session
from tests.salesforce_helpers import query_of
from tests.salesforce_helpers import sf_browser_login

PAGE = "/integrations/salesforce"


@pytest.fixture
def admin(auth, account_a, emulator):
    return auth.client("admin@acme.test")


def start(admin, environment="production", my_domain=""):
    response = admin.post(
        f"{PAGE}/authorize", data={"environment": environment, "my_domain": my_domain}
    )
    assert response.status_code == 303, response.data
    return response.headers["Location"]


def connect(admin, emulator, environment="production", **login_kwargs):
    authorize_url = start(admin, environment)
    back = sf_browser_login(emulator, authorize_url, **login_kwargs)
    return admin.get(callback_path(back))


def _connection():
    return db.session.scalar(sa.select(SalesforceConnection))


def test_authorize_url_asks_for_login_minimal_scopes_and_pkce(admin):
    params = query_of(start(admin))
    assert params["prompt"] == "login"
    assert params["scope"] == "api refresh_token"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["redirect_uri"] == "http://localhost/integrations/salesforce/callback"
    assert len(params["state"]) >= 40
    # The verifier stays on the server; the state is stored only as a hash.
    attempt = db.session.scalar(sa.select(OAuthAttempt))
    assert attempt.state_hash != params["state"] and len(attempt.code_verifier) >= 43


def test_connect_production_stores_the_connection_and_shows_checks(admin, emulator):
    response = connect(admin, emulator)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert b"Connected to Salesforce org" in response.data
    connection = _connection()
    assert connection.org_id.startswith("00D") and len(connection.org_id) == 18
    assert connection.sf_user_email == "admin@demo.lemontaps.test"
    assert connection.login_url == "http://login.sf-emulator.localhost"
    page = admin.get(PAGE).get_data(as_text=True)
    assert connection.org_id in page
    assert "API access" in page and "Leads can be created" in page
    assert "External ID field Lemontaps_Id__c on Lead" in page
    assert re.search(r"API usage today</dt><dd>[\d,]+ / [\d,]+", page)


def test_tokens_are_encrypted_at_rest_and_bound_to_the_account(app, admin, emulator, account_b):
    connect(admin, emulator)
    row = db.session.execute(sa.select(SalesforceConnection.__table__)).mappings().one()
    for column in ("refresh_token_enc", "access_token_enc"):
        assert row[column].startswith("gAAAA")  # Fernet
    cipher = app.extensions["salesforce"].cipher
    plaintext = cipher.decrypt(row["account_id"], "refresh_token", row["refresh_token_enc"])
    assert plaintext not in str(dict(row))
    from lemontaps.crypto import TokenDecryptError

    with pytest.raises(TokenDecryptError):
        cipher.decrypt(account_b.id, "refresh_token", row["refresh_token_enc"])


def test_connect_sandbox_uses_the_sandbox_login_host(admin, emulator):
    authorize_url = start(admin, "sandbox")
    assert authorize_url.startswith("http://test.sf-emulator.localhost/services/oauth2/authorize")


def test_my_domain_must_be_a_salesforce_domain(admin):
    for bad in (
        "evil.example.com",
        "https://acme.my.salesforce.com.evil.io",
        "http://acme.my.salesforce.com",
        "acme.my.salesforce.com/path",
    ):
        response = admin.post(
            f"{PAGE}/authorize", data={"environment": "my_domain", "my_domain": bad}
        )
        assert response.status_code == 422, bad
        assert b"a Salesforce domain" in response.data
    ok = admin.post(f"{PAGE}/authorize", data={"environment": "my_domain", "my_domain": "acme"})
    assert ok.headers["Location"].startswith("https://acme.my.salesforce.com/services/oauth2/")


def test_my_domain_of_the_emulator_connects(admin, emulator):
    response = admin.post(
        f"{PAGE}/authorize",
        data={
            "environment": "my_domain",
            "my_domain": "http://lemontaps-demo.my.sf-emulator.localhost",
        },
    )
    authorize_url = response.headers["Location"]
    back = sf_browser_login(emulator, authorize_url)
    assert b"Connected to Salesforce org" in admin.get(callback_path(back)).data
    assert _connection().login_url == "http://lemontaps-demo.my.sf-emulator.localhost"


def test_denied_consent_stores_nothing_and_says_so(admin, emulator):
    response = connect(admin, emulator, allow=False)
    assert b"You did not allow access in Salesforce" in response.data
    assert _connection() is None
    assert b"You did not allow access in Salesforce" in admin.get(f"{PAGE}/panel").data


def test_replayed_callback_is_refused(admin, emulator):
    back = sf_browser_login(emulator, start(admin))
    assert b"Connected" in admin.get(callback_path(back)).data
    replay = admin.get(callback_path(back))
    assert replay.status_code == 400
    assert b"already used" in replay.data


def test_forged_state_is_refused(admin, emulator):
    back = sf_browser_login(emulator, start(admin))
    forged = callback_path(back).replace("state=", "state=x")
    response = admin.get(forged)
    assert response.status_code == 400
    assert b"does not belong to a connection you started" in response.data
    assert _connection() is None


def test_state_started_by_another_admin_is_refused(app, auth, admin, emulator, account_a):
    make_user(app, account_a, "admin2@acme.test", role="admin")
    other = auth.client("admin2@acme.test")
    back = sf_browser_login(emulator, start(admin))
    response = other.get(callback_path(back))
    assert response.status_code == 400
    assert b"started by another user" in response.data
    assert _connection() is None
    # The rightful admin can still finish the attempt.
    assert b"Connected to Salesforce org" in admin.get(callback_path(back)).data


def test_wrong_pkce_verifier_fails_with_salesforce_message(admin, emulator):
    back = sf_browser_login(emulator, start(admin))
    attempt = db.session.scalar(sa.select(OAuthAttempt))
    attempt.code_verifier = "x" * 64
    db.session.commit()
    response = admin.get(callback_path(back))
    assert b"Salesforce did not issue access" in response.data
    assert b"Salesforce said:" in response.data
    assert _connection() is None


def test_org_without_api_access_is_refused(admin, emulator):
    control = ControlClient(
        "http://login.sf-emulator.localhost", session=emulator_session(emulator)
    )
    org_id = control.org_id("Lemontaps Demo")
    control.add_fault(org_id, kind="api_disabled", path="/services/data/*")
    response = connect(admin, emulator)
    assert b"no API access" in response.data
    assert _connection() is None


def test_disconnect_revokes_the_refresh_token(app, admin, emulator):
    connect(admin, emulator)
    connection = _connection()
    refresh_token = app.extensions["salesforce"].cipher.decrypt(
        connection.account_id, "refresh_token", connection.refresh_token_enc
    )
    response = admin.post(f"{PAGE}/disconnect", follow_redirects=True)
    assert b"Salesforce has revoked the app" in response.data
    assert _connection() is None
    from lemontaps.salesforce import oauth
    from lemontaps.salesforce.errors import TokenError

    setup = app.extensions["salesforce"]
    with pytest.raises(TokenError) as refused:
        oauth.refresh(
            setup.new_http(), setup.oauth, "http://login.sf-emulator.localhost", refresh_token
        )
    assert refused.value.error_code == "invalid_grant"


def test_disconnect_when_revoke_fails_still_deletes_and_retries_later(app, admin, emulator):
    connect(admin, emulator)
    control = ControlClient(
        "http://login.sf-emulator.localhost", session=emulator_session(emulator)
    )
    org_id = control.org_id("Lemontaps Demo")
    fault = control.add_fault(org_id, kind="503", path="/services/oauth2/revoke")
    response = admin.post(f"{PAGE}/disconnect", follow_redirects=True)
    assert b"we will try again" in response.data
    assert _connection() is None
    pending = db.session.scalar(sa.select(PendingRevocation))
    assert pending is not None and pending.token_enc.startswith("gAAAA")

    control.delete_fault(org_id, fault["id"])
    pending.next_attempt_at = pending.created_at  # due now
    db.session.commit()
    from lemontaps.services.salesforce_connect import retry_pending_revocations

    assert retry_pending_revocations(app.extensions["salesforce"]) == 1
    db.session.commit()
    assert db.session.scalar(sa.select(PendingRevocation)) is None


def test_settings_are_saved_and_validated(admin):
    ok = admin.post(
        f"{PAGE}/settings",
        data={
            "export_mode": "automatic",
            "target_object": "Contact",
            "push_permission": "everyone",
            "api_usage_threshold_pct": "80",
        },
    )
    assert ok.status_code == 302
    page = admin.get(PAGE).get_data(as_text=True)
    assert (
        'value="automatic" checked'
        in page.replace('checked value="automatic"', 'value="automatic" checked')
        or "automatic" in page
    )
    bad = admin.post(
        f"{PAGE}/settings",
        data={
            "export_mode": "sometimes",
            "target_object": "Contact",
            "push_permission": "everyone",
            "api_usage_threshold_pct": "5",
        },
    )
    assert bad.status_code == 422
    assert b"Not a valid choice" in bad.data
    assert b"Number must be between 10 and 100" in bad.data


def test_end_users_get_403(app, auth, account_a, emulator):
    make_user(app, account_a, "user@acme.test")
    client = auth.client("user@acme.test")
    for method, url in [
        ("GET", PAGE),
        ("GET", f"{PAGE}/panel"),
        ("POST", f"{PAGE}/authorize"),
        ("POST", f"{PAGE}/disconnect"),
        ("POST", f"{PAGE}/settings"),
        ("GET", f"{PAGE}/callback?state=x&code=y"),
    ]:
        assert client.open(url, method=method).status_code == 403, url
