"""SQLite file shared between app instances and processes; parallel requests under latency."""

import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from oauth_helpers import connect
from oauth_helpers import userinfo

from salesforce_emulator import DEMO_CLIENT_ID
from salesforce_emulator import DEMO_CLIENT_SECRET
from salesforce_emulator import create_emulator_app
from salesforce_emulator.control import ControlClient
from salesforce_emulator.seed import demo_org_id
from salesforce_emulator.state import emulator_state
from salesforce_emulator.transport import EmulatorAdapter

ROOT = Path(__file__).resolve().parents[2]


def session_for(app):
    session = requests.Session()
    EmulatorAdapter(app).mount(session)
    return session


def test_two_app_instances_share_one_sqlite_file(tmp_path):
    db = str(tmp_path / "emulator.sqlite")
    first, second = create_emulator_app(db), create_emulator_app(db)
    try:
        urls = emulator_state(first).urls
        with session_for(first) as a, session_for(second) as b:
            token = connect(a, urls.login_url)
            # A token issued through one instance is valid through the other...
            assert userinfo(b, urls.instance_url, token["access_token"]).status_code == 200
            # ...and a fault set through the other applies to the first.
            org_id = demo_org_id(emulator_state(second).store)
            ControlClient(urls.instance_url, session=b).add_fault(
                org_id, kind="503", path="/services/oauth2/userinfo"
            )
            assert userinfo(a, urls.instance_url, token["access_token"]).status_code == 503
        # Seeding ran once: one demo org, not two.
        assert [o["name"] for o in emulator_state(first).store.list_orgs()].count(
            "Lemontaps Demo"
        ) == 1
    finally:
        emulator_state(first).close()
        emulator_state(second).close()


WRITER = textwrap.dedent("""
    import sys
    from salesforce_emulator import create_emulator_app
    from salesforce_emulator.seed import demo_org_id
    from salesforce_emulator.state import emulator_state
    store = emulator_state(create_emulator_app(sys.argv[1])).store
    org_id = demo_org_id(store)
    for n in range(40):
        store.insert_record(org_id, "Lead", {"LastName": f"{sys.argv[2]}-{n}", "Company": "X"})
        store.record_api_call(org_id, "POST", "/services/data/v59.0/sobjects/Lead")
    store.close()
""")


def test_two_processes_write_the_same_file(tmp_path):
    db = str(tmp_path / "emulator.sqlite")
    store = emulator_state(create_emulator_app(db)).store
    try:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, db, name], cwd=ROOT, stderr=subprocess.PIPE
            )
            for name in ("p1", "p2")
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=60)
            assert process.returncode == 0, stderr.decode()
            process.stderr.close()
        org_id = demo_org_id(store)
        names = {r["LastName"] for r in store.list_records(org_id, "Lead")}
        assert {f"p{p}-{n}" for p in (1, 2) for n in range(40)} <= names
        ids_ = [r["Id"] for r in store.list_records(org_id, "Lead")]
        assert len(ids_) == len(set(ids_))
        assert store.api_usage(org_id).used == 80
        assert store.list_api_calls(org_id) == [
            {"method": "POST", "endpoint": "/services/data/v59.0/sobjects/Lead", "count": 80}
        ]
    finally:
        store.close()


def test_eight_parallel_requests_with_latency_overlap(server, http, control, demo_org_id):
    token = connect(http, server.login_url)["access_token"]
    latency = 0.5
    control.add_fault(
        demo_org_id, kind="latency", ms=latency * 1000, path="/services/oauth2/userinfo"
    )

    def call(_):
        with requests.Session() as session:
            return userinfo(session, server.instance_url, token).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(call, range(8)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * 8
    assert latency <= elapsed < 4 * latency
    assert control.list_faults(demo_org_id)[0]["fired"] == 8


def test_password_grant_through_a_file_store_server(tmp_path):
    from salesforce_emulator.server import start_in_thread

    db = str(tmp_path / "served.sqlite")
    with start_in_thread(db_path=db) as server, requests.Session() as http:
        response = http.post(
            f"{server.login_url}/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "username": "ben@demo.lemontaps.test",
                "password": "demo-sf-pass",
            },
            timeout=10,
        )
        assert response.status_code == 200
    assert Path(db).exists()
