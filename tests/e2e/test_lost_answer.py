"""A lost answer through real processes: the emulator server withholds the answer to a create
it carried out; the rq worker retries and links each contact to the record made for it."""

from datetime import date

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ContactExport
from lemontaps.models import PushItem
from lemontaps.services import contacts as contact_service
from tests.e2e.helpers import all_settled
from tests.e2e.helpers import connect
from tests.e2e.helpers import start_push
from tests.e2e.helpers import wait_until
from tests.helpers import make_account

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_same_name_contacts_each_get_their_own_record_after_a_lost_answer(
    app, auth, workers, emulator_urls
):
    acme = make_account(app, "Acme AG", "admin@acme.test")
    org_id, control = connect(auth, emulator_urls)
    ids = {}
    for city in ("München", "Köln"):
        contact = contact_service.create_contact(
            acme.id,
            acme.users[0],
            {
                "first_name": "Zoë",
                "last_name": "O'Neill",
                "company": "Müller & Söhne GmbH",
                "city": city,
                "met_on": date(2026, 3, 2),
            },
        )
        ids[city] = contact.id
    db.session.commit()
    # The create is done and committed in the emulator; the worker never hears back.
    control.add_fault(
        org_id,
        kind="timeout_after_commit",
        hang_seconds=1,
        path="/services/data/*/composite/sobjects*",
        nth=1,
        times=1,
    )
    workers.start(1)
    start_push(auth, list(ids.values()))
    wait_until(lambda: all_settled(list(ids.values())), 120, "the push to settle", every=0.5)

    db.session.expire_all()
    linked = dict(
        db.session.execute(
            sa.select(ContactExport.contact_id, ContactExport.sf_id).where(
                ContactExport.contact_id.in_(list(ids.values())),
                ContactExport.state == "exported",
            )
        ).all()
    )
    adopted = [
        (item.details or {}).get("adopted")
        for item in db.session.scalars(
            sa.select(PushItem).where(PushItem.contact_id.in_(list(ids.values())))
        )
    ]
    db.session.rollback()
    assert adopted == [True, True]  # the answer really was lost, and reconciled
    records = {
        r["Id"]: r for r in control.list_records(org_id, "Lead") if r.get("LastName") == "O'Neill"
    }
    assert len(records) == 2  # nothing created twice, nothing orphaned
    assert set(linked) == set(ids.values()) and set(linked.values()) == set(records)
    for city, contact_id in ids.items():
        assert records[linked[contact_id]]["City"] == city
