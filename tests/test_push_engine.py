"""The push engine against the emulator: mapping, checks, duplicates, owners, faults, budget."""

from datetime import date

import pytest
import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ContactExport
from lemontaps.models import ExportState
from lemontaps.models import IntegrationSettings
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.pushes import states
from lemontaps.pushes.engine import EngineOptions
from lemontaps.pushes.engine import run_batch
from tests.helpers import admin_of
from tests.helpers import make_contact
from tests.helpers import make_user
from tests.salesforce_helpers import connect_account
from tests.salesforce_helpers import control

NO_WAIT = EngineOptions(sleep=lambda _s: None)


@pytest.fixture
def org(auth, account_a, emulator):
    org_id = connect_account(auth, emulator, "admin@acme.test")
    ctl = control(emulator)
    ctl.reset_api_calls(org_id)
    return {"id": org_id, "ctl": ctl}


def push(app, contacts, target="Lead", by=None):
    account_id = contacts[0].account_id
    record = states.create_push(account_id, contacts, target, by, PushKind.MANUAL, None)
    db.session.commit()
    run_batch(app.extensions["salesforce"], record.id, states.queued_item_ids(record.id), NO_WAIT)
    return record


def items_of(record) -> list[PushItem]:
    return list(
        db.session.scalars(
            sa.select(PushItem).where(PushItem.push_id == record.id).order_by(PushItem.id)
        )
    )


def customize(org, **customization):
    org["ctl"]._call("PATCH", f"/orgs/{org['id']}/customization", json=customization)


def api_calls(org) -> int:
    return org["ctl"].api_calls(org["id"])["total"]


def records(org, sobject):
    return {r["Id"]: r for r in org["ctl"].list_records(org["id"], sobject)}


def test_leads_are_created_with_the_spec_mapping(app, account_a, org):
    admin = admin_of(account_a)
    contact = make_contact(
        admin,
        name_prefix="Dr.",
        first_name="Jürgen",
        last_name="Müller",
        position="CTO",
        role="Decider",
        department="IT",
        company="Müller GmbH",
        email="juergen@mueller.example",
        work_email="work@mueller.example",
        work_phone="+49 30 1234",
        mobile_phone="+49 170 1",
        website="https://mueller.example",
        address_line1="Hauptstr. 1",
        address_line2="Hof",
        postcode="10115",
        city="Berlin",
        country="Germany",
        notes="Met at the fair.",
        met_on=date(2026, 3, 4),
    )
    record = push(app, [contact])
    (item,) = items_of(record)
    assert item.state == ExportState.EXPORTED, (item.reason_code, item.reason_detail)
    lead = records(org, "Lead")[item.sf_id]
    assert (lead["Salutation"], lead["FirstName"], lead["LastName"]) == ("Dr.", "Jürgen", "Müller")
    assert lead["Title"] == "CTO" and lead["Company"] == "Müller GmbH"
    assert lead["Email"] == "juergen@mueller.example"
    assert lead["Phone"] == "+49 30 1234" and lead["MobilePhone"] == "+49 170 1"
    assert lead["Website"] == "https://mueller.example"
    assert (lead["Street"], lead["PostalCode"], lead["City"], lead["Country"]) == (
        "Hauptstr. 1",
        "10115",
        "Berlin",
        "Germany",
    )
    assert lead["LeadSource"] == "Lemontaps"
    assert lead["Description"] == "Met at the fair.\n\nMet on: 2026-03-04 (Lemontaps)"
    assert "Department" not in lead or not lead.get("Department")
    assert item.owner_reason == "fallback"
    assert db.session.get(ContactExport, contact.id).state == ExportState.EXPORTED
    assert api_calls(org) == 2  # one Composite look-up, one Collections create


def test_contacts_get_the_contact_mapping(app, account_a, org):
    contact = make_contact(
        admin_of(account_a),
        first_name="Ann",
        last_name="Lee",
        department="Sales",
        company="Ignored Inc",
        website="https://x.example",
        address_line1="Main St 2",
        postcode="12345",
        city="Bonn",
        country="DE",
        email="ann@lee.example",
    )
    (item,) = items_of(push(app, [contact], target="Contact"))
    assert item.state == ExportState.EXPORTED, item.reason_detail
    sf = records(org, "Contact")[item.sf_id]
    assert sf["Department"] == "Sales"
    assert (
        sf["MailingStreet"],
        sf["MailingPostalCode"],
        sf["MailingCity"],
        sf["MailingCountry"],
    ) == ("Main St 2", "12345", "Bonn", "DE")
    assert sf["LeadSource"] == "Lemontaps"
    assert not sf.get("Company") and not sf.get("Website")


def test_only_a_first_name_becomes_the_last_name(app, account_a, org):
    contact = make_contact(
        admin_of(account_a), first_name="Cher", last_name="", company="Music Ltd"
    )
    (item,) = items_of(push(app, [contact]))
    lead = records(org, "Lead")[item.sf_id]
    assert lead["LastName"] == "Cher" and not lead.get("FirstName")


def test_checks_before_any_api_call(app, account_a, org):
    admin = admin_of(account_a)
    nameless = make_contact(admin, first_name="", last_name="", company="Acme", email="n@x.example")
    no_company = make_contact(admin, first_name="Al", last_name="Bo", company="")
    too_long = make_contact(admin, first_name="Al", last_name="L" * 81, company="Acme")
    record = push(app, [nameless, no_company, too_long])
    reasons = [(i.state, i.reason_code) for i in items_of(record)]
    assert reasons == [
        ("failed", "missing_name"),
        ("failed", "missing_company"),
        ("failed", "too_long"),
    ]
    assert items_of(record)[2].details == {"field": "LastName", "limit": 80, "length": 81}
    assert api_calls(org) == 0


def test_long_text_is_shortened_and_said(app, account_a, org):
    contact = make_contact(
        admin_of(account_a),
        first_name="Al",
        last_name="Bo",
        company="Acme",
        position="P" * 200,
        city="C" * 60,
    )
    (item,) = items_of(push(app, [contact]))
    assert item.state == ExportState.EXPORTED
    assert sorted(item.details["shortened"]) == ["City", "Title"]
    lead = records(org, "Lead")[item.sf_id]
    assert len(lead["Title"]) == 128 and len(lead["City"]) == 40


def test_duplicates_in_the_org_and_in_the_push(app, account_a, org):
    admin = admin_of(account_a)
    lead_dup = make_contact(
        admin, first_name="A", last_name="A", company="X", email="DUP.LEAD@example.com"
    )
    contact_dup = make_contact(
        admin, first_name="B", last_name="B", company="X", email="dup.contact@example.com"
    )
    first = make_contact(admin, first_name="C", last_name="C", company="X", email="same@x.example")
    second = make_contact(admin, first_name="D", last_name="D", company="X", email="Same@X.example")
    no_email = make_contact(admin, first_name="E", last_name="E", company="X", email="")
    record = push(app, [lead_dup, contact_dup, first, second, no_email])
    got = [(i.state, i.reason_code, i.sf_object) for i in items_of(record)]
    assert got == [
        ("duplicate", "duplicate_lead", "Lead"),
        ("duplicate", "duplicate_contact", "Contact"),
        ("exported", None, "Lead"),
        ("duplicate", "duplicate_in_push", None),
        ("exported", None, "Lead"),
    ]
    leads = org["ctl"].list_records(org["id"], "Lead")
    assert sum(1 for r in leads if (r.get("Email") or "").lower() == "same@x.example") == 1


def test_owner_is_the_capturers_salesforce_user(app, account_a, org):
    anna = make_user(app, account_a, "anna@demo.lemontaps.test")
    mine = make_contact(anna, first_name="F", last_name="G", company="X")
    (item,) = items_of(push(app, [mine]))
    users = {u["Email"]: u for u in org["ctl"].list_records(org["id"], "User")}
    assert item.owner_id == users["anna@demo.lemontaps.test"]["Id"]
    assert item.owner_reason == "matched_user"
    assert records(org, "Lead")[item.sf_id]["OwnerId"] == item.owner_id


def test_inactive_user_is_not_an_owner(app, account_a, org):
    former = make_user(app, account_a, "former@demo.lemontaps.test")
    (item,) = items_of(
        push(app, [make_contact(former, first_name="H", last_name="I", company="X")])
    )
    assert item.owner_reason == "fallback"


def test_exported_contacts_are_not_sent_again(app, account_a, org):
    contact = make_contact(admin_of(account_a), first_name="J", last_name="K", company="X")
    push(app, [contact])
    calls = api_calls(org)
    (again,) = items_of(push(app, [contact]))
    assert (again.state, again.reason_code) == ("skipped", "already_in_salesforce")
    assert api_calls(org) == calls


def test_transient_faults_are_retried(app, account_a, org):
    org["ctl"].add_fault(
        org["id"], kind="503", path="/services/data/*/composite/sobjects*", nth=1, times=1
    )
    org["ctl"].add_fault(
        org["id"], kind="unable_to_lock_row", path="/services/data/*/composite/", nth=1, times=1
    )
    (item,) = items_of(
        push(app, [make_contact(admin_of(account_a), first_name="L", last_name="M", company="X")])
    )
    assert item.state == ExportState.EXPORTED


def test_a_lost_answer_never_creates_a_second_record(app, account_a, org):
    org["ctl"].add_fault(
        org["id"],
        kind="timeout_after_commit",
        path="/services/data/*/composite/sobjects*",
        nth=1,
        times=1,
    )
    contact = make_contact(
        admin_of(account_a), first_name="N", last_name="O", company="X", email="lost@answer.example"
    )
    no_email = make_contact(admin_of(account_a), first_name="P", last_name="Q", company="Y")
    record = push(app, [contact, no_email])
    assert [i.state for i in items_of(record)] == ["exported", "exported"]
    assert all(i.details.get("adopted") for i in items_of(record))
    leads = org["ctl"].list_records(org["id"], "Lead")
    assert sum(1 for r in leads if r.get("LastName") in ("O", "Q")) == 2


def test_with_the_external_id_field_creates_are_upserts(app, auth, account_a, org, emulator):
    customize(
        org,
        custom_fields={
            "Lead": [
                {
                    "name": "Lemontaps_Id__c",
                    "type": "string",
                    "length": 64,
                    "externalId": True,
                    "unique": True,
                }
            ]
        },
    )
    connect_account(auth, emulator, "admin@acme.test")  # reconnect: checks see the field
    org["ctl"].add_fault(
        org["id"],
        kind="timeout_after_commit",
        path="/services/data/*/composite/sobjects*",
        nth=1,
        times=1,
    )
    contact = make_contact(admin_of(account_a), first_name="R", last_name="S", company="X")
    (item,) = items_of(push(app, [contact]))
    assert item.state == ExportState.EXPORTED
    leads = [r for r in org["ctl"].list_records(org["id"], "Lead") if r.get("LastName") == "S"]
    assert len(leads) == 1 and leads[0]["Lemontaps_Id__c"] == contact.uuid


def test_api_limit_makes_contacts_wait(app, account_a, org):
    settings = db.session.get(IntegrationSettings, account_a.id) or IntegrationSettings(
        account_id=account_a.id
    )
    settings.api_usage_threshold_pct = 50
    db.session.add(settings)
    db.session.commit()
    org["ctl"].set_limits(org["id"], daily_api_requests_max=100, daily_api_requests_used=60)
    (item,) = items_of(
        push(app, [make_contact(admin_of(account_a), first_name="T", last_name="U", company="X")])
    )
    assert (item.state, item.reason_code) == ("waiting", "api_limit")


def test_not_connected_makes_contacts_wait(app, account_a):
    (item,) = items_of(
        push(app, [make_contact(admin_of(account_a), first_name="V", last_name="W", company="X")])
    )
    assert (item.state, item.reason_code) == ("waiting", "not_connected")


def test_salesforce_refusals_fail_with_its_reason(app, account_a, org):
    customize(
        org,
        validation_rules=[
            {
                "object": "Lead",
                "name": "NoRefusals",
                "active": True,
                "error_message": "No refusals please",
                "error_field": None,
                "when": {"field": "LastName", "op": "equals", "value": "Refuse"},
            }
        ],
    )
    (item,) = items_of(
        push(
            app,
            [make_contact(admin_of(account_a), first_name="X", last_name="Refuse", company="X")],
        )
    )
    assert item.state == ExportState.FAILED
    assert item.reason_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert "No refusals please" in item.reason_detail


def test_a_block_duplicate_rule_is_a_duplicate_naming_the_match(app, account_a, org):
    customize(
        org,
        duplicate_rules=[
            {
                "object": "Lead",
                "name": "Block_Same_Phone",
                "action": "block",
                "fields": ["Phone"],
                "match_objects": ["Lead"],
                "on": ["insert"],
                "error_message": "You're creating a duplicate record.",
            }
        ],
    )
    existing = org["ctl"].insert_record(
        org["id"], "Lead", {"LastName": "Old", "Company": "X", "Phone": "+49 1"}
    )
    (item,) = items_of(
        push(
            app,
            [
                make_contact(
                    admin_of(account_a),
                    first_name="Y",
                    last_name="Z",
                    company="X",
                    work_phone="+49 1",
                )
            ],
        )
    )
    assert (item.state, item.reason_code) == ("duplicate", "duplicate_rule")
    assert item.sf_id == existing["Id"]


def test_an_alert_duplicate_rule_does_not_stop_the_export(app, account_a, org):
    customize(
        org,
        duplicate_rules=[
            {
                "object": "Lead",
                "name": "Alert_Same_Phone",
                "action": "alert",
                "fields": ["Phone"],
                "match_objects": ["Lead"],
                "on": ["insert"],
                "error_message": "Maybe a duplicate.",
            }
        ],
    )
    org["ctl"].insert_record(
        org["id"], "Lead", {"LastName": "Old", "Company": "X", "Phone": "+49 2"}
    )
    (item,) = items_of(
        push(
            app,
            [
                make_contact(
                    admin_of(account_a),
                    first_name="A",
                    last_name="B",
                    company="X",
                    work_phone="+49 2",
                )
            ],
        )
    )
    assert item.state == ExportState.EXPORTED


def test_country_picklists_get_iso_codes(app, auth, account_a, org, emulator):
    customize(org, state_country_picklists=True)
    connect_account(auth, emulator, "admin@acme.test")  # describe data is refreshed at connect
    admin = admin_of(account_a)
    german = make_contact(admin, first_name="C", last_name="D", company="X", country="Deutschland")
    unknown = make_contact(admin, first_name="E", last_name="F", company="X", country="Narnia")
    record = push(app, [german, unknown])
    first, second = items_of(record)
    leads = records(org, "Lead")
    assert leads[first.sf_id]["CountryCode"] == "DE"
    assert second.state == ExportState.EXPORTED
    assert "Country: Narnia" in leads[second.sf_id]["Description"]
    assert second.details["notes"] == ["country_not_recognised"]


def test_a_failing_trigger_fails_the_batch_with_its_reason(app, account_a, org):
    customize(
        org,
        trigger_failures=[
            {
                "object": "Lead",
                "operations": ["insert"],
                "trigger": "LeadTrigger",
                "message": "Trigger says no",
            }
        ],
    )
    admin = admin_of(account_a)
    record = push(
        app, [make_contact(admin, first_name="G", last_name=str(n), company="X") for n in range(3)]
    )
    assert {(i.state, i.reason_code) for i in items_of(record)} == {
        ("failed", "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY")
    }


def test_an_owner_refused_by_salesforce_falls_back_in_the_same_push(app, account_a, org):
    anna = make_user(app, account_a, "anna@demo.lemontaps.test")
    users = {u["Email"]: u for u in org["ctl"].list_records(org["id"], "User")}
    anna_sf = users["anna@demo.lemontaps.test"]["Id"]
    customize(
        org,
        validation_rules=[
            {
                "object": "Lead",
                "name": "NotAnna",
                "active": True,
                "error_field": "OwnerId",
                "error_message": "Anna may not own Leads",
                "when": {"field": "OwnerId", "op": "equals", "value": anna_sf},
            }
        ],
    )
    (item,) = items_of(push(app, [make_contact(anna, first_name="H", last_name="I", company="X")]))
    assert item.state == ExportState.EXPORTED
    assert item.owner_reason == "fallback_refused"
    assert item.details["refused_owner"]
    assert records(org, "Lead")[item.sf_id]["OwnerId"] != anna_sf
    assert api_calls(org) == 3  # look-up, create, create again with the fallback owner


def test_a_thousand_contacts_cost_at_most_twelve_api_calls(app, account_a, org):
    """Issue budget: 5% org duplicates, 3% invalid, two in-push duplicate pairs, 40 capturers
    of whom 20 are Salesforce users; a per-record client would spend about 4,000 calls."""
    from lemontaps.models import Contact
    from lemontaps.services import contacts as contact_service

    capturers = [make_user(app, account_a, f"rep{n}@acme.test") for n in range(40)]
    for n in range(20):
        org["ctl"].insert_record(
            org["id"],
            "User",
            {
                "Username": f"rep{n}@acme.test",
                "Email": f"rep{n}@acme.test",
                "FirstName": "Rep",
                "LastName": str(n),
                "Alias": f"rep{n}",
                "IsActive": True,
                "UserType": "Standard",
            },
        )
    for n in range(50):
        org["ctl"].insert_record(
            org["id"],
            "Lead" if n % 2 else "Contact",
            {"LastName": f"Existing {n}", "Company": "Old", "Email": f"taken{n}@org.example"},
        )
    for n in range(1000):
        if n < 50:
            email = f"taken{n}@org.example"
        elif n in (100, 101):
            email = "pair-a@push.example"
        elif n in (200, 201):
            email = "pair-b@push.example"
        else:
            email = f"new{n}@push.example"
        company = "" if 900 <= n < 930 else "Acme"  # 3% invalid as Leads
        contact_service.create_contact(
            account_a.id,
            capturers[n % 40],
            {
                "first_name": "First",
                "last_name": f"Last {n}",
                "company": company,
                "email": email,
                "met_on": date(2026, 5, 1),
            },
        )
    db.session.commit()
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))
    record = states.create_push(account_a.id, contacts, "Lead", None, PushKind.MANUAL, None)
    db.session.commit()
    for batch in states.batches(states.queued_item_ids(record.id)):
        run_batch(app.extensions["salesforce"], record.id, batch, NO_WAIT)
    counts = states.push_counts(record.id)
    assert counts["failed"] == 30
    assert counts["duplicate"] == 52  # 50 in the org, 2 second halves of in-push pairs
    assert counts["exported"] == 918
    assert api_calls(org) <= 12
    owners = {i.owner_reason for i in items_of(record) if i.state == "exported"}
    assert owners == {"matched_user", "fallback"}
