"""The OAuth web-server flow driven over HTTP against the threaded server."""

import base64
import hashlib
import hmac

from oauth_helpers import ADMIN
from oauth_helpers import CALLBACK
from oauth_helpers import PASSWORD
from oauth_helpers import authorize
from oauth_helpers import authorize_url
from oauth_helpers import callback_params
from oauth_helpers import connect
from oauth_helpers import exchange
from oauth_helpers import login
from oauth_helpers import parse_forms
from oauth_helpers import pkce_pair
from oauth_helpers import refresh
from oauth_helpers import submit
from oauth_helpers import userinfo

from salesforce_emulator import DEMO_CLIENT_ID
from salesforce_emulator import DEMO_CLIENT_SECRET

TOKEN_FIELDS = {
    "access_token",
    "refresh_token",
    "signature",
    "scope",
    "instance_url",
    "id",
    "token_type",
    "issued_at",
}


def test_login_page_lists_only_the_hosts_orgs_users(server, http):
    page = http.get(authorize_url(server.login_url), timeout=10)
    assert page.status_code == 200
    for field_id in ('id="username"', 'id="password"', 'id="Login"'):
        assert field_id in page.text
    assert "anna@demo.lemontaps.test<" in page.text
    assert "admin@demo.lemontaps.test.dev" not in page.text
    sandbox_page = http.get(authorize_url(server.sandbox_url), timeout=10)
    assert "admin@demo.lemontaps.test.dev" in sandbox_page.text
    assert "anna@demo.lemontaps.test<" not in sandbox_page.text


def test_allow_returns_code_and_state_and_token_has_real_fields(server, http):
    redirect = authorize(http, server.login_url, state="a b&c")
    params = callback_params(redirect)
    assert params["state"] == "a b&c"
    response = exchange(http, server.login_url, params["code"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    token = response.json()
    assert set(token) == TOKEN_FIELDS  # and no expires_in
    assert token["token_type"] == "Bearer"
    assert token["instance_url"] == server.instance_url
    assert token["id"].startswith(server.login_url + "/id/00D")
    assert token["access_token"].split("!")[0] == token["id"].split("/")[-2][:15]
    assert token["scope"] == "api refresh_token"
    assert len(token["issued_at"]) == 13  # milliseconds
    expected = base64.b64encode(
        hmac.new(
            DEMO_CLIENT_SECRET.encode(), (token["id"] + token["issued_at"]).encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert token["signature"] == expected
    assert (
        userinfo(http, server.instance_url, token["access_token"]).json()["preferred_username"]
        == ADMIN
    )


def test_no_refresh_token_without_the_scope(server, http):
    token = connect(http, server.login_url, scope="api")
    assert "refresh_token" not in token
    assert token["scope"] == "api"


def test_deny_redirects_with_access_denied(server, http):
    redirect = authorize(http, server.login_url, approve=False)
    location = redirect.headers["Location"]
    assert "error=access_denied&error_description=end-user+denied+authorization" in location
    assert callback_params(redirect)["state"] == "st-123"
    assert "code" not in callback_params(redirect)


def test_wrong_password_and_inactive_and_partner_users_cannot_log_in(server, http):
    for username, password in (
        (ADMIN, "wrong"),
        ("former@demo.lemontaps.test", PASSWORD),
        ("partner@demo.lemontaps.test", PASSWORD),
    ):
        page = login(http, server.login_url, username, password)
        assert page.status_code == 200
        assert "Please check your username and password" in page.text
        assert "approve_form" not in parse_forms(page.text)
        assert not http.cookies


def test_session_skips_login_unless_prompt_login(server, http):
    authorize(http, server.login_url)
    again = http.get(authorize_url(server.login_url), timeout=10)
    assert "approve_form" in parse_forms(again.text)
    forced = http.get(authorize_url(server.login_url, prompt="login"), timeout=10)
    assert "login_form" in parse_forms(forced.text)
    # Consent straight from the remembered session still yields a working code.
    code = callback_params(submit(http, again, "approve_form", "oaapprove"))["code"]
    assert exchange(http, server.login_url, code).status_code == 200


def test_invalid_client_and_redirect_mismatch_show_an_error_page(server, http):
    bad_client = http.get(
        authorize_url(server.login_url, client_id="nope"), allow_redirects=False, timeout=10
    )
    assert bad_client.status_code == 400
    assert "error=invalid_client_id" in bad_client.text
    mismatch = http.get(
        authorize_url(server.login_url, redirect_uri="http://evil.test/cb"),
        allow_redirects=False,
        timeout=10,
    )
    assert mismatch.status_code == 400
    assert "redirect_uri_mismatch" in mismatch.text
    assert "Location" not in mismatch.headers


def test_bad_response_type_and_scope_are_redirected_errors(server, http):
    response = http.get(
        authorize_url(server.login_url, response_type="token"), allow_redirects=False, timeout=10
    )
    assert callback_params(response)["error"] == "unsupported_response_type"
    response = http.get(
        authorize_url(server.login_url, scope="api nonsense"), allow_redirects=False, timeout=10
    )
    assert callback_params(response)["error"] == "invalid_scope"


def test_pkce_verifier_checked(server, http):
    verifier, challenge = pkce_pair()
    params = dict(code_challenge=challenge, code_challenge_method="S256")
    code = callback_params(authorize(http, server.login_url, **params))["code"]
    assert exchange(http, server.login_url, code, verifier).status_code == 200

    code = callback_params(authorize(http, server.login_url, prompt="login", **params))["code"]
    mismatch = exchange(http, server.login_url, code, "x" * 43)
    assert mismatch.status_code == 400
    assert mismatch.json()["error"] == "invalid_request"

    code = callback_params(authorize(http, server.login_url, prompt="login", **params))["code"]
    missing = exchange(http, server.login_url, code)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant"


def test_reused_code_fails_and_revokes_its_tokens(server, http):
    code = callback_params(authorize(http, server.login_url))["code"]
    first = exchange(http, server.login_url, code).json()
    second = exchange(http, server.login_url, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert userinfo(http, server.instance_url, first["access_token"]).status_code == 403
    assert refresh(http, server.login_url, first["refresh_token"]).json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }


def test_token_request_errors(server, http):
    code = callback_params(authorize(http, server.login_url))["code"]
    wrong_secret = exchange(http, server.login_url, code, client_secret="nope")
    assert wrong_secret.status_code == 400
    assert wrong_secret.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    unknown_client = exchange(http, server.login_url, code, client_id="unknown")
    assert unknown_client.json() == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }
    other_redirect = exchange(
        http,
        server.login_url,
        code,
        redirect_uri="http://localhost/integrations/salesforce/callback",
    )
    assert other_redirect.status_code == 400
    assert other_redirect.json()["error"] == "redirect_uri_mismatch"
    unsupported = http.post(
        f"{server.login_url}/services/oauth2/token", data={"grant_type": "magic"}, timeout=10
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"
    bogus_code = exchange(http, server.login_url, "aPrxnotacode==")
    assert bogus_code.json()["error"] == "invalid_grant"


def test_client_secret_basic_auth_is_accepted(server, http):
    code = callback_params(authorize(http, server.login_url))["code"]
    response = http.post(
        f"{server.login_url}/services/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_refresh_without_rotation(server, http):
    token = connect(http, server.login_url)
    response = refresh(http, server.login_url, token["refresh_token"])
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    assert set(body) == TOKEN_FIELDS - {"refresh_token"}
    assert body["access_token"] != token["access_token"]
    assert userinfo(http, server.instance_url, body["access_token"]).status_code == 200
    # Without rotation the same refresh token keeps working.
    assert refresh(http, server.login_url, token["refresh_token"]).status_code == 200


def test_rotation_reuse_revokes_the_whole_family(server, http, control):
    control.update_app(DEMO_CLIENT_ID, rotate_refresh_tokens=True)
    token = connect(http, server.login_url)
    rotated = refresh(http, server.login_url, token["refresh_token"]).json()
    assert rotated["refresh_token"] != token["refresh_token"]
    newest = refresh(http, server.login_url, rotated["refresh_token"]).json()
    reuse = refresh(http, server.login_url, token["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    assert refresh(http, server.login_url, newest["refresh_token"]).status_code == 400
    assert userinfo(http, server.instance_url, newest["access_token"]).status_code == 403


def test_at_most_five_refresh_tokens_per_user_and_app(server, http, control, demo_org_id):
    tokens = [connect(http, server.login_url) for _ in range(6)]
    oldest = refresh(http, server.login_url, tokens[0]["refresh_token"])
    assert oldest.status_code == 400
    assert oldest.json()["error"] == "invalid_grant"
    for token in tokens[1:]:
        assert refresh(http, server.login_url, token["refresh_token"]).status_code == 200
    stats = control.token_stats(demo_org_id)["refresh_tokens"]
    assert [row["live_refresh_tokens"] for row in stats] == [5]


def test_revoke_refresh_token_and_access_token(server, http):
    token = connect(http, server.login_url)
    revoke_url = f"{server.login_url}/services/oauth2/revoke"
    response = http.post(revoke_url, data={"token": token["refresh_token"]}, timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert refresh(http, server.login_url, token["refresh_token"]).status_code == 400
    assert userinfo(http, server.instance_url, token["access_token"]).status_code == 403
    again = http.post(revoke_url, data={"token": token["refresh_token"]}, timeout=10)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"
    assert http.post(revoke_url, data={}, timeout=10).json()["error"] == "unsupported_token_type"

    other = connect(http, server.login_url)
    assert http.post(revoke_url, data={"token": other["access_token"]}, timeout=10).ok
    assert userinfo(http, server.instance_url, other["access_token"]).status_code == 403
    assert refresh(http, server.login_url, other["refresh_token"]).status_code == 200


def test_userinfo_and_identity_url(server, http):
    token = connect(http, server.login_url, username="anna@demo.lemontaps.test")
    info = userinfo(http, server.instance_url, token["access_token"]).json()
    assert info["email"] == "anna@demo.lemontaps.test"
    assert info["user_type"] == "STANDARD"
    assert info["sub"] == token["id"]
    identity = http.get(
        token["id"],
        headers={"Authorization": "Bearer " + token["access_token"]},
        params={"version": "59.0"},
        timeout=10,
    )
    assert identity.status_code == 200
    body = identity.json()
    assert body["user_id"] == token["id"].rsplit("/", 1)[1]
    assert body["organization_id"] == token["id"].split("/")[-2]
    assert body["username"] == "anna@demo.lemontaps.test"
    assert body["display_name"] == "Anna Weber"
    assert body["active"] is True
    assert body["urls"]["rest"] == f"{server.instance_url}/services/data/v59.0/"
    assert {"status", "photos", "locale", "language", "utcOffset", "last_modified_date"} <= set(
        body
    )
    literal = http.get(token["id"], params={"oauth_token": token["access_token"]}, timeout=10)
    assert "{version}" in literal.json()["urls"]["rest"]
    assert (
        http.get(token["id"], headers={"Authorization": "Bearer nope"}, timeout=10).status_code
        == 403
    )


def test_sandbox_and_production_hosts_are_separate(server, http):
    sandbox_user = "admin@demo.lemontaps.test.dev"
    refused = login(http, server.login_url, sandbox_user)
    assert "Please check your username and password" in refused.text
    token = connect(http, server.sandbox_url, username=sandbox_user)
    assert token["id"].startswith(server.sandbox_url + "/id/")
    assert token["instance_url"] == server.instance_url
    info = userinfo(http, server.instance_url, token["access_token"]).json()
    assert info["email"].endswith(".invalid")
    at_production = refresh(http, server.login_url, token["refresh_token"])
    assert at_production.status_code == 400
    assert at_production.json()["error"] == "invalid_grant"
    assert refresh(http, server.sandbox_url, token["refresh_token"]).status_code == 200
    # The My Domain host accepts either.
    assert refresh(http, server.instance_url, token["refresh_token"]).status_code == 200
    password_at_sandbox = http.post(
        f"{server.sandbox_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "username": ADMIN,
            "password": PASSWORD,
        },
        timeout=10,
    )
    assert password_at_sandbox.json() == {
        "error": "invalid_grant",
        "error_description": "authentication failure",
    }


def test_password_and_client_credentials_grants(server, http):
    form = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    password = http.post(
        f"{server.login_url}/services/oauth2/token",
        data={**form, "grant_type": "password", "username": ADMIN, "password": PASSWORD},
        timeout=10,
    )
    assert password.status_code == 200
    assert "refresh_token" not in password.json()
    wrong = http.post(
        f"{server.login_url}/services/oauth2/token",
        data={**form, "grant_type": "password", "username": ADMIN, "password": "x"},
        timeout=10,
    )
    assert wrong.json()["error_description"] == "authentication failure"
    at_login_host = http.post(
        f"{server.login_url}/services/oauth2/token",
        data={**form, "grant_type": "client_credentials"},
        timeout=10,
    )
    assert at_login_host.status_code == 400
    at_my_domain = http.post(
        f"{server.instance_url}/services/oauth2/token",
        data={**form, "grant_type": "client_credentials"},
        timeout=10,
    )
    assert at_my_domain.status_code == 200
    assert at_my_domain.json()["id"].startswith(server.instance_url + "/id/")
