"""Fixtures for the Salesforce emulator tests: a threaded server on ephemeral ports, an
in-process app with the requests adapter, and a fresh app with an org for the data API (the
helpers that click through the OAuth pages are in oauth_helpers.py, the data API's in
data_helpers.py)."""

from __future__ import annotations

import pytest
import requests
from data_helpers import LEMONTAPS_ID_FIELD
from data_helpers import OrgClient
from data_helpers import new_org

from salesforce_emulator import create_emulator_app
from salesforce_emulator.control import ControlClient
from salesforce_emulator.server import start_in_thread
from salesforce_emulator.state import emulator_state
from salesforce_emulator.transport import EmulatorAdapter


@pytest.fixture
def server():
    handle = start_in_thread(hang_seconds=1.5)
    yield handle
    handle.stop()


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture
def control(server, http):
    return ControlClient(server.instance_url, session=http)


@pytest.fixture
def demo_org_id(server):
    return next(
        org["id"]
        for org in emulator_state(server.app).store.list_orgs()
        if org["kind"] == "production"
    )


@pytest.fixture
def sandbox_org_id(server):
    return next(
        org["id"]
        for org in emulator_state(server.app).store.list_orgs()
        if org["kind"] == "sandbox"
    )


@pytest.fixture
def inprocess():
    """(app, session) with the session's emulator URLs routed into the app in-process."""
    app = create_emulator_app()
    with requests.Session() as session:
        EmulatorAdapter(app).mount(session)
        yield app, session
    emulator_state(app).close()


@pytest.fixture
def emulator_app():
    app = create_emulator_app(seed_demo=False)
    yield app
    emulator_state(app).close()


@pytest.fixture
def org(emulator_app) -> OrgClient:
    return new_org(
        emulator_app,
        customization={
            "custom_fields": {
                "Lead": [LEMONTAPS_ID_FIELD],
                "Contact": [LEMONTAPS_ID_FIELD],
            },
            "picklist_additions": {"Lead": {"LeadSource": ["Lemontaps"]}},
        },
    )
