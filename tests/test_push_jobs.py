"""Manual and automatic pushes through the web and the RQ jobs (inline queue in these tests)."""

import re
import smtplib

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.extensions import mail
from lemontaps.jobs.email import send_push_summary
from lemontaps.jobs.export import run_push_batch
from lemontaps.jobs.sweeper import sweep
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import ExportState
from lemontaps.models import IntegrationSettings
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import utcnow
from lemontaps.pushes import states
from lemontaps.queueing import EMAILS
from lemontaps.queueing import get_queue
from tests.helpers import admin_of
from tests.helpers import make_contact
from tests.helpers import make_user
from tests.salesforce_helpers import connect_account
from tests.salesforce_helpers import control


@pytest.fixture
def org(auth, account_a, emulator):
    org_id = connect_account(auth, emulator, "admin@acme.test")
    return {"id": org_id, "ctl": control(emulator)}


@pytest.fixture
def admin(auth, account_a):
    return auth.client("admin@acme.test")


def settings(account, **values):
    row = db.session.get(IntegrationSettings, account.id) or IntegrationSettings(
        account_id=account.id
    )
    for name, value in values.items():
        setattr(row, name, value)
    db.session.add(row)
    db.session.commit()
    return row


def state_of(contact) -> str:
    db.session.expire_all()
    export = db.session.get(ContactExport, contact.id)
    return export.state if export else "not_exported"


def test_manual_push_exports_and_mails_the_pusher(app, account_a, org, admin, outbox):
    a = make_contact(admin_of(account_a), first_name="A", last_name="One", company="X")
    b = make_contact(admin_of(account_a), first_name="B", last_name="Two", company="")
    response = admin.post("/exports/push", data={"contact_ids": [a.id, b.id]})
    assert response.status_code == 302
    assert "push=" in response.headers["Location"]
    assert state_of(a) == "exported" and state_of(b) == "failed"
    (mail,) = [m for m in outbox if "Salesforce push finished" in m.subject]
    assert mail.recipients == ["admin@acme.test"]
    assert "Exported: 1" in mail.body and "Failed: 1" in mail.body
    assert "B Two: Leads need a company" in mail.body
    assert re.search(r"http://localhost/contacts/\?push=\d+&state=failed", mail.body)
    assert mail.html and "B Two" in mail.html


def test_pushing_again_reports_already_in_salesforce(app, account_a, org, admin):
    a = make_contact(admin_of(account_a), first_name="A", last_name="One", company="X")
    admin.post("/exports/push", data={"contact_ids": [a.id]})
    calls = org["ctl"].api_calls(org["id"])["total"]
    admin.post("/exports/push", data={"contact_ids": [a.id]})
    last = db.session.scalar(sa.select(PushItem).order_by(PushItem.id.desc()).limit(1))
    assert (last.state, last.reason_code) == ("skipped", "already_in_salesforce")
    assert org["ctl"].api_calls(org["id"])["total"] == calls


def test_end_users_push_only_when_allowed_and_only_their_own(app, auth, account_a, org):
    user = make_user(app, account_a, "rep@acme.test")
    mine = make_contact(user, first_name="Mine", last_name="M", company="X")
    theirs = make_contact(admin_of(account_a), first_name="Theirs", last_name="T", company="X")
    client = auth.client("rep@acme.test")
    refused = client.post("/exports/push", data={"contact_ids": [mine.id]}, follow_redirects=True)
    assert b"Only admins may push" in refused.data
    assert state_of(mine) == "not_exported"
    settings(account_a, push_permission="everyone")
    client.post("/exports/push", data={"contact_ids": [mine.id, theirs.id]})
    assert state_of(mine) == "exported"
    assert state_of(theirs) == "not_exported"


def test_pushing_without_a_connection_is_refused_with_a_link(app, account_a, admin):
    a = make_contact(admin_of(account_a), first_name="A", last_name="One", company="X")
    response = admin.post("/exports/push", data={"contact_ids": [a.id]})
    assert response.headers["Location"].endswith("/integrations/salesforce")
    page = admin.get("/integrations/salesforce")
    assert b"No Salesforce org is connected." in page.data
    assert db.session.scalar(sa.select(sa.func.count(Push.id))) == 0


def test_permission_is_checked_again_when_the_job_runs(app, account_a, org):
    user = make_user(app, account_a, "rep@acme.test")
    settings(account_a, push_permission="everyone")
    contact = make_contact(user, first_name="R", last_name="S", company="X")
    push = states.create_push(account_a.id, [contact], "Lead", user, PushKind.MANUAL, org["id"])
    db.session.commit()
    settings(account_a, push_permission="admins")
    run_push_batch(push.id, states.queued_item_ids(push.id))
    item = db.session.scalar(sa.select(PushItem).where(PushItem.push_id == push.id))
    assert (item.state, item.reason_code) == ("skipped", "not_allowed")
    assert state_of(contact) == "not_exported"


def test_a_contact_deleted_while_queued(app, account_a, org):
    contact = make_contact(admin_of(account_a), first_name="D", last_name="E", company="X")
    push = states.create_push(
        account_a.id, [contact], "Lead", admin_of(account_a), PushKind.MANUAL, org["id"]
    )
    db.session.commit()
    item_ids = states.queued_item_ids(push.id)
    db.session.delete(contact)
    db.session.commit()
    run_push_batch(push.id, item_ids)
    item = db.session.get(PushItem, item_ids[0])
    assert (item.state, item.reason_code) == ("skipped", "deleted_before_export")


def test_automatic_mode_pushes_new_contacts_from_the_form(app, account_a, org, admin, outbox):
    settings(account_a, export_mode="automatic")
    old = make_contact(admin_of(account_a), first_name="Old", last_name="O", company="X")
    db.session.execute(sa.delete(ContactExport).where(ContactExport.contact_id == old.id))
    db.session.commit()
    response = admin.post(
        "/contacts/new",
        data={
            "first_name": "New",
            "last_name": "Contact",
            "company": "Fresh GmbH",
            "met_on": "2026-11-01",
            "language": "",
        },
    )
    assert response.status_code == 302, response.data
    new = db.session.scalar(sa.select(Contact).where(Contact.last_name == "Contact"))
    assert state_of(new) == "exported"
    push = db.session.scalar(sa.select(Push).where(Push.kind == "automatic"))
    assert push is not None and push.started_by_id is None
    assert not [m for m in outbox if "Salesforce push" in m.subject]  # no mail per contact


def test_editing_a_contact_whose_automatic_push_failed_pushes_it_again(app, account_a, org, admin):
    settings(account_a, export_mode="automatic")
    admin.post(
        "/contacts/new",
        data={
            "first_name": "No",
            "last_name": "Company",
            "email": "nc@x.example",
            "met_on": "2026-11-01",
            "language": "",
        },
    )
    contact = db.session.scalar(sa.select(Contact).where(Contact.last_name == "Company"))
    assert state_of(contact) == "failed"
    admin.post(
        f"/contacts/{contact.id}/edit",
        data={
            "first_name": "No",
            "last_name": "Company",
            "company": "Now One",
            "email": "nc@x.example",
            "met_on": "2026-11-01",
            "language": "",
        },
    )
    assert state_of(contact) == "exported"


def test_switching_to_manual_drops_waiting_automatic_pushes(app, account_a, admin):
    settings(account_a, export_mode="automatic")
    admin.post(
        "/contacts/new",
        data={
            "first_name": "W",
            "last_name": "Aiting",
            "company": "X",
            "met_on": "2026-11-01",
            "language": "",
        },
    )
    contact = db.session.scalar(sa.select(Contact).where(Contact.last_name == "Aiting"))
    assert state_of(contact) == "waiting"  # no org connected: it waits, it does not fail
    response = admin.post(
        "/integrations/salesforce/settings",
        data={
            "export_mode": "manual",
            "target_object": "Lead",
            "push_permission": "admins",
            "api_usage_threshold_pct": "90",
        },
        follow_redirects=True,
    )
    assert b"no longer pushed" in response.data
    assert state_of(contact) == "not_exported"


def test_waiting_contacts_resume_once_connected(auth, account_a, emulator, admin):
    settings(account_a, export_mode="automatic")
    admin.post(
        "/contacts/new",
        data={
            "first_name": "L",
            "last_name": "Ater",
            "company": "X",
            "met_on": "2026-11-01",
            "language": "",
        },
    )
    contact = db.session.scalar(sa.select(Contact).where(Contact.last_name == "Ater"))
    assert state_of(contact) == "waiting"
    connect_account(auth, emulator, "admin@acme.test")
    sweep()
    assert state_of(contact) == "exported"


def test_the_summary_mail_goes_exactly_once(app, account_a, org, admin, outbox):
    a = make_contact(admin_of(account_a), first_name="A", last_name="One", company="X")
    admin.post("/exports/push", data={"contact_ids": [a.id]})
    push = db.session.scalar(sa.select(Push))
    assert send_push_summary(push.id) is False  # already sent by the push itself
    sweep()
    assert len([m for m in outbox if "Salesforce push finished" in m.subject]) == 1


def test_sweeper_requeues_lost_and_stuck_work(app, account_a, org):
    admin_user = admin_of(account_a)
    lost = make_contact(admin_user, first_name="Lost", last_name="L", company="X")
    stuck = make_contact(admin_user, first_name="Stuck", last_name="S", company="X")
    states.create_push(account_a.id, [lost, stuck], "Lead", admin_user, PushKind.MANUAL, org["id"])
    db.session.commit()  # recorded, but Redis never heard of it
    item = db.session.scalar(sa.select(PushItem).where(PushItem.contact_id == stuck.id))
    item.state = ExportState.PUSHING.value  # a worker died mid-push long ago
    db.session.commit()
    db.session.execute(
        sa.update(PushItem)
        .where(PushItem.id == item.id)
        .values(updated_at=utcnow().replace(year=2025))
    )
    db.session.commit()
    stats = sweep()
    assert stats["unstuck"] == 1
    assert state_of(lost) == "exported" and state_of(stuck) == "exported"


def test_a_summary_mail_that_cannot_be_sent_is_given_up_and_shown_on_the_push(
    app, account_a, org, admin, outbox, monkeypatch
):
    def smtp_down(message):
        raise smtplib.SMTPConnectError(421, "mail.acme.test: Dienst nicht verfügbar")

    monkeypatch.setattr(mail, "send", smtp_down)
    a = make_contact(admin_of(account_a), first_name="Jürgen", last_name="O'Neil", company="X")
    admin.post("/exports/push", data={"contact_ids": [a.id]})
    assert state_of(a) == "exported"
    push = db.session.scalar(sa.select(Push))
    assert push.mail_sent_at is None and push.mail_failed_at is not None
    assert "Dienst nicht verfügbar" in push.mail_error
    page = admin.get(f"/contacts/?push={push.id}").get_data(as_text=True)
    assert "Summary e-mail not sent: SMTPConnectError: (421" in page
    registry = get_queue(EMAILS).failed_job_registry
    assert f"mail-push-{push.id}" in registry.get_job_ids()

    monkeypatch.undo()  # the mail server is back; a given-up mail is not sent again
    sweep()
    sweep()
    assert [m for m in outbox if "Salesforce push finished" in m.subject] == []
    assert f"mail-push-{push.id}" in registry.get_job_ids()  # its trace is kept
