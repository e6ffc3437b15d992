"""Each fault kind, over the threaded server (socket-level faults) and in-process."""

import time

import pytest
import requests
from flask import jsonify
from flask import request
from oauth_helpers import ADMIN
from oauth_helpers import PASSWORD
from oauth_helpers import connect
from oauth_helpers import refresh
from oauth_helpers import userinfo

from salesforce_emulator import DEMO_CLIENT_ID
from salesforce_emulator import DEMO_CLIENT_SECRET
from salesforce_emulator import authenticate
from salesforce_emulator import create_emulator_app
from salesforce_emulator.control import ControlClient
from salesforce_emulator.control import ControlError
from salesforce_emulator.faults import should_fire
from salesforce_emulator.server import start_in_thread
from salesforce_emulator.state import emulator_state
from salesforce_emulator.transport import EmulatorAdapter

DATA_PATH = "/services/data/v59.0/whoami"


def password_token(http, base):
    response = http.post(
        f"{base}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "username": ADMIN,
            "password": PASSWORD,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def data_server():
    """A server with a stand-in data route that uses authenticate(), as issue 6's routes will."""
    app = create_emulator_app()

    @app.get(DATA_PATH)
    def whoami():
        context = authenticate(request)
        return jsonify({"org": context.org_id, "user": context.user_id})

    handle = start_in_thread(app=app)
    yield handle
    handle.stop()
    app.extensions["salesforce_emulator"].close()


@pytest.fixture
def data_control(data_server, http):
    control = ControlClient(data_server.instance_url, session=http)
    org_id = control.org_id("Lemontaps Demo")
    return control, org_id


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_authenticate_accepts_live_tokens_and_rejects_others(data_server, http):
    token = password_token(http, data_server.login_url)
    ok = http.get(data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=10)
    assert ok.status_code == 200
    assert ok.json()["user"].startswith("005")
    bad = http.get(data_server.instance_url + DATA_PATH, headers=bearer("00Dx!nope"), timeout=10)
    assert bad.status_code == 401
    assert bad.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert bad.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_latency_delays_only_matching_requests(data_server, data_control, http):
    control, org_id = data_control
    token = password_token(http, data_server.login_url)
    control.add_fault(org_id, kind="latency", ms=400, path="/services/data/*")
    started = time.monotonic()
    assert (
        http.get(
            data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=10
        ).status_code
        == 200
    )
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    userinfo(http, data_server.instance_url, token)
    assert time.monotonic() - started < 0.4


def test_503_on_the_nth_call_only(data_server, data_control, http):
    control, org_id = data_control
    token = password_token(http, data_server.login_url)
    control.add_fault(org_id, kind="503", path="/services/data/*", nth=2)
    statuses = [
        http.get(
            data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=10
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 503, 200, 200]
    rule = control.list_faults(org_id)[0]
    assert (rule["matched"], rule["fired"]) == (4, 1)


def test_unable_to_lock_row_twice_then_ok(data_server, data_control, http):
    control, org_id = data_control
    token = password_token(http, data_server.login_url)
    control.add_fault(
        org_id, kind="unable_to_lock_row", path="/services/data/*", method="GET", times=2
    )
    responses = [
        http.get(data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=10)
        for _ in range(3)
    ]
    assert [r.status_code for r in responses] == [400, 400, 200]
    assert responses[0].json()[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"


def test_api_disabled_rule_and_org_setting(data_server, data_control, http):
    control, org_id = data_control
    token = password_token(http, data_server.login_url)
    rule = control.add_fault(org_id, kind="api_disabled", path="/services/data/*")
    response = http.get(data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=10)
    assert response.status_code == 403
    assert response.json() == [
        {
            "message": "The REST API is not enabled for this Organization.",
            "errorCode": "API_DISABLED_FOR_ORG",
        }
    ]
    control.delete_fault(org_id, rule["id"])
    assert (
        http.get(
            data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=10
        ).status_code
        == 200
    )
    control.update_settings(org_id, api_enabled=False)
    assert (
        http.get(
            data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=10
        ).status_code
        == 403
    )
    # OAuth still works when the API is off.
    assert userinfo(http, data_server.instance_url, token).status_code == 200


def test_drop_connection_closes_socket_without_response(data_server, data_control, http):
    control, org_id = data_control
    token = password_token(http, data_server.login_url)
    control.add_fault(org_id, kind="drop_connection", path=DATA_PATH, nth=1)
    with pytest.raises(requests.ConnectionError):
        http.get(data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=5)
    assert (
        http.get(data_server.instance_url + DATA_PATH, headers=bearer(token), timeout=5).status_code
        == 200
    )


def test_timeout_after_commit_commits_then_times_out(server, control, http, demo_org_id):
    token = connect(http, server.login_url)
    control.add_fault(
        demo_org_id, kind="timeout_after_commit", path="/services/oauth2/revoke", hang_seconds=1.0
    )
    with pytest.raises(requests.ReadTimeout):
        http.post(
            f"{server.login_url}/services/oauth2/revoke",
            data={"token": token["refresh_token"]},
            timeout=0.3,
        )
    # The revocation was committed although the client never saw the answer.
    assert refresh(http, server.login_url, token["refresh_token"]).status_code == 400


def test_expire_access_tokens_after_n_seconds(data_server, data_control, http):
    control, org_id = data_control
    old = password_token(http, data_server.login_url)
    control.add_fault(org_id, kind="expire_access_tokens", seconds=0.5, path="/services/data/*")
    fresh = password_token(http, data_server.login_url)
    assert (
        http.get(
            data_server.instance_url + DATA_PATH, headers=bearer(fresh), timeout=10
        ).status_code
        == 200
    )
    time.sleep(0.6)
    expired = http.get(data_server.instance_url + DATA_PATH, headers=bearer(old), timeout=10)
    assert expired.status_code == 401
    assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    control.clear_faults(org_id)
    # Expired for good, like a timed-out session.
    assert (
        http.get(data_server.instance_url + DATA_PATH, headers=bearer(old), timeout=10).status_code
        == 401
    )


def test_revoke_refresh_tokens_fault(server, control, http, demo_org_id):
    token = connect(http, server.login_url)
    control.add_fault(
        demo_org_id, kind="revoke_refresh_tokens", path="/services/oauth2/token", nth=1
    )
    response = refresh(http, server.login_url, token["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error_description"] == "expired access/refresh token"


def test_seeded_probability_is_reproducible_across_emulators():
    patterns = []
    for _ in range(2):
        app = create_emulator_app()
        with requests.Session() as session:
            EmulatorAdapter(app).mount(session)
            urls = emulator_state(app).urls
            control = ControlClient(urls.instance_url, session=session)
            org_id = control.org_id("Lemontaps Demo")
            token = password_token(session, urls.login_url)
            control.add_fault(
                org_id, kind="503", path="/services/oauth2/userinfo", probability=0.5, seed=42
            )
            patterns.append(
                [userinfo(session, urls.instance_url, token).status_code for _ in range(20)]
            )
        emulator_state(app).close()
    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {200, 503}


def test_should_fire_nth_times_and_probability():
    rule = {"id": 1, "nth": 3, "times": 2, "fired": 0, "probability": None, "seed": None}
    assert [should_fire(rule, n) for n in range(1, 7)] == [False, False, True, True, False, False]
    rule = {"id": 1, "nth": None, "times": None, "fired": 0, "probability": 0.3, "seed": "s"}
    draws = [should_fire(rule, n) for n in range(1, 200)]
    assert draws == [should_fire(rule, n) for n in range(1, 200)]
    assert 30 < sum(draws) < 90


def test_faults_are_per_org(server, control, http, demo_org_id):
    sandbox = connect(http, server.sandbox_url, username="admin@demo.lemontaps.test.dev")
    production = connect(http, server.login_url)
    control.add_fault(demo_org_id, kind="503", path="/services/oauth2/userinfo")
    assert userinfo(http, server.instance_url, production["access_token"]).status_code == 503
    assert userinfo(http, server.instance_url, sandbox["access_token"]).status_code == 200


def test_bad_rules_are_refused(control, demo_org_id):
    for rule in (
        {"kind": "explode"},
        {"kind": "503", "probability": 2},
        {"kind": "503", "nth": 0},
        {"kind": "503", "path_regex": "("},
    ):
        with pytest.raises(ControlError) as excinfo:
            control.add_fault(demo_org_id, **rule)
        assert excinfo.value.response.status_code == 400


def test_in_process_adapter_maps_socket_faults(inprocess):
    app, session = inprocess
    urls = emulator_state(app).urls
    control = ControlClient(urls.instance_url, session=session)
    org_id = control.org_id("Lemontaps Demo")
    token = password_token(session, urls.login_url)
    control.add_fault(org_id, kind="drop_connection", path="/services/oauth2/userinfo", nth=1)
    control.add_fault(org_id, kind="timeout_after_commit", path="/services/oauth2/revoke", nth=1)
    with pytest.raises(requests.ConnectionError):
        userinfo(session, urls.instance_url, token)
    assert userinfo(session, urls.instance_url, token).status_code == 200
    with pytest.raises(requests.ReadTimeout):
        session.post(f"{urls.login_url}/services/oauth2/revoke", data={"token": token}, timeout=5)
    assert userinfo(session, urls.instance_url, token).status_code == 403
