"""The export UI's live parts and actions: one poll for the page with only the changes, 286
when settled, constant query counts at 10 and 10,000 contacts, filters and their counts, the
push dialog's forecast, real pushes against the emulator, retry, dismiss, escaping, CSRF."""

import re

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import ExportState
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import utcnow
from lemontaps.pushes import progress
from lemontaps.pushes import states
from tests.helpers import HX
from tests.helpers import ORG
from tests.helpers import admin_of
from tests.helpers import allow_end_users
from tests.helpers import bulk_insert_contacts
from tests.helpers import cell_of
from tests.helpers import connection_row
from tests.helpers import counted_statements
from tests.helpers import html_of
from tests.helpers import make_contact
from tests.helpers import make_user
from tests.helpers import put_in_state
from tests.helpers import row_ids
from tests.salesforce_helpers import connect_account


@pytest.fixture
def people(app, account_a, account_b):
    admin = admin_of(account_a)
    rep = make_user(app, account_a, "rep@acme.test", name="Rep")
    return admin, rep


@pytest.fixture
def connected(people, account_a):
    connection_row(account_a)
    return people


def watch_values(html: str, name: str) -> list[str]:
    return re.findall(rf'class="export-watch" name="{name}" value="([^"]+)"', html)


def poll(client, html: str, mode: str = "active", since: str | None = None):
    params = {"c": watch_values(html, "c"), "b": watch_values(html, "b"), "mode": mode}
    params["new"] = watch_values(html, "new") or ["0"]
    params["a"] = re.findall(r'class="export-watch" name="a" value="([^"]*)"', html)
    if since is not None:
        params["since"] = since
    return client.get("/exports/poll", query_string=params, headers=HX)


def since_of(html: str) -> str:
    return re.search(r"hx-vals='\{[^']*\"since\": \"(\d+)\"", html).group(1)


# --- the poll -----------------------------------------------------------------------


def test_one_poll_for_50_unsettled_rows_answers_only_changes_then_286(auth, connected):
    admin, rep = connected
    contacts = [
        make_contact(admin, first_name=f"P{i}", last_name="Q", company="C") for i in range(50)
    ]
    push = states.create_push(admin.account_id, contacts, "Lead", admin, PushKind.MANUAL, ORG)
    db.session.commit()
    client = auth.client(admin)
    html = html_of(client.get("/contacts/"))
    assert len(row_ids(html)) == 50
    # one poller for the page; no cell or bar polls on its own
    assert html.count('hx-trigger="every') == 1
    assert re.search(r'id="export-poller"[^>]*hx-trigger="every 2s"', html)
    assert len(watch_values(html, "c")) == 50 and len(watch_values(html, "b")) == 1

    unchanged = poll(client, html)
    assert unchanged.status_code == 204 and unchanged.data == b""

    items = db.session.scalars(
        sa.select(PushItem).where(PushItem.push_id == push.id).order_by(PushItem.id)
    ).all()
    changed = items[:3]
    states.settle(
        changed[0], ExportState.EXPORTED, sf_object="Lead", sf_id="00Q0000000000AAAAA", org_id=ORG
    )
    states.settle(changed[1], ExportState.FAILED, "missing_company")
    changed[2].state = ExportState.PUSHING.value
    states.set_current(changed[2].contact_id, admin.account_id, changed[2])
    db.session.commit()
    answer = poll(client, html)
    text = html_of(answer)
    assert answer.status_code == 200
    swapped = [int(i) for i in re.findall(r'id="export-status-(\d+)"[^>]*hx-swap-oob="true"', text)]
    assert sorted(swapped) == sorted(i.contact_id for i in changed)
    assert text.count('id="export-status-') == 3  # only the changed cells
    assert f'id="push-bar-{push.id}"' in text  # the bar moved: 2 of 50 done
    assert "2 of 50 done" in text

    for item in items:
        if item.state != ExportState.EXPORTED:
            states.settle(
                item, ExportState.EXPORTED, sf_object="Lead", sf_id="00Q0000000000BBBBB", org_id=ORG
            )
    states.finish_if_settled(push)
    db.session.commit()
    final = poll(client, html)
    assert final.status_code == 286  # htmx stops this poller
    text = html_of(final)
    assert "Finished:" in text and "50 exported" in text
    # an idle poller (every 30 s) replaces it, for new contacts and pushes started elsewhere
    assert re.search(r'id="export-poller"[^>]*data-mode="idle"[^>]*hx-trigger="every 30s"', text)
    # a reload shows nothing unsettled: the page starts idle
    assert 'data-mode="idle"' in html_of(client.get("/contacts/"))


def test_idle_poll_sees_new_contacts_and_new_pushes(auth, connected):
    admin, rep = connected
    make_contact(admin, first_name="Old", last_name="One", company="C")
    client = auth.client(admin)
    html = html_of(client.get("/contacts/"))
    assert 'data-mode="idle"' in html
    since = since_of(html)
    assert poll(client, html, "idle", since).status_code == 204
    fresh = [
        make_contact(admin, first_name=f"New{i}", last_name="X", company="C") for i in range(2)
    ]
    answer = poll(client, html, "idle", since)
    text = html_of(answer)
    assert answer.status_code == 200
    assert (
        "2 new contacts — show" in text
        and 'id="new-contacts" class="new-contacts" hx-swap-oob="true"' in text
    )
    # not inserted in the table
    assert "export-status" not in text
    states.create_push(admin.account_id, fresh, "Lead", None, PushKind.AUTOMATIC, ORG)
    db.session.commit()
    text = html_of(poll(client, html, "idle", since))
    # automatic pushes fill the one compact line, not a bar of their own
    assert re.search(r'id="push-auto"[^>]*hx-swap-oob="true"', text) and "Automatic push" in text
    assert "push-bar" not in text
    assert re.search(r'id="export-poller"[^>]*data-mode="active"', text)  # back to every 2 s
    # a manual push started elsewhere: the progress region is drawn again, with its bar
    other = make_contact(admin, first_name="Zoë", last_name="O'Neill", company="Bäckerei")
    manual = states.create_push(admin.account_id, [other], "Lead", rep, PushKind.MANUAL, ORG)
    db.session.commit()
    text = html_of(poll(client, html, "idle", since))
    assert re.search(r'id="push-progress"[^>]*hx-swap-oob="true"', text)
    assert f'id="push-bar-{manual.id}"' in text and 'id="push-auto"' in text


def test_poll_ignores_what_the_user_may_not_see(auth, connected):
    admin, rep = connected
    theirs = make_contact(admin, first_name="T", last_name="X", company="C")
    put_in_state(theirs, "queued", by=admin)
    client = auth.client(rep)
    answer = client.get(
        "/exports/poll",
        query_string={"c": [f"{theirs.id}:x", "garbage", "1:"], "b": ["1:x"]},
        headers=HX,
    )
    assert answer.status_code == 286
    assert "export-status" not in html_of(answer) and "push-bar" not in html_of(answer)


# --- query counts at 10 and 10,000 contacts -----------------------------------------


def bulk_contacts_with_exports(
    account_id: int, met_by_ids: list[int], count: int, start: int, push_id: int
):
    """Contacts, push items and contact_exports in bulk (Core executemany, no ORM events)."""
    bulk_insert_contacts(account_id, met_by_ids, count, start)
    now = utcnow()
    ids = db.session.scalars(
        sa.select(Contact.id)
        .where(Contact.account_id == account_id)
        .order_by(Contact.id.desc())
        .limit(count)
    ).all()
    states = ["queued", "exported", "failed", "duplicate", "waiting", "not_exported", "pushing"]
    items = []
    for n, cid in enumerate(ids):
        items.append(
            {
                "push_id": push_id,
                "account_id": account_id,
                "contact_id": cid,
                "contact_label": "x",
                "state": states[n % len(states)],
                "details": {},
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(sa.insert(PushItem.__table__), items)
    item_ids = db.session.execute(
        sa.select(PushItem.id, PushItem.contact_id, PushItem.state).where(
            PushItem.contact_id.in_(ids)
        )
    ).all()
    db.session.execute(
        sa.insert(ContactExport.__table__),
        [
            {
                "contact_id": cid,
                "account_id": account_id,
                "state": state,
                "item_id": iid,
                "org_id": ORG,
                "updated_at": now,
            }
            for iid, cid, state in item_ids
        ],
    )
    db.session.commit()


def _count(client, path, **kwargs):
    client.get(path, **kwargs)  # warm up
    with counted_statements() as statements:
        response = client.get(path, **kwargs)
    assert response.status_code in (200, 204, 286), response.status_code
    return len(statements), response


@pytest.mark.parametrize("who", ["admin", "rep"])
@pytest.mark.parametrize(
    "path", ["/contacts/", "/contacts/?state=failed", "/contacts/?q=firma&state=exported"]
)
def test_table_and_poll_queries_do_not_grow_with_the_account(auth, connected, who, path):
    admin, rep = connected
    allow_end_users(rep.account)
    user = {"admin": admin, "rep": rep}[who]
    push = states.create_push(admin.account_id, [], "Lead", user, PushKind.MANUAL, ORG)
    db.session.commit()
    people_ids = [admin.id, rep.id]
    bulk_contacts_with_exports(admin.account_id, people_ids, 10, 0, push.id)
    client = auth.client(user)
    small_page, response = _count(client, path)
    html = html_of(response)
    params = {"c": watch_values(html, "c"), "b": watch_values(html, "b"), "since": "1", "new": "0"}
    small_poll, _ = _count(client, "/exports/poll", query_string=params, headers=HX)

    bulk_contacts_with_exports(admin.account_id, people_ids, 9_990, 10, push.id)
    large_page, response = _count(client, path)
    html = html_of(response)
    assert len(row_ids(html)) == 50
    params = {"c": watch_values(html, "c"), "b": watch_values(html, "b"), "since": "1", "new": "0"}
    large_poll, _ = _count(client, "/exports/poll", query_string=params, headers=HX)
    assert small_page == large_page, (small_page, large_page)
    assert small_poll == large_poll, (small_poll, large_poll)
    assert large_page <= 10 and large_poll <= 7


# --- filters and counts -----------------------------------------------------------------


def test_filters_with_counts_search_push_and_pages(auth, connected):
    admin, rep = connected
    failed = [
        make_contact(admin, first_name=f"Fail{i}", last_name="F", company="C") for i in range(55)
    ]
    exported = [
        make_contact(admin, first_name=f"Exp{i}", last_name="E", company="C") for i in range(3)
    ]
    plain = [
        make_contact(admin, first_name=f"Plain{i}", last_name="P", company="C") for i in range(2)
    ]
    waiting = make_contact(admin, first_name="Wait", last_name="W", company="C")
    dup = make_contact(admin, first_name="Dup", last_name="D", company="C")
    push = states.create_push(admin.account_id, [], "Lead", admin, PushKind.MANUAL, ORG)
    db.session.commit()
    for c in failed:
        put_in_state(c, "failed", by=admin, reason="missing_company", push=push)
    for c in exported:
        put_in_state(c, "exported", by=admin)
    put_in_state(waiting, "waiting", by=admin, reason="api_limit")
    put_in_state(dup, "duplicate", by=admin, reason="duplicate_lead")
    client = auth.client(admin)

    html = html_of(client.get("/contacts/"))
    counts = dict(
        re.findall(r'data-filter="(\w+)"[^>]*>[^<]*<span class="filter-count">(\d+)</span>', html)
    )
    assert counts == {
        "all": "62",
        "not_exported": "2",
        "in_progress": "0",
        "waiting": "1",
        "exported": "3",
        "failed": "55",
        "duplicate": "1",
    }

    first = html_of(client.get("/contacts/?state=failed"))
    assert len(row_ids(first)) == 50 and set(row_ids(first)) <= {c.id for c in failed}
    assert 'aria-current="true"' in first and "Select all 55 matching" in first
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "state=failed" in next_url
    second = html_of(client.get(next_url))
    assert len(row_ids(second)) == 5
    assert set(row_ids(first)) | set(row_ids(second)) == {c.id for c in failed}

    assert set(row_ids(html_of(client.get("/contacts/?state=not_exported")))) == {
        c.id for c in plain
    }
    assert row_ids(html_of(client.get("/contacts/?state=waiting"))) == [waiting.id]
    searched = html_of(client.get("/contacts/?state=failed&q=fail1"))
    assert set(row_ids(searched)) == {c.id for c in failed if c.first_name.startswith("Fail1")}
    # the mail's link: this push's failures
    mail_link = html_of(client.get(f"/contacts/?push={push.id}&state=failed"))
    assert "Contacts of the push by" in mail_link and "Select all 55 matching" in mail_link
    assert set(row_ids(html_of(client.get(f"/contacts/?push={push.id}&state=exported")))) == set()
    # unknown values are ignored, not errors
    assert client.get("/contacts/?state=bogus&push=abc").status_code == 200


def test_filter_counts_are_one_statement(app, connected):
    admin, rep = connected
    for i in range(5):
        put_in_state(make_contact(admin, first_name=f"A{i}", company="C"), "failed", by=admin)
    with counted_statements() as statements:
        counts = progress.filter_counts(admin, progress.ListFilter())
    on_contacts = [s for s in statements if "contacts" in s]  # (not the session's user)
    assert len(on_contacts) == 1
    assert counts["failed"] == 5 and counts["all"] == 5 and counts["not_exported"] == 0


def test_counts_above_the_cap_say_so_and_the_rest_stay_exact(auth, connected, monkeypatch):
    admin, rep = connected
    monkeypatch.setattr(progress.contacts, "COUNT_LIMIT", 3)
    for i in range(4):
        put_in_state(make_contact(admin, first_name=f"Ex{i}", company="C"), "exported", by=admin)
    put_in_state(make_contact(admin, first_name="Zoë", company="C"), "failed", by=admin)
    make_contact(admin, first_name="Never", last_name="O'Pushed", company="C")
    db.session.commit()
    html = html_of(auth.client(admin).get("/contacts/"))
    shown = dict(
        re.findall(r'data-filter="(\w+)"[^>]*>[^<]*<span class="filter-count">([^<]+)<', html)
    )
    assert shown == {
        "all": "3+",
        "not_exported": "1",
        "in_progress": "0",
        "waiting": "0",
        "exported": "3+",
        "failed": "1",
        "duplicate": "0",
    }
    assert "Select all 3+ matching" in html
    # With a search: few matches are grouped in one pass, many counted as above.
    for query, expected in (
        ("zoë", {"all": "1", "failed": "1", "exported": "0"}),
        ("ex", {"all": "3+", "exported": "3+", "failed": "0"}),
    ):
        html = html_of(auth.client(admin).get(f"/contacts/?q={query}"))
        shown = dict(
            re.findall(r'data-filter="(\w+)"[^>]*>[^<]*<span class="filter-count">([^<]+)<', html)
        )
        assert {k: shown[k] for k in expected} == expected, query


# --- the push dialog ----------------------------------------------------------------


def test_dialog_says_how_many_are_skipped(auth, connected):
    admin, rep = connected
    made = {
        s: make_contact(admin, first_name=s, last_name="X", company="C")
        for s in ["new", "exported", "elsewhere", "queued", "failed"]
    }
    put_in_state(made["exported"], "exported", by=admin)
    put_in_state(made["elsewhere"], "exported", by=admin, org_id="00D000000000009AAA")
    put_in_state(made["queued"], "queued", by=admin)
    put_in_state(made["failed"], "failed", by=admin, reason="missing_company")
    client = auth.client(admin)
    ids = [c.id for c in made.values()]
    html = html_of(
        client.get("/exports/push/dialog", query_string={"contact_ids": ids}, headers=HX)
    )
    assert "Push 5 contacts as Leads to acme.my.example.test" in html
    assert "3 will be sent" in html
    assert "1 skipped: already exported" in html and "1 skipped: already being pushed" in html
    assert len(re.findall(r'name="contact_ids" value="\d+"', html)) == 5
    assert 'id="push-options"' in html  # room for campaign and "check only"
    # all matching a filter: recomputed on the server, capped and said so
    html = html_of(client.get("/exports/push/dialog?all=1&state=failed", headers=HX))
    assert "Push 1 contact as a Lead" in html and 'name="all" value="1"' in html
    export_view_limit = progress.SELECT_ALL_LIMIT
    try:
        progress.SELECT_ALL_LIMIT = 2
        html = html_of(client.get("/exports/push/dialog?all=1", headers=HX))
    finally:
        progress.SELECT_ALL_LIMIT = export_view_limit
    assert "More than 2 contacts match" in html and "Push 2 contacts" in html


def test_dialog_refusals(auth, people):
    admin, rep = people
    contact = make_contact(rep, first_name="R", company="C")
    admin_client = auth.client(admin)
    html = html_of(admin_client.get(f"/exports/push/dialog?contact_ids={contact.id}", headers=HX))
    assert "No Salesforce org is connected." in html and 'href="/integrations/salesforce"' in html
    connection_row(admin.account, status="needs_reconnect")
    html = html_of(admin_client.get(f"/exports/push/dialog?contact_ids={contact.id}", headers=HX))
    assert "Salesforce needs to be reconnected" in html
    rep_client = auth.client(rep)
    html = html_of(rep_client.get(f"/exports/push/dialog?contact_ids={contact.id}", headers=HX))
    assert "Only admins may push" in html and "/integrations/salesforce" not in html
    # the POST checks again, whatever the browser shows
    answer = rep_client.post("/exports/push", data={"contact_ids": [contact.id]}, headers=HX)
    assert answer.status_code == 200 and "Only admins may push" in html_of(answer)
    assert db.session.scalar(sa.select(sa.func.count(Push.id))) == 0
    nothing = html_of(admin_client.get("/exports/push/dialog", headers=HX))
    assert "Select at least one contact" in nothing or "reconnected" in nothing


# --- real pushes against the emulator ---------------------------------------------------


@pytest.fixture
def org(auth, account_a, emulator, people):
    return connect_account(auth, emulator, "admin@acme.test")


def test_push_all_matching_from_the_dialog_through_the_emulator(auth, org, people):
    admin, rep = people
    good = [
        make_contact(
            admin, first_name=f"Good{i}", last_name="G", company="C", email=f"g{i}@x.example"
        )
        for i in range(3)
    ]
    bad = make_contact(admin, first_name="NoCompany", last_name="B", company="")
    client = auth.client(admin)
    answer = client.post("/exports/push", data={"all": "1", "q": "good"}, headers=HX)
    assert answer.status_code == 200
    assert '"push-started"' in answer.headers["HX-Trigger"]
    assert "Push started: 3 contacts" in html_of(answer)
    db.session.expire_all()
    assert {db.session.get(ContactExport, c.id).state for c in good} == {"exported"}
    assert db.session.get(ContactExport, bad.id) is None
    html = html_of(client.get("/contacts/"))
    for c in good:
        assert "Exported to Salesforce as Lead" in cell_of(html, c.id)
    assert "Finished:" in html and "3 exported" in html
    # the details link to the record in the org
    details = html_of(client.get(f"/exports/contacts/{good[0].id}", headers=HX))
    export = db.session.get(ContactExport, good[0].id)
    assert re.search(
        rf'href="https?://[^"]+/{export.sf_id}" target="_blank" rel="noopener noreferrer"', details
    )
    assert "Owner" in details and "Pushed" in details and "by Admin Acme AG" in details


def test_push_again_after_fixing_a_failure(auth, org, people):
    admin, rep = people
    contact = make_contact(admin, first_name="Fix", last_name="Me", company="")
    client = auth.client(admin)
    client.post("/exports/push", data={"contact_ids": [contact.id]})
    db.session.expire_all()
    assert db.session.get(ContactExport, contact.id).state == "failed"
    details = html_of(client.get(f"/exports/contacts/{contact.id}", headers=HX))
    assert "Leads need a company" in details and 'id="push-again"' in details
    page = html_of(client.get("/contacts/"))
    assert "Push all failed (1)" in page
    contact.company = "Now Inc"
    db.session.commit()
    answer = client.post(f"/exports/contacts/{contact.id}/push", headers=HX)
    assert answer.status_code == 200 and "push-started" in answer.headers["HX-Trigger"]
    text = html_of(answer)
    assert "Pushed again." in text
    db.session.expire_all()
    assert db.session.get(ContactExport, contact.id).state == "exported"
    history = re.findall(r'<li class="history-item state-(\w+)"', text)
    assert history == ["exported", "failed"]  # newest first


def test_push_again_rechecks_permission(auth, connected):
    admin, rep = connected
    contact = make_contact(rep, first_name="Rep", last_name="Own", company="")
    put_in_state(contact, "failed", by=rep, reason="missing_company")
    client = auth.client(rep)
    details = html_of(client.get(f"/exports/contacts/{contact.id}", headers=HX))
    assert 'id="push-again"' not in details  # end users may not push (the setting)
    answer = client.post(f"/exports/contacts/{contact.id}/push", headers=HX)
    assert "Only admins may push" in html_of(answer)
    assert db.session.scalar(sa.select(sa.func.count(Push.id))) == 1


def test_push_all_failed_for_the_filter(auth, org, people):
    admin, rep = people
    fixable = [make_contact(admin, first_name=f"F{i}", last_name="X", company="") for i in range(2)]
    client = auth.client(admin)
    client.post("/exports/push", data={"contact_ids": [c.id for c in fixable]})
    for c in fixable:
        c.company = "Fixed"
    db.session.commit()
    dialog = html_of(client.get("/exports/push/dialog?all=1&state=failed", headers=HX))
    assert "2 will be sent" in dialog
    client.post("/exports/push", data={"all": "1", "state": "failed"}, headers=HX)
    db.session.expire_all()
    assert {db.session.get(ContactExport, c.id).state for c in fixable} == {"exported"}


# --- dismiss ------------------------------------------------------------------------


def test_bars_survive_reload_until_dismissed(auth, connected):
    admin, rep = connected
    contact = make_contact(admin, first_name="D", company="C")
    item = put_in_state(contact, "failed", by=admin, reason="missing_company")
    client = auth.client(admin)
    html = html_of(client.get("/contacts/"))
    assert f'id="push-bar-{item.push_id}"' in html
    assert f'href="/contacts/?push={item.push_id}&amp;state=failed"' in html
    answer = client.post(f"/exports/pushes/{item.push_id}/dismiss", headers=HX)
    assert answer.status_code == 200 and answer.data == b""
    assert db.session.get(Push, item.push_id).dismissed_at is not None
    assert f'id="push-bar-{item.push_id}"' not in html_of(client.get("/contacts/"))
    # the push's page itself still answers (the mail links to it)
    assert client.get(f"/contacts/?push={item.push_id}&state=failed").status_code == 200


# --- escaping -------------------------------------------------------------------------

EVIL = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>']


def test_contact_and_user_values_are_inert_everywhere(auth, connected):
    admin, rep = connected
    allow_end_users(rep.account)
    rep.name = EVIL[1]
    db.session.commit()
    contact = make_contact(
        rep, first_name=EVIL[0], last_name=EVIL[1], company=EVIL[0], email="e@x.example"
    )
    item = put_in_state(
        contact,
        "duplicate",
        by=rep,
        reason="duplicate_rule",
        reason_detail=EVIL[1],
        sf_object="Lead",
        sf_id="00Q000000000009AAA",
        org_id=ORG,
    )
    item.details = {"shortened": [EVIL[0]], "notes": [EVIL[1]], "refused_owner": EVIL[0]}
    db.session.commit()
    admin_client = auth.client(admin)
    rep_client = auth.client(rep)
    pages = [
        admin_client.get("/contacts/"),
        admin_client.get("/contacts/", headers=HX),
        admin_client.get(f"/contacts/?push={item.push_id}"),
        admin_client.get(f"/exports/contacts/{contact.id}", headers=HX),
        admin_client.get(f"/exports/contacts/{contact.id}"),
        admin_client.get(f"/exports/pushes/{item.push_id}", headers=HX),
        admin_client.get(f"/exports/push/dialog?contact_ids={contact.id}", headers=HX),
        rep_client.get("/contacts/?q=%3Cscript%3E"),
        admin_client.get(
            "/exports/poll",
            query_string={"c": [f"{contact.id}:old"], "b": [f"{item.push_id}:old"]},
            headers=HX,
        ),
    ]
    for response in pages:
        text = html_of(response)
        assert response.status_code in (200, 286), response.request.path
        for evil in EVIL:
            assert evil not in text, (response.request.path, evil)
        assert "<img src=x" not in text and "<script>alert" not in text
    panel = html_of(pages[3])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in panel
    assert "hx-disable" in panel
    assert "&lt;script&gt;" in html_of(pages[0]) and "Push by &#34;&gt;&lt;img" in html_of(pages[0])


# --- CSRF -------------------------------------------------------------------------------


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_every_post_needs_the_token_htmx_sends_it_in_a_header(self, auth, client, connected):
        admin, rep = connected
        contact = make_contact(admin, first_name="C", company="C")
        item = put_in_state(contact, "failed", by=admin, reason="missing_company")
        login_page = html_of(client.get("/auth/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        auth.login(admin, csrf_token=token)
        page = html_of(client.get("/contacts/"))
        header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page.replace("&#34;", '"'))
        token = header_token.group(1) if header_token else token
        for url in (
            f"/exports/pushes/{item.push_id}/dismiss",
            f"/exports/contacts/{contact.id}/push",
            "/exports/push",
        ):
            assert (
                client.post(url, data={"contact_ids": [contact.id]}, headers=HX).status_code == 400
            ), url
        assert db.session.get(Push, item.push_id).dismissed_at is None
        ok = client.post(
            f"/exports/pushes/{item.push_id}/dismiss", headers={**HX, "X-CSRFToken": token}
        )
        assert ok.status_code == 200


@pytest.mark.parametrize("state", ["failed", "not_exported", None])
def test_filtered_pages_use_indexes(app, connected, state):
    admin, rep = connected
    flt = progress.ListFilter(state=state)
    query = (
        progress.filtered_contacts(admin, flt)
        .order_by(Contact.met_on.desc(), Contact.id.desc())
        .limit(51)
    )
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        # Tiny test tables make a sequential scan cheapest; forbid it to see if an index fits.
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = " | ".join(str(r[0]) for r in db.session.execute(sa.text(f"EXPLAIN {compiled}")))
        db.session.rollback()
        assert "Index" in plan and "Seq Scan on contacts" not in plan, plan
        return
    plan = " | ".join(
        str(r[-1]) for r in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))
    )
    assert "INDEX" in plan, plan
    assert "SCAN contacts\n" not in plan and not plan.startswith("SCAN contacts |"), plan
