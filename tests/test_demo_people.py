"""`make run`: the demo app's users and the emulator's demo-org users are the same people."""

from lemontaps.demo import seed_demo
from lemontaps.extensions import db
from lemontaps.models import User
from salesforce_emulator.seed import demo_org_id
from salesforce_emulator.state import emulator_state
from tests.salesforce_helpers import new_emulator


def test_each_demo_login_is_the_same_person_in_the_demo_salesforce_org(app):
    seed_demo(app.extensions["passwords"])
    db.session.commit()
    app_people = {u.email: u.name for u in db.session.scalars(db.select(User))}

    store = emulator_state(new_emulator()).store
    org_people = {
        u["Email"]: u["Name"] for u in store.list_users(demo_org_id(store)) if u["IsActive"]
    }

    assert len(app_people) == 3
    assert {email: org_people.get(email) for email in app_people} == app_people
