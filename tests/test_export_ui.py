"""The live export status UI: the table's Export column, filters and counts, the details panel,
the push dialog, progress bars, the poll, retry and dismiss (issue 11)."""

import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lemontaps.extensions import db
from lemontaps.models import ContactExport
from lemontaps.models import Push
from lemontaps.models import PushItem
from tests.helpers import HX
from tests.helpers import ORG
from tests.helpers import OTHER_ORG
from tests.helpers import admin_of
from tests.helpers import allow_end_users
from tests.helpers import cell_of
from tests.helpers import connection_row
from tests.helpers import html_of
from tests.helpers import make_contact
from tests.helpers import make_user
from tests.helpers import put_in_state
from tests.helpers import row_ids


@pytest.fixture
def people(app, account_a, account_b):
    admin = admin_of(account_a)
    rep = make_user(app, account_a, "rep@acme.test", name="Rep")
    connection_row(account_a)
    return admin, rep


STATES = ["not_exported", "queued", "waiting", "pushing", "exported", "failed", "duplicate"]
REASONS = {"waiting": "api_limit", "failed": "missing_company", "duplicate": "duplicate_lead"}


def every_state(owner, by, prefix=""):
    """One contact per state, met by `owner`, pushed by `by`; plus one exported elsewhere."""
    made = {}
    for state in STATES:
        contact = make_contact(
            owner, first_name=f"{prefix}{state}", last_name="Person", company="C"
        )
        if state != "not_exported":
            extra = (
                {"sf_id": "00Q000000000009AAA", "sf_object": "Lead"} if state == "duplicate" else {}
            )
            put_in_state(contact, state, by=by, reason=REASONS.get(state), **extra)
        made[state] = contact
    other = make_contact(owner, first_name=f"{prefix}elsewhere", last_name="Person", company="C")
    put_in_state(other, "exported", by=by, org_id=OTHER_ORG)
    made["other_org"] = other
    return made


LABELS = {
    "not_exported": "Not exported",
    "queued": "Queued for Salesforce",
    "waiting": "Waiting: the org&#39;s daily API limit is nearly used up",
    "pushing": "Being pushed to Salesforce",
    "exported": "Exported to Salesforce as Lead",
    "failed": "Export failed",
    "duplicate": "Duplicate: already in Salesforce",
    "other_org": "Exported to another Salesforce org (as Lead)",
}


# --- the table page, both roles -------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "user"])
def test_table_shows_an_icon_with_text_for_every_state(auth, people, role):
    admin, rep = people
    allow_end_users(rep.account)
    owner = admin if role == "admin" else rep
    made = every_state(owner, by=owner)
    html = html_of(auth.client(owner).get("/contacts/"))
    for state, contact in made.items():
        cell = cell_of(html, contact.id)
        assert LABELS[state] in cell, (state, cell)
        # text alternative twice: title and visually hidden text; an SVG glyph of its own
        assert 'class="visually-hidden"' in cell and "title=" in cell and "<svg" in cell
        expected_class = "exported" if state == "other_org" else state
        assert f"state-{expected_class}" in cell
        assert f'href="/exports/contacts/{contact.id}"' in cell
    assert "other-org" in cell_of(html, made["other_org"].id)
    # the failed icon is the cloud with "!": its own glyph, not only a colour
    assert "<rect" in cell_of(html, made["failed"].id)
    assert html.count('hx-trigger="every') == 1  # one poller for the whole page
    assert 'id="export-poller"' in html and 'data-mode="active"' in html
    assert 'id="push-progress"' in html and 'id="export-panel"' in html
    assert 'id="push-dialog"' in html and 'id="push-open"' in html
    assert "style=" not in html and "<script>" not in html and "hx-on" not in html


def test_end_user_sees_only_own_contacts_and_pushes(auth, people):
    admin, rep = people
    allow_end_users(rep.account)
    mine = every_state(rep, by=rep, prefix="mine-")
    theirs = every_state(admin, by=admin, prefix="theirs-")
    html = html_of(auth.client(rep).get("/contacts/"))
    assert set(row_ids(html)) == {c.id for c in mine.values()}
    rep_pushes = {
        i.push_id
        for i in db.session.scalars(sa.select(PushItem))
        if i.contact_id in {c.id for c in mine.values()}
    }
    bars = {int(i) for i in re.findall(r'id="push-bar-(\d+)"', html)}
    assert bars and bars <= rep_pushes
    assert "Push by" not in html  # their own pushes are "Your push"
    admin_html = html_of(auth.client(admin).get("/contacts/"))
    assert set(row_ids(admin_html)) == {c.id for c in [*mine.values(), *theirs.values()]}
    assert "Push by Rep" in admin_html
    # another user's contact and push: 404 for the end user
    rep_client = auth.client(rep)
    assert rep_client.get(f"/exports/contacts/{theirs['failed'].id}", headers=HX).status_code == 404
    their_push = db.session.get(
        PushItem, db.session.get(ContactExport, theirs["failed"].id).item_id
    ).push_id
    assert rep_client.get(f"/contacts/?push={their_push}").status_code == 404
    assert rep_client.get(f"/exports/pushes/{their_push}").status_code == 404
    assert rep_client.post(f"/exports/pushes/{their_push}/dismiss").status_code == 404
    assert db.session.get(Push, their_push).dismissed_at is None


def test_another_account_gets_404_everywhere(auth, people, account_b):
    admin, rep = people
    made = every_state(admin, by=admin)
    push_id = db.session.get(ContactExport, made["failed"].id).item.push_id
    stranger = auth.client(admin_of(account_b).email)
    for url in (
        f"/exports/contacts/{made['failed'].id}",
        f"/exports/pushes/{push_id}",
        f"/contacts/?push={push_id}",
    ):
        assert stranger.get(url).status_code == 404, url
        assert stranger.get(url, headers=HX).status_code == 404, url
    assert stranger.post(f"/exports/contacts/{made['failed'].id}/push").status_code == 404
    assert stranger.post(f"/exports/pushes/{push_id}/dismiss").status_code == 404
    # ids of another account sent to the dialog or the poll are ignored, never shown
    dialog = stranger.get(
        "/exports/push/dialog", query_string={"contact_ids": [made["failed"].id]}, headers=HX
    )
    assert dialog.status_code == 200 and "Person" not in html_of(dialog)
    polled = stranger.get(
        "/exports/poll", query_string={"c": [f"{made['failed'].id}:x"]}, headers=HX
    )
    assert polled.status_code == 286 and f"export-status-{made['failed'].id}" not in html_of(polled)


# --- partials: standalone, Vary, htmx ----------------------------------------------


@pytest.mark.parametrize("role", ["admin", "user"])
def test_every_partial_for_htmx_and_as_a_page(auth, people, role):
    admin, rep = people
    allow_end_users(rep.account)
    owner = admin if role == "admin" else rep
    made = every_state(owner, by=owner)
    client = auth.client(owner)
    push_id = db.session.get(ContactExport, made["failed"].id).item.push_id
    urls = [
        "/contacts/",
        "/contacts/?state=failed",
        f"/exports/contacts/{made['failed'].id}",
        f"/exports/contacts/{made['exported'].id}",
        f"/exports/contacts/{made['not_exported'].id}",
        f"/exports/push/dialog?contact_ids={made['not_exported'].id}",
        f"/exports/pushes/{push_id}",
    ]
    for url in urls:
        page = client.get(url)
        partial = client.get(url, headers=HX)
        assert page.status_code == partial.status_code == 200, url
        assert "<html" in html_of(page) and "<html" not in html_of(partial), url
        for response in (page, partial):
            assert "HX-Request" in response.headers["Vary"], url
    poll = client.get("/exports/poll", query_string={"c": [f"{made['queued'].id}:x"]}, headers=HX)
    assert poll.status_code == 200 and "HX-Request" in poll.headers["Vary"]


PARTIALS = [
    "exports/partials/export_status.html",
    "exports/partials/details.html",
    "exports/partials/push_dialog.html",
    "exports/partials/push_started.html",
    "exports/partials/push_bar.html",
    "exports/partials/push_auto.html",
    "exports/partials/progress.html",
    "exports/partials/poll.html",
    "exports/partials/poller.html",
    "exports/partials/new_contacts.html",
    "contacts/partials/filters.html",
    "contacts/partials/table.html",
]


def test_each_partial_renders_standalone(app, people):
    """Each partial renders from its own minimal context (no page around it)."""
    from flask import render_template
    from flask_login import login_user

    from lemontaps.exports import routes as export_routes
    from lemontaps.pushes import progress
    from lemontaps.services.contacts import ContactPage
    from lemontaps.services.salesforce_connect import connection_for

    admin, rep = people
    made = every_state(admin, by=admin)
    failed_item = db.session.get(ContactExport, made["failed"].id).item
    bar = progress.push_bar(failed_item.push)
    push_progress = progress.Progress(
        progress.AutoLine({"exported": 2, "queued": 1}, failed_item.push_id), [bar], [bar]
    )
    cells = progress.export_cells([c.id for c in made.values()], ORG)
    connection = connection_for(admin.account_id)
    flt = progress.ListFilter()
    with app.test_request_context("/contacts/"):
        login_user(admin)  # the templates' current_user; no request is made, so no log-in form
        selection = export_routes.Selection(MultiDict([("contact_ids", str(made["failed"].id))]))
        contexts = {
            "exports/partials/export_status.html": {"cell": cells[made["failed"].id]},
            "exports/partials/details.html": export_routes.details_context(made["failed"]),
            "exports/partials/push_dialog.html": {
                "selection": selection,
                "forecast": progress.forecast(selection.query(), ORG, 10),
                "refusal": None,
                "connection": connection,
                "target_object": "Lead",
            },
            "exports/partials/push_started.html": {"total": 3, "push_id": 1},
            "exports/partials/push_bar.html": {"bar": bar},
            "exports/partials/progress.html": {"progress": progress},
            "exports/partials/push_auto.html": {"progress": progress},
            "exports/partials/poll.html": {
                "answer": progress.PollAnswer(
                    [cells[made["queued"].id]], [bar], push_progress, push_progress, 2, True
                ),
                "poller": {"mode": "idle", "since": 5},
            },
            "exports/partials/poller.html": {"mode": "active", "since": 7},
            "exports/partials/new_contacts.html": {"count": 3},
            "contacts/partials/filters.html": {
                "flt": flt,
                "counts": progress.filter_counts(admin, flt),
                "push": None,
                "page_url_for": lambda **kw: "/contacts/",
            },
            "contacts/partials/table.html": {
                "page": ContactPage(list(made.values()), None, None, len(made), False),
                "cells": cells,
                "counts": progress.filter_counts(admin, flt),
                "matching": len(made),
                "flt": flt,
                "push": None,
                "progress": progress,
                "may_push": True,
                "mode": "active",
                "since": 1,
                "q": "",
                "page_url": lambda **kw: "/contacts/",
                "page_url_for": lambda **kw: "/contacts/",
                "current_page_url": "/contacts/",
            },
        }
        assert set(contexts) == set(PARTIALS)
        for template, context in contexts.items():
            html = render_template(template, **context)
            assert html.strip(), template
            assert "<html" not in html and "{{" not in html, template
