"""API calls and time to push N contacts: the product's push engine against a per-record client
built on simple-salesforce (look up Lead, Contact and owner, then create: one contact at a time),
side by side in one run against the same emulator org. Ratios, not absolute times, are the
result: machines here are shared and noisy.

    python -m bench.api_calls --contacts 1000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

import requests
import sqlalchemy as sa
from simple_salesforce import Salesforce

from config import TestingConfig
from lemontaps import create_app
from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import PushKind
from lemontaps.pushes import states
from lemontaps.pushes.engine import EngineOptions
from lemontaps.pushes.engine import run_batch
from lemontaps.salesforce.soql import quote
from lemontaps.services import contacts as contact_service
from salesforce_emulator.control import ControlClient
from salesforce_emulator.seed import DEMO_CLIENT_ID
from salesforce_emulator.seed import DEMO_CLIENT_SECRET
from salesforce_emulator.server import start_in_thread
from tests.helpers import make_account
from tests.helpers import make_user
from tests.salesforce_helpers import browser_login
from tests.salesforce_helpers import callback_path

RESULTS = Path(__file__).resolve().parent / "results"


def data_set(account, users, size: int, control: ControlClient, org_id: str) -> None:
    for n in range(size // 20):  # 5% already in the org
        control.insert_record(
            org_id,
            "Lead",
            {"LastName": f"Old {n}", "Company": "Old", "Email": f"person{n}@bench.example"},
        )
    for n in range(size):
        contact_service.create_contact(
            account.id,
            users[n % len(users)],
            {
                "first_name": "Bench",
                "last_name": f"Person {n}",
                "company": "" if n % 33 == 0 else "Acme",
                "email": f"person{n}@bench.example",
                "met_on": date(2026, 5, 1),
            },
        )
    db.session.commit()


def run_engine(app, account) -> float:
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))
    push = states.create_push(account.id, contacts, "Lead", None, PushKind.MANUAL, None)
    db.session.commit()
    started = time.perf_counter()
    for batch in states.batches(states.queued_item_ids(push.id)):
        run_batch(app.extensions["salesforce"], push.id, batch, EngineOptions(sleep=lambda s: None))
    return time.perf_counter() - started


def run_per_record(server, cert: str, size: int) -> float:
    """What a straightforward integration does: three look-ups and a create per contact."""
    session = requests.Session()
    session.verify = cert
    session.trust_env = False
    token = session.post(
        f"{server.instance_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    ).json()["access_token"]
    sf = Salesforce(
        instance_url=server.instance_url, session_id=token, session=session, version="62.0"
    )
    started = time.perf_counter()
    for n in range(size):
        email = f"person{n}@bench.example"
        if n % 33 == 0:
            continue  # the same pre-check the engine makes (no company), no call
        found = sf.query(
            f"SELECT Id FROM Lead WHERE Email = {quote(email)} AND IsConverted = false"
        )["totalSize"]
        found += sf.query(f"SELECT Id FROM Contact WHERE Email = {quote(email)}")["totalSize"]
        owner = sf.query(
            "SELECT Id FROM User WHERE IsActive = true AND Email = "
            f"{quote(f'rep{n % 40}@acme.test')}"
        )["records"]
        if found:
            continue
        record = {
            "LastName": f"Person {n}",
            "FirstName": "Bench",
            "Company": "Acme",
            "Email": email,
            "LeadSource": "Lemontaps",
        }
        if owner:
            record["OwnerId"] = owner[0]["Id"]
        sf.Lead.create(record)
    return time.perf_counter() - started


def main(size: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="lemontaps-bench-"))
    server = start_in_thread(
        https=True,
        db_path=str(workdir / "emulator.sqlite"),
        callback_urls=["http://localhost/integrations/salesforce/callback"],
    )
    cert = str(server.cert_path)
    config = type(
        "BenchConfig",
        (TestingConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'app.sqlite'}",
            "SALESFORCE_LOGIN_URL": server.login_url,
            "SALESFORCE_SANDBOX_URL": server.sandbox_url,
            "SALESFORCE_EMULATOR_URLS": ",".join(
                [server.login_url, server.sandbox_url, server.instance_url]
            ),
        },
    )
    app = create_app(config)

    def verified_session():
        session = requests.Session()
        session.verify = cert
        session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides verify
        return session

    app.extensions["salesforce"].http_factory = verified_session
    control = ControlClient(server.instance_url, session=verified_session(), verify=cert)
    try:
        with app.app_context():
            db.create_all()
            account = make_account(app, "Bench AG", "admin@acme.test")
            users = [make_user(app, account, f"rep{n}@acme.test") for n in range(40)]
            org_id = control.org_id("Lemontaps Demo")
            client = app.test_client()
            client.post(
                "/auth/login",
                data={"email": "admin@acme.test", "password": "correct horse battery"},
            )
            started = client.post(
                "/integrations/salesforce/authorize", data={"environment": "production"}
            )
            back = browser_login(verified_session(), started.headers["Location"])
            assert b"Connected" in client.get(callback_path(back)).data
            data_set(account, users, size, control, org_id)

            control.reset_api_calls(org_id)
            engine_seconds = run_engine(app, account)
            engine_calls = control.api_calls(org_id)["total"]

            control.reset_org(org_id)  # same org state for the per-record client
            for n in range(size // 20):
                control.insert_record(
                    org_id,
                    "Lead",
                    {"LastName": f"Old {n}", "Company": "Old", "Email": f"person{n}@bench.example"},
                )
            control.reset_api_calls(org_id)
            per_record_seconds = run_per_record(server, cert, size)
            per_record_calls = control.api_calls(org_id)["total"]
    finally:
        server.stop()
    result = {
        "contacts": size,
        "engine": {"api_calls": engine_calls, "seconds": round(engine_seconds, 2)},
        "per_record": {"api_calls": per_record_calls, "seconds": round(per_record_seconds, 2)},
        "api_call_ratio": round(per_record_calls / max(engine_calls, 1), 1),
        "time_ratio": round(per_record_seconds / max(engine_seconds, 1e-9), 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"api_calls_{size}.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1000)
    outcome = main(parser.parse_args().contacts)
    print(json.dumps(outcome, indent=2))
    print(
        f"engine: {outcome['engine']['api_calls']} API calls; per-record client: "
        f"{outcome['per_record']['api_calls']} ({outcome['api_call_ratio']}x), "
        f"time ratio {outcome['time_ratio']}x"
    )
