"""A worker killed mid-push under `make run`'s own settings: DemoConfig, its SQLite file and
engine options, the default job timeout, grace and sweep interval. A new worker must finish
the push within three minutes, with one Salesforce record per contact."""

import re
import time

import pytest
import sqlalchemy as sa

from config import DemoConfig
from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import PushItem
from tests.e2e.helpers import Workers
from tests.e2e.helpers import all_settled
from tests.e2e.helpers import connect
from tests.e2e.helpers import start_push
from tests.e2e.helpers import states
from tests.e2e.helpers import wait_until
from tests.helpers import bulk_insert_contacts
from tests.helpers import make_account
from tests.helpers import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SIZE = 400


def _sent() -> list[int]:
    contact_ids = db.session.scalars(
        sa.select(PushItem.contact_id).where(PushItem.sent_at.is_not(None))
    ).all()
    db.session.rollback()  # SQLite: hold no lock while the workers write
    return sorted(contact_ids)


@pytest.fixture
def settings(settings):
    """make run's own timing: the default job timeout, stuck grace and sweep interval."""
    scaled = ("PUSH_JOB_TIMEOUT", "PUSH_STUCK_GRACE_SECONDS", "SWEEP_INTERVAL_SECONDS")
    return {name: value for name, value in settings.items() if name not in scaled}


@pytest.fixture
def logged_workers(settings, workdir, redis_server, request):
    """The conftest's workers, with a log folder of this test's own."""
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    pool = Workers(settings, workdir / f"logs-{request.node.name[:40]}")
    pool.workdir.mkdir(exist_ok=True)
    yield pool
    pool.stop_all()


def test_a_killed_worker_s_contacts_are_exported_once_within_three_minutes(
    app, auth, logged_workers, emulator_urls
):
    for name in (
        "SQLALCHEMY_ENGINE_OPTIONS",
        "PUSH_JOB_TIMEOUT",
        "PUSH_STUCK_GRACE_SECONDS",
        "SWEEP_INTERVAL_SECONDS",
    ):
        assert app.config[name] == getattr(DemoConfig, name)  # and so the workers'
    org_id, control, contact_ids = _connected_with_contacts(app, auth, emulator_urls, SIZE)
    # Slow creates, so the kill lands mid-push.
    control.add_fault(org_id, kind="latency", ms=3000, path="/services/data/*/composite/sobjects*")
    (first,) = logged_workers.start(1)
    start_push(auth)
    # sent_at is committed just before the create call leaves: kill while it is in flight.
    wait_until(lambda: _sent(), 120, "the create call under way")
    time.sleep(0.5)
    logged_workers.kill(first)
    in_flight = _sent()
    assert in_flight and {states(contact_ids)[c] for c in in_flight} == {"pushing"}
    control.clear_faults(org_id)

    restarted = time.monotonic()
    logged_workers.start(1)
    wait_until(lambda: all_settled(contact_ids), 180, "the push to finish", every=1)
    assert time.monotonic() - restarted < 180
    assert set(states(contact_ids).values()) == {"exported"}

    assert _one_record_per_contact(org_id, control)

    # The killed horse's creates reached the org; the re-run adopted them instead of a second.
    adopted = {
        item.contact_id
        for item in db.session.scalars(sa.select(PushItem).where(PushItem.attempts > 1))
        if (item.details or {}).get("adopted")
    }
    db.session.rollback()
    assert adopted == set(in_flight)
    second_log = (logged_workers.workdir / "worker-1.log").read_text()
    assert "database is locked" not in second_log
    assert "sweeper failed" not in second_log
    failed = re.findall(r"job (push-\S+): exception raised", second_log)
    assert failed == [], second_log[-3000:]  # no batch job of the new worker failed


def test_a_batch_slower_than_the_grace_stays_with_its_live_worker(
    app, auth, logged_workers, emulator_urls
):
    """Only a batch whose heartbeat stopped counts as stuck, however long its calls take."""
    logged_workers.env.update(
        LEMONTAPS_PUSH_STUCK_GRACE_SECONDS="4", LEMONTAPS_SWEEP_INTERVAL_SECONDS="1"
    )
    org_id, control, contact_ids = _connected_with_contacts(app, auth, emulator_urls, 30)
    control.add_fault(org_id, kind="latency", ms=12000, path="/services/data/*/composite/sobjects*")
    logged_workers.start(2)  # an idle second worker would take any batch handed back
    start_push(auth)
    wait_until(lambda: all_settled(contact_ids), 120, "the push to finish", every=1)
    assert set(states(contact_ids).values()) == {"exported"}
    assert _one_record_per_contact(org_id, control)
    attempts = set(db.session.scalars(sa.select(PushItem.attempts)))
    db.session.rollback()
    assert attempts == {1}


def _connected_with_contacts(app, auth, emulator_urls, size: int):
    account = make_account(app, "Bäckerei Müller & Söhne", "admin@acme.test")
    org_id, control = connect(auth, emulator_urls)
    rep = make_user(app, account, "o'brien+messe@acme.test")
    bulk_insert_contacts(account.id, [rep.id], size)
    contact_ids = list(db.session.scalars(sa.select(Contact.id).order_by(Contact.id)))
    db.session.rollback()
    return org_id, control, contact_ids


def _one_record_per_contact(org_id, control) -> bool:
    emails = {e.lower() for e in db.session.scalars(sa.select(Contact.email))}
    db.session.rollback()
    records = control.list_records(org_id, "Lead") + control.list_records(org_id, "Contact")
    counts: dict[str, int] = {}
    for record in records:
        email = (record.get("Email") or "").lower()
        if email in emails:
            counts[email] = counts.get(email, 0) + 1
    assert counts == dict.fromkeys(emails, 1)  # none missing, none twice
    return True
