"""The emulator's field schema: recorded Lead/Contact, hand-written objects, org options."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from data_helpers import RECORDINGS

from salesforce_emulator.schema import SUPPORTED_OBJECTS
from salesforce_emulator.schema import build_from_recordings
from salesforce_emulator.schema import canonical_object_name
from salesforce_emulator.schema import custom_field
from salesforce_emulator.schema import lemontaps_id_field
from salesforce_emulator.schema import load_schema
from salesforce_emulator.schema import object_name_for_key_prefix
from salesforce_emulator.schema.countries import COUNTRIES

SCHEMA_DIR = Path(build_from_recordings.__file__).resolve().parent
REPO_ROOT = SCHEMA_DIR.parent.parent


@pytest.fixture(scope="module")
def recordings() -> Path:
    return RECORDINGS


def recorded_describe(recordings: Path, object_name: str) -> dict:
    path = build_from_recordings.cassette_path(recordings, object_name)
    return json.loads(build_from_recordings.read_cassette_body(path))


# --------------------------------------------------------------------------- recordings


def test_committed_json_equals_generator_output(recordings):
    for file_name, text in build_from_recordings.build(recordings).items():
        committed = (SCHEMA_DIR / file_name).read_text(encoding="utf-8")
        assert committed == text, (
            f"{file_name} is stale: run python -m salesforce_emulator.schema.build_from_recordings"
        )


@pytest.mark.parametrize("object_name, version", [("Lead", "59.0"), ("Contact", "54.0")])
def test_describe_json_reproduces_the_recording(recordings, object_name, version):
    recorded = recorded_describe(recordings, object_name)
    # The recorded host and version are the only things the emulator changes.
    instance_url = (
        "https://broth-scorpio-4351-dev-ed.scratch.my.salesforce.com"
        if object_name == "Lead"
        else "https://orgname.my.salesforce.com"
    )
    if object_name == "Contact":
        recorded = json.loads(json.dumps(recorded).replace("/vxx.0/", f"/v{version}/"))
    assert load_schema(object_name).describe_json(version, instance_url) == recorded


def test_describe_json_uses_requested_version_and_instance():
    describe = load_schema("Lead").describe_json("v60.0", "https://acme.my.salesforce.com/")
    assert describe["urls"]["sobject"] == "/services/data/v60.0/sobjects/Lead"
    assert describe["urls"]["uiNewRecord"] == "https://acme.my.salesforce.com/00Q/e"
    assert describe["urls"]["rowTemplate"] == "/services/data/v60.0/sobjects/Lead/{ID}"
    assert "{version}" not in json.dumps(describe) and "{instance_url}" not in json.dumps(describe)


def test_recorded_lead_and_contact_field_facts():
    lead, contact = load_schema("Lead"), load_schema("Contact")
    assert len(lead.fields) == 54 and len(contact.fields) == 59
    assert (lead.field("LastName")["length"], lead.field("LastName")["byteLength"]) == (80, 240)
    assert lead.field("FirstName")["length"] == 40
    assert lead.field("Company")["length"] == 255
    assert lead.field("Email")["type"] == "email" and lead.field("Email")["length"] == 80
    assert lead.field("Description")["length"] == 32000
    assert lead.required_on_create() == ["LastName", "Company"]
    assert contact.required_on_create() == ["LastName"]
    assert contact.field("AccountId")["referenceTo"] == ["Account"]
    assert lead.field("OwnerId")["referenceTo"] == ["Group", "User"]


def test_lead_source_values_are_the_recorded_ones_without_lemontaps():
    # The recorded org has no "Lemontaps" value; orgs can add it (picklist_additions).
    expected = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
    assert load_schema("Lead").picklist_values("LeadSource") == expected
    assert load_schema("Contact").picklist_values("LeadSource") == expected
    assert not load_schema("Lead").field("LeadSource")["restrictedPicklist"]


def test_lead_status_values_and_default():
    status = load_schema("Lead").field("Status")
    assert [p["value"] for p in status["picklistValues"]] == [
        "Open - Not Contacted",
        "Working - Contacted",
        "Closed - Converted",
        "Closed - Not Converted",
    ]
    assert status["defaultedOnCreate"] is True
    assert [p["value"] for p in status["picklistValues"] if p["defaultValue"]] == [
        "Open - Not Contacted"
    ]


# --------------------------------------------------------------------------- lookup


def test_field_lookup_is_case_insensitive_and_returns_canonical_names():
    lead = load_schema("lead")
    assert lead.name == "Lead"
    assert lead.field("lastNAME")["name"] == "LastName"
    assert lead.field("Bacon__c") is None
    assert lead.relationship("owner")["name"] == "OwnerId"
    assert lead.relationship("convertedcontact")["referenceTo"] == ["Contact"]
    assert lead.relationship("createdby")["name"] == "CreatedById"


@pytest.mark.parametrize(
    "object_name, prefix",
    [
        ("Lead", "00Q"),
        ("Contact", "003"),
        ("Account", "001"),
        ("User", "005"),
        ("Campaign", "701"),
        ("CampaignMember", "00v"),
        ("Task", "00T"),
        ("ContentVersion", "068"),
    ],
)
def test_key_prefixes(object_name, prefix):
    assert load_schema(object_name).key_prefix == prefix
    assert object_name_for_key_prefix(prefix) == object_name


def test_unknown_object_raises_key_error():
    with pytest.raises(KeyError):
        load_schema("Opportunity")
    assert canonical_object_name("campaignmember") == "CampaignMember"
    assert canonical_object_name("Nope") is None


# --------------------------------------------------------------------------- hand-written


def test_every_field_entry_has_the_recorded_key_set():
    recorded_keys = set(load_schema("Lead").fields[0])
    for object_name in SUPPORTED_OBJECTS:
        schema = load_schema(object_name)
        for entry in schema.fields:
            assert set(entry) == recorded_keys, (object_name, entry["name"])


def test_every_object_has_the_recorded_object_level_keys():
    recorded_keys = set(load_schema("Lead").describe)
    for object_name in SUPPORTED_OBJECTS:
        assert set(load_schema(object_name).describe) == recorded_keys, object_name


@pytest.mark.parametrize(
    "object_name, field_name, field_type, length",
    [
        ("Account", "Name", "string", 255),
        ("Account", "BillingCity", "string", 40),
        ("User", "Username", "string", 80),
        ("User", "Email", "email", 128),
        ("User", "FirstName", "string", 40),
        ("User", "LastName", "string", 80),
        ("User", "Name", "string", 121),
        ("User", "IsActive", "boolean", 0),
        ("User", "UserType", "picklist", 40),
        ("User", "ProfileId", "reference", 18),
        ("User", "CreatedDate", "datetime", 0),
        ("Campaign", "Name", "string", 80),
        ("CampaignMember", "Status", "picklist", 40),
        ("CampaignMember", "CampaignId", "reference", 18),
        ("CampaignMemberStatus", "Label", "string", 765),
        ("AssignmentRule", "Active", "boolean", 0),
        ("Task", "Subject", "combobox", 255),
        ("ContentVersion", "VersionData", "base64", 0),
        ("ContentVersion", "PathOnClient", "string", 500),
    ],
)
def test_hand_written_fields(object_name, field_name, field_type, length):
    entry = load_schema(object_name).field(field_name)
    assert (entry["type"], entry["length"]) == (field_type, length)
    if field_type in ("string", "email", "picklist", "reference", "combobox"):
        assert entry["byteLength"] == 3 * length


def test_hand_written_system_fields_are_read_only():
    for object_name in SUPPORTED_OBJECTS:
        schema = load_schema(object_name)
        for name in ("Id", "CreatedDate", "CreatedById", "SystemModstamp"):
            entry = schema.field(name)
            assert entry is not None and not entry["createable"] and not entry["updateable"], (
                object_name,
                name,
            )
        assert schema.relationship("CreatedBy")["referenceTo"] == ["User"]


def test_campaign_member_relations():
    member = load_schema("CampaignMember")
    assert member.required_on_create() == ["CampaignId"]
    assert member.relationship("Lead")["referenceTo"] == ["Lead"]
    assert member.relationship("Contact")["referenceTo"] == ["Contact"]
    assert member.field("CampaignId")["updateable"] is False


def test_assignment_rule_is_read_only_object():
    rule = load_schema("AssignmentRule").describe
    assert (rule["createable"], rule["updateable"], rule["deletable"]) == (False, False, False)
    assert load_schema("AssignmentRule").picklist_values("SobjectType") == ["Case", "Lead"]


# --------------------------------------------------------------------------- org options


def test_custom_fields_are_appended_and_looked_up():
    lead = load_schema(
        "Lead", [lemontaps_id_field(), custom_field("Badge_Scan__c", "boolean", "Badge scan")]
    )
    entry = lead.field("LEMONTAPS_ID__C")
    assert entry["name"] == "Lemontaps_Id__c"
    assert (entry["type"], entry["length"], entry["byteLength"]) == ("string", 64, 192)
    assert (entry["unique"], entry["externalId"], entry["custom"], entry["idLookup"]) == (
        True,
        True,
        True,
        True,
    )
    assert lead.field_names[-2:] == ["Lemontaps_Id__c", "Badge_Scan__c"]
    assert lead.describe_json("59.0")["fields"][-2]["name"] == "Lemontaps_Id__c"
    assert load_schema("Lead").field("Lemontaps_Id__c") is None  # per org, not global


def test_custom_field_validation():
    with pytest.raises(ValueError):
        custom_field("NoSuffix", "string", length=10)
    with pytest.raises(ValueError):
        load_schema("Lead", [custom_field("Email__c"), custom_field("email__c")])


def test_picklist_additions_per_org():
    lead = load_schema("Lead", picklist_additions={"leadsource": ["Lemontaps", "Web"]})
    assert lead.picklist_values("LeadSource")[-1] == "Lemontaps"
    assert lead.picklist_values("LeadSource").count("Web") == 1
    assert "Lemontaps" not in load_schema("Lead").picklist_values("LeadSource")
    with pytest.raises(ValueError):
        load_schema("Lead", picklist_additions={"LastName": ["x"]})


@pytest.mark.parametrize(
    "object_name, prefixes",
    [
        ("Lead", [""]),
        ("Contact", ["Mailing", "Other"]),
        ("Account", ["Billing", "Shipping"]),
    ],
)
def test_state_and_country_picklists(object_name, prefixes):
    plain = load_schema(object_name)
    schema = load_schema(object_name, state_country_picklists=True)
    for prefix in prefixes:
        assert plain.field(f"{prefix}CountryCode") is None
        country = schema.field(f"{prefix}CountryCode")
        state = schema.field(f"{prefix}StateCode")
        assert country["type"] == "picklist" and country["restrictedPicklist"] is True
        codes = schema.picklist_values(f"{prefix}CountryCode")
        assert {"DE", "US", "AT", "CH", "GB", "FR"} <= set(codes)
        assert len(codes) == 249 and all(len(code) == 2 and code.isupper() for code in codes)
        assert {p["value"]: p["label"] for p in country["picklistValues"]}["DE"] == "Germany"
        assert state["controllerName"] == f"{prefix}CountryCode"
        assert state["dependentPicklist"] is True
        names = schema.field_names
        assert names.index(f"{prefix}StateCode") == names.index(f"{prefix}Country") + 1


def test_state_valid_for_bitmap_points_at_its_country():
    schema = load_schema("Lead", state_country_picklists=True)
    country_codes = [code for code, _ in COUNTRIES]
    california = next(
        p for p in schema.field("StateCode")["picklistValues"] if p["label"] == "California"
    )
    bitmap = base64.b64decode(california["validFor"])
    set_bits = [i for i in range(len(country_codes)) if bitmap[i // 8] & (0x80 >> (i % 8))]
    assert [country_codes[i] for i in set_bits] == ["US"]


def test_loaded_schemas_are_independent_copies():
    first = load_schema("Lead")
    first.fields[0]["label"] = "changed"
    assert load_schema("Lead").fields[0]["label"] == "Lead ID"


# --------------------------------------------------------------------------- generator


def test_cassette_reader_handles_folded_and_pretty_printed_bodies(tmp_path):
    cassette = tmp_path / "c.yaml"
    cassette.write_text(
        "request:\n    method: GET\nresponse:\n    body:\n        string: >\n"
        '            {\n             "name": "X",\n             "fields": []\n            }\n'
        "    status: 200\n"
    )
    assert json.loads(build_from_recordings.read_cassette_body(cassette)) == {
        "name": "X",
        "fields": [],
    }


def test_templating_replaces_version_and_host_only():
    body = json.dumps(
        {
            "urls": {
                "a": "/services/data/v59.0/sobjects/Lead/{ID}",
                "b": "https://x-y.scratch.my.salesforce.com/00Q/e",
                "c": "/services/data/vxx.0/sobjects/Contact",
            },
            "label": "v59.0 stays",
        }
    )
    assert build_from_recordings.templated_describe(body) == {
        "urls": {
            "a": "/services/data/v{version}/sobjects/Lead/{ID}",
            "b": "{instance_url}/00Q/e",
            "c": "/services/data/v{version}/sobjects/Contact",
        },
        "label": "v59.0 stays",
    }


def test_generator_main_fails_clearly_without_recordings(tmp_path, capsys):
    assert build_from_recordings.main(["build", str(tmp_path)]) == 1
    assert "recordings not found" in capsys.readouterr().err
