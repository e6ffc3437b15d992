"""The demo without Redis runs jobs on a thread of the web app: a failing mail is retried,
then given up and shown on the push, as with RQ, and the sweeper does not send it again."""

import smtplib
import time

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.extensions import mail
from lemontaps.jobs.sweeper import sweep
from lemontaps.models import ExportState
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.pushes import dispatch
from lemontaps.pushes import states
from lemontaps.queueing import EMAILS
from lemontaps.queueing import get_queue
from tests.helpers import admin_of
from tests.helpers import make_contact


@pytest.fixture
def app_config():
    return {"RQ_IS_ASYNC": True, "RQ_INPROCESS": True, "MAIL_RETRY_INTERVALS": "0,1"}


def _finished_manual_push(account) -> int:
    admin = admin_of(account)
    contact = make_contact(admin, first_name="Jürgen", last_name="O'Neil", company="Bäckerei")
    push = states.create_push(account.id, [contact], "Lead", admin, PushKind.MANUAL, None)
    for item in db.session.scalars(sa.select(PushItem).where(PushItem.push_id == push.id)):
        states.settle(item, ExportState.EXPORTED, sf_object="Lead", sf_id="00Q0000000000AAAAA")
    states.finish_if_settled(push)
    db.session.commit()
    push_id = push.id
    db.session.close()  # the job's thread gets the one connection to itself
    return push_id


def _wait_until_done(job_id: str, seconds: float) -> str:
    """Waits on the job, not the database: the test's in-memory database has one connection,
    which the job's thread must have to itself while it runs."""
    job = get_queue(EMAILS).fetch_job(job_id)
    deadline = time.monotonic() + seconds
    while job.get_status() not in ("finished", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
    return job.get_status()


def test_a_failing_mail_is_retried_then_given_up_and_not_sent_again(app, account_a, monkeypatch):
    attempts = []

    def smtp_down(message):
        attempts.append(message.subject)
        raise smtplib.SMTPConnectError(421, "mail.acme.test: Dienst nicht verfügbar")

    monkeypatch.setattr(mail, "send", smtp_down)
    push_id = _finished_manual_push(account_a)
    job_id = dispatch.enqueue_push_summary(push_id)
    assert _wait_until_done(job_id, 15) == "failed"
    assert len(attempts) == 3  # the first try and one per retry interval
    db.session.expire_all()
    push = db.session.get(Push, push_id)
    assert push.mail_sent_at is None and "Dienst nicht verfügbar" in push.mail_error
    sweep()
    assert _wait_until_done(job_id, 2) == "failed"
    assert len(attempts) == 3  # given up: the sweeper leaves it alone
