"""The requests adapter: the whole OAuth flow (cookies, redirects) without sockets."""

from oauth_helpers import authorize_url
from oauth_helpers import callback_params
from oauth_helpers import connect
from oauth_helpers import exchange
from oauth_helpers import parse_forms
from oauth_helpers import refresh
from oauth_helpers import submit
from oauth_helpers import userinfo

from salesforce_emulator.state import emulator_state


def test_full_flow_through_the_adapter(inprocess):
    app, session = inprocess
    urls = emulator_state(app).urls
    token = connect(session, urls.login_url)
    assert token["instance_url"] == urls.instance_url
    # The login cookie travelled through the adapter: no login page the second time.
    code = callback_params(consent_only(session, urls.login_url))["code"]
    assert exchange(session, urls.login_url, code).status_code == 200
    refreshed = refresh(session, urls.login_url, token["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert userinfo(session, urls.instance_url, refreshed.json()["access_token"]).status_code == 200


def consent_only(session, base):
    page = session.get(authorize_url(base), timeout=10)
    assert "approve_form" in parse_forms(page.text)
    return submit(session, page, "approve_form", "oaapprove")


def test_adapter_preserves_status_headers_and_body(inprocess):
    app, session = inprocess
    urls = emulator_state(app).urls
    response = session.get(f"{urls.instance_url}/services/data/v59.0/nothing-here", timeout=5)
    assert response.status_code == 404
    assert response.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]
    revoke = session.post(
        f"{urls.login_url}/services/oauth2/revoke", data={"token": "x"}, timeout=5
    )
    assert revoke.status_code == 400
    assert revoke.json()["error"] == "invalid_token"
