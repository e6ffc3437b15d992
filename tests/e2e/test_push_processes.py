"""Pushes through real processes: the emulator server, a private Redis, two rq workers, SMTP.

The data set fixes every contact's expected outcome; the runs check it, the API budget, that
the org holds no duplicate record, that nothing is left stuck, and that one mail goes out."""

from datetime import date

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import PushItem
from lemontaps.models import SalesforceConnection
from lemontaps.services import contacts as contact_service
from salesforce_emulator.control import ControlClient
from tests.e2e.helpers import all_settled
from tests.e2e.helpers import connect
from tests.e2e.helpers import start_push
from tests.e2e.helpers import states
from tests.e2e.helpers import wait_until
from tests.helpers import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def make_data_set(app, account, org_id, control, size: int) -> dict[int, str]:
    """Contacts with their expected outcome: 5% duplicates in the org, 3% invalid, two
    in-push duplicate pairs, 40 capturers of whom 20 are Salesforce users."""
    capturers = [make_user(app, account, f"rep{n}@acme.test") for n in range(40)]
    for n in range(20):
        control.insert_record(
            org_id,
            "User",
            {
                "Username": f"rep{n}@acme.test",
                "Email": f"rep{n}@acme.test",
                "FirstName": "Rep",
                "LastName": str(n),
                "Alias": f"rep{n}",
                "IsActive": True,
                "UserType": "Standard",
            },
        )
    org_duplicates = size * 5 // 100
    invalid = set(range(size - size * 3 // 100, size))
    for n in range(org_duplicates):
        control.insert_record(
            org_id,
            "Lead" if n % 2 else "Contact",
            {"LastName": f"Existing {n}", "Company": "Old", "Email": f"taken{n}@org.example"},
        )
    expected = {}
    for n in range(size):
        if n < org_duplicates:
            email, outcome = f"taken{n}@org.example", "duplicate"
        elif n in (100, 200):
            email, outcome = f"pair{n}@push.example", "exported"
        elif n in (101, 201):
            email, outcome = f"pair{n - 1}@push.example", "duplicate"
        else:
            email, outcome = f"new{n}@push.example", "exported"
        if n in invalid:
            outcome = "failed"
        contact = contact_service.create_contact(
            account.id,
            capturers[n % 40],
            {
                "first_name": "First",
                "last_name": f"Last {n}",
                "company": "" if n in invalid else "Acme",
                "email": email,
                "met_on": date(2026, 5, 1),
            },
        )
        expected[contact.id] = outcome
    db.session.commit()
    return expected


def _mid_push(contact_ids) -> bool:
    current = set(states(contact_ids).values())
    return "exported" in current and "pushing" in current


def assert_outcomes(expected: dict[int, str], org_id: str, control: ControlClient) -> None:
    assert states(list(expected)) == expected
    leads = control.list_records(org_id, "Lead") + control.list_records(org_id, "Contact")
    by_email: dict[str, int] = {}
    for record in leads:
        email = (record.get("Email") or "").lower()
        if email:
            by_email[email] = by_email.get(email, 0) + 1
    ours = {
        e.lower()
        for e in db.session.scalars(
            sa.select(Contact.email).where(Contact.id.in_(list(expected)), Contact.email != "")
        )
    }
    db.session.rollback()
    # No e-mail of the data set is on two records (the seeded org's own doubles aside).
    assert [e for e, n in by_email.items() if n > 1 and e in ours] == []
    db.session.expire_all()
    stuck = db.session.scalar(
        sa.select(sa.func.count(PushItem.id)).where(
            PushItem.state.in_(["queued", "pushing", "waiting"])
        )
    )
    db.session.rollback()
    assert stuck == 0


def test_manual_push_of_1000_contacts_on_two_workers(app, auth, acme, workers, smtp, emulator_urls):
    org_id, control = connect(auth, emulator_urls)
    expected = make_data_set(app, acme, org_id, control, 1000)
    control.reset_api_calls(org_id)
    smtp.messages.clear()
    workers.start(2)
    start_push(auth)
    wait_until(lambda: all_settled(list(expected)), 240, "the push to settle", every=1)
    assert_outcomes(expected, org_id, control)
    assert control.api_calls(org_id)["total"] <= 12
    wait_until(lambda: smtp.messages, 30, "the summary mail")
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["admin@acme.test"]
    body = mail.content.decode("utf-8", "replace")
    assert "Exported: 918" in body and "Failed: 30" in body and "Duplicates: 52" in body


def test_a_killed_worker_and_a_redis_restart_lose_nothing(
    app, auth, acme, workers, smtp, emulator_urls, redis_server
):
    org_id, control = connect(auth, emulator_urls)
    expected = make_data_set(app, acme, org_id, control, 1000)
    # Slow creates, so the kill lands mid-push.
    control.add_fault(org_id, kind="latency", ms=3000, path="/services/data/*/composite/sobjects*")
    smtp.messages.clear()
    started = workers.start(2)
    start_push(auth)
    wait_until(lambda: _mid_push(list(expected)), 120, "exports under way")
    for worker in started:  # SIGKILL mid-job: its contacts stay "pushing" in the database
        workers.kill(worker)
    redis_server.restart()  # and everything queued in Redis is gone
    workers.start(2)
    wait_until(lambda: all_settled(list(expected)), 300, "the push to settle", every=1)
    assert_outcomes(expected, org_id, control)
    rerun = db.session.scalar(sa.select(sa.func.count(PushItem.id)).where(PushItem.attempts > 1))
    db.session.rollback()
    assert rerun > 0  # the killed worker's contacts were taken up again
    wait_until(lambda: smtp.messages, 60, "the summary mail")
    assert len(smtp.messages) == 1


def test_two_pushes_sharing_an_email_on_two_workers_make_one_record(
    auth, acme, workers, emulator_urls
):
    org_id, control = connect(auth, emulator_urls)
    first = contact_service.create_contact(
        acme.id,
        acme.users[0],
        {"first_name": "Twin", "last_name": "One", "company": "X", "email": "twin@x.example"},
    )
    second = contact_service.create_contact(
        acme.users[0].account_id,
        acme.users[0],
        {"first_name": "Twin", "last_name": "Two", "company": "X", "email": "TWIN@x.example"},
    )
    db.session.commit()
    control.add_fault(org_id, kind="latency", ms=800, path="/services/data/*/composite/*")
    workers.start(2)
    start_push(auth, [first.id])
    start_push(auth, [second.id])
    wait_until(lambda: all_settled([first.id, second.id]), 120, "both pushes", every=0.5)
    assert sorted(states([first.id, second.id]).values()) == ["duplicate", "exported"]
    twins = [
        r
        for r in control.list_records(org_id, "Lead")
        if (r.get("Email") or "").lower() == "twin@x.example"
    ]
    assert len(twins) == 1


def test_a_burst_with_an_expired_token_makes_one_refresh(app, auth, acme, workers, emulator_urls):
    """Rotation on: two workers must not both refresh (reuse would revoke the family)."""
    org_id, control = connect(auth, emulator_urls)
    control.update_app("3MVG9LemontapsDemoClientId", rotate_refresh_tokens=True)
    connection = db.session.scalar(sa.select(SalesforceConnection))
    connection.access_token_enc = app.extensions["salesforce"].cipher.encrypt(
        connection.account_id, "access_token", "expired!"
    )
    db.session.commit()
    issued_before = _issued(control, org_id)
    ids = []
    for n in range(12):
        contact = contact_service.create_contact(
            acme.id, acme.users[0], {"first_name": "Burst", "last_name": str(n), "company": "X"}
        )
        ids.append(contact.id)
    db.session.commit()
    workers.start(2)
    client = auth.client("admin@acme.test")  # one log-in: twelve would hit the rate limit
    for contact_id in ids:
        start_push(auth, [contact_id], client)
    wait_until(lambda: all_settled(ids), 120, "the burst", every=0.5)
    assert set(states(ids).values()) == {"exported"}
    assert _issued(control, org_id) == issued_before + 1  # exactly one token call
    db.session.expire_all()
    assert db.session.scalar(sa.select(SalesforceConnection.status)) == "connected"
    db.session.rollback()


def _issued(control, org_id) -> int:
    return sum(t["refresh_tokens_issued"] for t in control.token_stats(org_id)["refresh_tokens"])
