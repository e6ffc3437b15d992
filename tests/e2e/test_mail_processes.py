"""E-mails sent by real rq workers (APP_CONFIG=demo, no SERVER_NAME) to a real SMTP server:
links from BASE_URL that work, the reconnect mail once, and a failing mail retried with
growing delays, then given up, shown on the push and kept in RQ's failed registry."""

import email
import re
import time
from datetime import datetime
from email.policy import default as default_policy

import pytest
import redis
import requests
import sqlalchemy as sa
from rq import Queue
from rq.serializers import JSONSerializer

from lemontaps.extensions import db
from lemontaps.models import Push
from lemontaps.models import SalesforceConnection
from lemontaps.services import contacts as contact_service
from tests.e2e.helpers import Workers
from tests.e2e.helpers import all_settled
from tests.e2e.helpers import connect
from tests.e2e.helpers import free_port
from tests.e2e.helpers import start_push
from tests.e2e.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
RETRY_INTERVALS = [1, 4, 8]


@pytest.fixture
def settings(settings):
    # Short delays between the attempts of a failing mail (production: minutes to hours).
    return {**settings, "MAIL_RETRY_INTERVALS": ",".join(map(str, RETRY_INTERVALS))}


def make_contacts(account) -> tuple[int, int]:
    """One contact that exports and one that fails (a Lead needs a company)."""
    user = account.users[0]
    good = contact_service.create_contact(
        account.id,
        user,
        {
            "first_name": "Zoë",
            "last_name": "D'Arcy",
            "company": "Müller & Söhne",
            "email": "zoe+fair@acme.test",
        },
    )
    bad = contact_service.create_contact(
        account.id, user, {"first_name": "Jürgen", "last_name": "Ölmann", "company": ""}
    )
    db.session.commit()
    return good.id, bad.id


def mails(smtp, subject: str) -> list:
    found = []
    for envelope in smtp.messages:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        if subject in message["Subject"]:
            found.append(message)
    return found


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_summary_mail_links_to_the_failures_on_base_url(
    auth, acme, workers, smtp, emulator_urls, live_server
):
    connect(auth, emulator_urls)
    good, bad = make_contacts(acme)
    smtp.messages.clear()
    workers.start(1)
    start_push(auth, [good, bad])
    wait_until(lambda: all_settled([good, bad]), 60, "the push to settle")
    wait_until(lambda: mails(smtp, "Salesforce push finished"), 30, "the summary mail")
    (message,) = mails(smtp, "Salesforce push finished")
    body = text_of(message)
    assert "Exported: 1" in body and "Failed: 1" in body
    links = re.findall(r"https?://\S+", body)
    assert links and all(link.startswith(live_server.url + "/") for link in links), links
    (failures,) = [link for link in links if "state=failed" in link]
    html_links = re.findall(r'href="([^"]+)"', message.get_body(("html",)).get_content())
    assert failures.replace("&", "&amp;") in html_links or failures in html_links

    anonymous = requests.get(failures, allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    with auth.http_session("admin@acme.test") as session:
        page = session.get(failures, timeout=10)
    assert page.status_code == 200
    assert "Jürgen" in page.text and "Zoë" not in page.text  # the failures of this push


def test_the_reconnect_mail_arrives_once(
    app, auth, acme, workers, smtp, emulator_urls, live_server
):
    org_id, control = connect(auth, emulator_urls)
    good, _bad = make_contacts(acme)
    control.revoke_tokens(org_id)  # the refresh token no longer works ...
    connection = db.session.scalar(sa.select(SalesforceConnection))
    connection.access_token_enc = app.extensions["salesforce"].cipher.encrypt(
        connection.account_id, "access_token", "expired!"
    )  # ... and the access token has expired
    db.session.commit()
    smtp.messages.clear()
    workers.start(2)  # two workers, each with its sweeper
    start_push(auth, [good])
    wait_until(lambda: mails(smtp, "reconnected"), 60, "the reconnect mail")
    time.sleep(5)  # five more sweeps of each worker (one a second): no second mail
    (message,) = mails(smtp, "reconnected")
    assert message["To"] == "admin@acme.test"
    assert live_server.url + "/integrations/salesforce" in text_of(message)
    db.session.expire_all()
    assert db.session.scalar(sa.select(SalesforceConnection.status)) == "needs_reconnect"
    db.session.rollback()


def test_a_failing_summary_mail_is_retried_then_given_up_and_shown(
    auth, acme, settings, workdir, redis_server, emulator_urls
):
    connect(auth, emulator_urls)
    good, bad = make_contacts(acme)
    redis.Redis.from_url(redis_server.url).flushall()
    smtp_down = {**settings, "MAIL_PORT": free_port()}  # nothing listens there
    pool = Workers(smtp_down, workdir)
    log = workdir / f"worker-{len(pool.processes)}.log"
    log.write_text("")
    try:
        pool.start(1)
        start_push(auth, [good, bad])
        wait_until(lambda: all_settled([good, bad]), 60, "the push to settle")
        push_id = db.session.scalar(sa.select(Push.id))
        db.session.rollback()
        wait_until(lambda: _given_up(push_id), 60, "the mail to be given up")

        # Logged with its job id: the first attempt and one per retry, with growing delays.
        job_id = f"mail-push-{push_id}"
        attempts = _attempt_times(log.read_text(), job_id)
        assert len(attempts) == 1 + len(RETRY_INTERVALS), log.read_text()
        gaps = [(b - a).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
        # RQ's scheduler counts in whole seconds: a retry may start up to a second early.
        assert all(
            gap >= interval - 1 for gap, interval in zip(gaps, RETRY_INTERVALS, strict=True)
        ), gaps
        assert gaps == sorted(gaps), gaps
        assert f"mail job {job_id} given up" in log.read_text()

        # Shown on the push, to the person who pushed.
        push = db.session.get(Push, push_id)
        assert push.mail_sent_at is None and "Connection refused" in push.mail_error
        db.session.rollback()
        client = auth.client("admin@acme.test")
        page = client.get("/contacts/").get_data(as_text=True)
        assert "Summary e-mail not sent: ConnectionRefusedError" in page

        # Kept in RQ's failed registry; the sweepers (every second) do not try it again.
        emails = Queue(
            "emails", connection=redis.Redis.from_url(redis_server.url), serializer=JSONSerializer
        )
        assert job_id in emails.failed_job_registry.get_job_ids()
        time.sleep(4)  # four more sweeps
        assert len(_attempt_times(log.read_text(), job_id)) == 1 + len(RETRY_INTERVALS)
        assert job_id in emails.failed_job_registry.get_job_ids()
        assert emails.fetch_job(job_id).get_status() == "failed"
    finally:
        pool.stop_all()


def _given_up(push_id: int) -> bool:
    db.session.expire_all()
    failed = db.session.scalar(sa.select(Push.mail_failed_at).where(Push.id == push_id))
    db.session.rollback()
    return failed is not None


def _attempt_times(log: str, job_id: str) -> list[datetime]:
    """When each attempt of the job failed, from the worker's log lines."""
    times = []
    for line in log.splitlines():
        if f"mail job {job_id} failed" in line or f"mail job {job_id} given up" in line:
            times.append(datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"))
    return times
