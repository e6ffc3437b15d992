"""Starting a push records its items set-based: the same few SQL statements for 20 contacts
as for 2,000, and the same items, skip reasons and current states as before."""

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import ExportState
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.pushes import states
from lemontaps.pushes.start import PushRefused
from lemontaps.pushes.start import start_manual_push
from lemontaps.services.salesforce_connect import integration_settings
from tests.helpers import admin_of
from tests.helpers import bulk_insert_contacts
from tests.helpers import counted_statements
from tests.helpers import make_contact
from tests.salesforce_helpers import connect_account


@pytest.fixture
def org_id(auth, account_a, emulator):
    return connect_account(auth, emulator, "admin@acme.test")


def _start_all(account, admin) -> tuple[int, int]:
    """Push every contact of the account; (statements it took, contacts in the push)."""
    with counted_statements() as statements:
        push = start_manual_push(admin, sa.select(Contact).where(Contact.account_id == account.id))
    db.session.commit()
    return len(statements), push.total


def test_statements_to_start_a_push_do_not_grow_with_its_contacts(
    app, account_a, account_b, org_id
):
    admin = admin_of(account_a)
    integration_settings(account_a.id)  # made on first use: not part of what is measured
    db.session.commit()
    # Another account's contacts are never taken.
    bulk_insert_contacts(account_b.id, [admin_of(account_b).id], 50, start=900_000)
    bulk_insert_contacts(account_a.id, [admin.id], 20)
    small, small_total = _start_all(account_a, admin)
    bulk_insert_contacts(account_a.id, [admin.id], 1_980, start=20)
    large, large_total = _start_all(account_a, admin)
    assert (small_total, large_total) == (20, 2_000)
    assert small == large, (small, large)
    # The second push skips the 20 already queued and queues the 1,980 new ones.
    queued = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ContactExport)
        .where(ContactExport.account_id == account_a.id, ContactExport.state == "queued")
    )
    skipped = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PushItem)
        .where(PushItem.reason_code == "already_being_pushed")
    )
    assert (queued, skipped) == (2_000, 20)


def test_items_skip_reasons_labels_and_current_states(app, account_a, org_id):
    admin = admin_of(account_a)
    people = {
        "exported": make_contact(admin, first_name="Jürgen", last_name="Müller", company="X"),
        "other_org": make_contact(admin, first_name="", last_name="O'Brien", company="X"),
        "failed": make_contact(admin, first_name="Zoë", last_name="", company="X"),
        "queued": make_contact(
            admin, first_name="", last_name="", email="anne+lead@example.com", company="X"
        ),
        "new": make_contact(admin, first_name="", last_name="", email="", company="X"),
    }
    first = states.create_push(
        account_a.id,
        [people[k] for k in ("exported", "other_org", "failed", "queued")],
        "Lead",
        admin,
        PushKind.MANUAL,
        org_id,
    )
    items = {
        i.contact_id: i
        for i in db.session.scalars(sa.select(PushItem).where(PushItem.push_id == first.id))
    }
    exported = items[people["exported"].id]
    states.settle(exported, ExportState.EXPORTED, sf_id="00Q000000000001", sf_object="Lead")
    exported.org_id = org_id
    states.set_current(exported.contact_id, account_a.id, exported)
    moved = items[people["other_org"].id]
    states.settle(moved, ExportState.EXPORTED, sf_id="00Q000000000002", sf_object="Lead")
    moved.org_id = "00D000000000OTHER"
    states.set_current(moved.contact_id, account_a.id, moved)
    states.settle(items[people["failed"].id], ExportState.FAILED, "missing_company")
    db.session.commit()

    second = start_manual_push(admin, sa.select(Contact).where(Contact.account_id == account_a.id))
    db.session.commit()
    db.session.expire_all()

    rows = db.session.scalars(
        sa.select(PushItem).where(PushItem.push_id == second.id).order_by(PushItem.id)
    ).all()
    assert second.total == 5
    assert [r.contact_id for r in rows] == sorted(c.id for c in people.values())
    got = {r.contact_id: (r.contact_label, r.state, r.reason_code, r.sf_id) for r in rows}
    new_id = people["new"].id
    assert got == {
        people["exported"].id: (
            "Jürgen Müller",
            "skipped",
            "already_in_salesforce",
            "00Q000000000001",
        ),
        people["other_org"].id: ("O'Brien", "queued", None, None),
        people["failed"].id: ("Zoë", "queued", None, None),
        people["queued"].id: ("anne+lead@example.com", "skipped", "already_being_pushed", None),
        new_id: (f"#{new_id}", "queued", None, None),
    }
    assert all(r.finished_at is not None for r in rows if r.state == "skipped")
    assert all(r.details == {} and r.attempts == 0 for r in rows)
    current = {
        e.contact_id: (e.state, e.item_id) for e in db.session.scalars(sa.select(ContactExport))
    }
    by_contact = {r.contact_id: r.id for r in rows}
    assert current == {
        # Skipped attempts never become the current state.
        people["exported"].id: ("exported", exported.id),
        people["queued"].id: ("queued", items[people["queued"].id].id),
        people["other_org"].id: ("queued", by_contact[people["other_org"].id]),
        people["failed"].id: ("queued", by_contact[people["failed"].id]),
        new_id: ("queued", by_contact[new_id]),
    }
    # Where the moved contact lives in the other org is still known.
    assert db.session.get(ContactExport, people["other_org"].id).sf_id == "00Q000000000002"


def test_nothing_selected_records_no_push(app, account_a, org_id):
    admin = admin_of(account_a)
    with pytest.raises(PushRefused) as refused:
        start_manual_push(admin, sa.select(Contact).where(Contact.id == -1))
    assert refused.value.code == "nothing_selected"
