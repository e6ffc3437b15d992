"""Reconciliation after a lost answer, without the external id field: each contact is linked to
the record created for it, one record to at most one contact, and a doubt is said, not guessed."""

from datetime import date

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ContactExport
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import SalesforceConnection
from lemontaps.pushes import states
from lemontaps.pushes.engine import EngineOptions
from lemontaps.pushes.engine import run_batch
from tests.helpers import admin_of
from tests.helpers import make_contact
from tests.salesforce_helpers import connect_account
from tests.salesforce_helpers import control

NO_WAIT = EngineOptions(sleep=lambda _s: None)
CREATES = "/services/data/*/composite/sobjects*"
HX = {"HX-Request": "true"}


@pytest.fixture
def org(auth, account_a, emulator):
    org_id = connect_account(auth, emulator, "admin@acme.test")
    return {"id": org_id, "ctl": control(emulator)}


def push(app, contacts, target="Lead"):
    record = states.create_push(
        contacts[0].account_id, contacts, target, None, PushKind.MANUAL, None
    )
    db.session.commit()
    run_batch(app.extensions["salesforce"], record.id, states.queued_item_ids(record.id), NO_WAIT)
    db.session.expire_all()
    return record


def item_of(contact) -> PushItem:
    return db.session.get(PushItem, db.session.get(ContactExport, contact.id).item_id)


def leads_named(org, last_name) -> dict[str, dict]:
    return {
        r["Id"]: r
        for r in org["ctl"].list_records(org["id"], "Lead")
        if r.get("LastName") == last_name
    }


def lose_next_create_answer(org):
    """The create is carried out, its answer never arrives."""
    org["ctl"].add_fault(org["id"], kind="timeout_after_commit", path=CREATES, nth=1, times=1)


def o_neill(admin, city, **fields):
    """A contact without e-mail; only the city tells two of them apart."""
    return make_contact(
        admin,
        first_name="Zoë",
        last_name="O'Neill",
        company="Müller & Söhne GmbH",
        city=city,
        met_on=date(2026, 3, 2),
        **fields,
    )


def details_html(auth, contact) -> str:
    client = auth.client("admin@acme.test")
    response = client.get(f"/exports/contacts/{contact.id}", headers=HX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def instance_url() -> str:
    return db.session.scalar(sa.select(SalesforceConnection.instance_url)).rstrip("/")


def test_same_name_contacts_each_keep_their_own_record(app, account_a, org):
    admin = admin_of(account_a)
    munich, cologne = o_neill(admin, "München"), o_neill(admin, "Köln")
    lose_next_create_answer(org)
    push(app, [munich, cologne])
    first, second = item_of(munich), item_of(cologne)
    assert (first.state, second.state) == ("exported", "exported")
    assert first.details.get("adopted") and second.details.get("adopted")
    records = leads_named(org, "O'Neill")
    # Exactly the two records the lost create made, one per contact: none orphaned.
    assert len(records) == 2 and {first.sf_id, second.sf_id} == set(records)
    assert records[first.sf_id]["City"] == "München"
    assert records[second.sf_id]["City"] == "Köln"


def test_indistinguishable_contacts_are_not_linked_and_the_candidates_are_shown(
    app, auth, account_a, org
):
    admin = admin_of(account_a)
    one, other = o_neill(admin, "Köln"), o_neill(admin, "Köln")
    lose_next_create_answer(org)
    push(app, [one, other])
    records = leads_named(org, "O'Neill")
    assert len(records) == 2  # nothing created again
    for contact in (one, other):
        item = item_of(contact)
        assert (item.state, item.reason_code, item.sf_id) == ("failed", "ambiguous_match", None)
        assert {c["id"] for c in item.details["candidates"]} == set(records)
    page = details_html(auth, one)
    assert "none was linked" in page
    for record_id in records:
        assert f'href="{instance_url()}/{record_id}"' in page
    assert "already linked to another contact" not in page
    assert 'id="push-again"' in page


def test_a_record_linked_to_another_contact_is_not_adopted(app, account_a, org):
    admin = admin_of(account_a)
    earlier = o_neill(admin, "Köln")
    push(app, [earlier])
    theirs = item_of(earlier).sf_id
    twin = o_neill(admin, "Köln")  # captured twice: the same values
    lose_next_create_answer(org)
    push(app, [twin])
    item = item_of(twin)
    assert item.state == "exported" and item.details.get("adopted")
    assert item.sf_id != theirs and item.sf_id in leads_named(org, "O'Neill")
    assert len(leads_named(org, "O'Neill")) == 2
    assert item_of(earlier).sf_id == theirs


def test_when_the_only_match_is_another_contacts_record_nothing_is_linked(
    app, auth, account_a, org
):
    admin = admin_of(account_a)
    earlier = o_neill(admin, "Köln")
    push(app, [earlier])
    theirs = item_of(earlier).sf_id
    twin = o_neill(admin, "Köln")
    # The create never reaches Salesforce; on the retry the only look-alike is `earlier`'s.
    org["ctl"].add_fault(org["id"], kind="drop_connection", path=CREATES, nth=1, times=1)
    push(app, [twin])
    item = item_of(twin)
    assert (item.state, item.reason_code) == ("failed", "ambiguous_match")
    assert item.details["candidates"] == [{"id": theirs, "contact": earlier.id}]
    assert list(leads_named(org, "O'Neill")) == [theirs]
    page = details_html(auth, twin)
    assert f'href="{instance_url()}/{theirs}"' in page
    assert f'href="/contacts/{earlier.id}"' in page
    assert "already linked to another contact" in page


def test_a_record_with_the_email_but_other_values_is_a_duplicate_not_adopted(app, account_a, org):
    admin = admin_of(account_a)
    contact = make_contact(
        admin, first_name="Jörg", last_name="Weiß", company="X", email="j.weiss+messe@x.example"
    )
    made = []

    def meanwhile(_seconds):
        # Between the failed create and the retry someone makes a Lead with the e-mail.
        if not made:
            made.append(
                org["ctl"].insert_record(
                    org["id"],
                    "Lead",
                    {"LastName": "Weiss", "Company": "Y", "Email": "j.weiss+messe@x.example"},
                )
            )

    org["ctl"].add_fault(org["id"], kind="drop_connection", path=CREATES, nth=1, times=1)
    record = states.create_push(account_a.id, [contact], "Lead", None, PushKind.MANUAL, None)
    db.session.commit()
    run_batch(
        app.extensions["salesforce"],
        record.id,
        states.queued_item_ids(record.id),
        EngineOptions(sleep=meanwhile),
    )
    db.session.expire_all()
    item = item_of(contact)
    assert (item.state, item.reason_code) == ("duplicate", "duplicate_lead")
    assert item.sf_id == made[0]["Id"]
    assert len(leads_named(org, "Weiß")) == 0
