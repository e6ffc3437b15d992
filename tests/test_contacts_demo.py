"""`flask seed-demo`: about 200 varied contacts, every one valid for our own form."""

from collections import Counter

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lemontaps.contacts.forms import ContactForm
from lemontaps.demo import DEMO_ADMIN
from lemontaps.demo import SALESFORCE_DUPLICATE_EMAILS
from lemontaps.demo import demo_contacts
from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import User
from lemontaps.services import contacts


def _contacts():
    return list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))


def test_seed_demo_creates_about_200_varied_contacts_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rows = _contacts()
    assert 180 <= len(rows) <= 220
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already present" in again.output
    assert len(_contacts()) == len(rows)

    by_user = Counter(c.met_by_id for c in rows)
    assert len(by_user) == 3 and min(by_user.values()) > 30
    days = sorted(c.met_on for c in rows)
    assert (days[-1] - days[0]).days > 450
    emails = Counter(c.email for c in rows if c.email)
    assert any(n > 1 for n in emails.values())
    assert set(SALESFORCE_DUPLICATE_EMAILS) <= set(emails)
    assert any(c.first_name and not c.last_name and not c.company for c in rows)
    assert any(not c.company for c in rows) and any(not c.email for c in rows)
    assert any(len(c.company) >= 250 for c in rows)
    assert any(any(ord(ch) > 0xFFFF for ch in c.first_name + c.company) for c in rows)
    assert any("ß" in c.last_name or "ü" in c.last_name.lower() for c in rows)
    assert all(c.search_text for c in rows)


def test_seed_demo_adds_contacts_to_an_existing_demo_account(app):
    from lemontaps.demo import seed_demo

    assert seed_demo(app.extensions["passwords"]) is True
    db.session.commit()
    db.session.execute(sa.delete(Contact))
    db.session.commit()
    assert seed_demo(app.extensions["passwords"]) is True
    db.session.commit()
    assert len(_contacts()) >= 180
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 3


def test_demo_data_is_deterministic(app):
    from datetime import date

    assert demo_contacts(date(2026, 11, 28)) == demo_contacts(date(2026, 11, 28))


def test_every_demo_contact_passes_the_capture_form(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    for contact in _contacts():
        data = MultiDict()
        for name in contacts.TEXT_FIELDS:
            data[name] = getattr(contact, name)
        data["met_on"] = contact.met_on.isoformat()
        if contact.gdpr_consent:
            data["gdpr_consent"] = "y"
        with app.test_request_context("/contacts/new", method="POST", data=data):
            form = ContactForm()
            del form.met_by_id
            assert form.validate(), (contact.id, form.errors)
            # The form keeps the values as they are (no rewriting of stored demo data).
            assert form.website.data == contact.website


def test_demo_admin_sees_every_demo_contact(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_ADMIN))
    page = contacts.contact_page(admin)
    assert len(page.contacts) == 50 and page.total == len(_contacts())
    assert contacts.contact_page(admin, search="müller").contacts
