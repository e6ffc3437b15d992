"""The org's rules: each error code with its exact body, and the headers that change behaviour."""

from __future__ import annotations

from urllib.parse import urlencode

LEAD = {"LastName": "Smith", "Company": "Acme"}


def error_of(response):
    assert response.status_code == 400, response.get_data(as_text=True)
    return response.json


def test_required_field_missing(org):  # noqa: F811
    body = error_of(org.post(org.data("sobjects/Lead"), {"LastName": "Smith"}))
    assert body == [
        {
            "message": "Required fields are missing: [Company]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Company"],
        }
    ]


def test_string_too_long_uses_the_label(org):  # noqa: F811
    body = error_of(org.post(org.data("sobjects/Lead"), {**LEAD, "FirstName": "x" * 41}))
    assert body == [
        {
            "message": f"First Name: data value too large: {'x' * 41} (max length=40)",
            "errorCode": "STRING_TOO_LONG",
            "fields": ["FirstName"],
        }
    ]


def test_invalid_email(org):  # noqa: F811
    body = error_of(
        org.post(org.data("sobjects/Lead"), {**LEAD, "Email": "Not a real email address"})
    )
    assert body == [
        {
            "message": "Email: invalid email address: Not a real email address",
            "errorCode": "INVALID_EMAIL_ADDRESS",
            "fields": ["Email"],
        }
    ]


def test_restricted_and_open_picklists(org):  # noqa: F811
    org.customize(
        custom_fields={
            "Lead": [
                {
                    "name": "Tier__c",
                    "type": "picklist",
                    "label": "Tier",
                    "restrictedPicklist": True,
                    "picklist": ["Gold", "Silver"],
                }
            ]
        }
    )
    body = error_of(org.post(org.data("sobjects/Lead"), {**LEAD, "Tier__c": "Bronze"}))
    assert body == [
        {
            "message": "Tier: bad value for restricted picklist field: Bronze",
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "fields": ["Tier__c"],
        }
    ]
    # LeadSource is not restricted: any value is stored, "Lemontaps" is in the list.
    assert org.post(org.data("sobjects/Lead"), {**LEAD, "LeadSource": "Fair"}).status_code == 201


def test_state_country_picklists(org):  # noqa: F811
    org.customize(state_country_picklists=True)
    body = error_of(org.post(org.data("sobjects/Lead"), {**LEAD, "Country": "Germny"}))
    assert body[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert body[0]["fields"] == ["Country"]
    created = org.post(org.data("sobjects/Lead"), {**LEAD, "Country": "germany"})
    record = org.get(org.data(f"sobjects/Lead/{created.json['id']}")).json
    assert (record["Country"], record["CountryCode"]) == ("Germany", "DE")
    org.customize(state_country_picklists=False)
    assert org.post(org.data("sobjects/Lead"), {**LEAD, "Country": "Germny"}).status_code == 201


def test_validation_rule_message(org):  # noqa: F811
    org.customize(
        validation_rules=[
            {
                "object": "Lead",
                "name": "Phone_or_Email",
                "error_message": "Give a phone or an e-mail.",
                "error_field": "Phone",
                "when": {
                    "all": [{"field": "Phone", "op": "blank"}, {"field": "Email", "op": "blank"}]
                },
            }
        ]
    )
    body = error_of(org.post(org.data("sobjects/Lead"), LEAD))
    assert body == [
        {
            "message": "Give a phone or an e-mail.",
            "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": ["Phone"],
        }
    ]
    assert org.post(org.data("sobjects/Lead"), {**LEAD, "Phone": "1"}).status_code == 201


def duplicate_rule(action: str) -> dict:
    return {
        "object": "Lead",
        "name": "Standard_Lead_Duplicate_Rule",
        "action": action,
        "fields": ["Email"],
        "match_rule": "Standard_Lead_Match_Rule_v1_0",
    }


def test_duplicate_block_rule_with_payload(org):  # noqa: F811
    existing = org.post(org.data("sobjects/Lead"), {**LEAD, "Email": "dup@example.com"}).json
    org.customize(duplicate_rules=[duplicate_rule("block")])
    response = org.post(
        org.data("sobjects/Lead"),
        {**LEAD, "Email": "DUP@example.com"},
        headers={"Sforce-Duplicate-Rule-Header": "allowSave=true"},
    )
    body = error_of(response)
    assert body[0]["errorCode"] == "DUPLICATES_DETECTED"
    assert body[0]["message"] == "Use one of these records?"
    result = body[0]["duplicateResut"]
    assert result["allowSave"] is False
    assert result["duplicateRule"] == "Standard_Lead_Duplicate_Rule"
    match = result["matchResults"][0]
    assert match["matchRecords"][0]["record"]["Id"] == existing["id"]
    assert match["size"] == 1 and match["entityType"] == "Lead"
    org.customize(duplicate_result_key="duplicateResult")
    body = error_of(org.post(org.data("sobjects/Lead"), {**LEAD, "Email": "dup@example.com"}))
    assert "duplicateResult" in body[0]


def test_duplicate_alert_rule_honours_allow_save(org):  # noqa: F811
    org.post(org.data("sobjects/Lead"), {**LEAD, "Email": "dup@example.com"})
    org.customize(duplicate_rules=[duplicate_rule("alert")])
    blocked = org.post(org.data("sobjects/Lead"), {**LEAD, "Email": "dup@example.com"})
    assert error_of(blocked)[0]["duplicateResut"]["allowSave"] is True
    allowed = org.post(
        org.data("sobjects/Lead"),
        {**LEAD, "Email": "dup@example.com"},
        headers={"Sforce-Duplicate-Rule-Header": "allowSave=true; includeRecordDetails=true"},
    )
    assert allowed.status_code == 201
    batch = org.post(
        org.data("composite/sobjects"),
        {"records": [{"attributes": {"type": "Lead"}, **LEAD, "Email": "dup@example.com"}]},
    )
    assert batch.json == [
        {
            "success": False,
            "errors": [
                {
                    "statusCode": "DUPLICATES_DETECTED",
                    "message": "Use one of these records?",
                    "fields": [],
                }
            ],
        }
    ]


def test_owner_must_be_an_active_standard_user(org):  # noqa: F811
    inactive = org.users["inactive"]
    body = error_of(org.post(org.data("sobjects/Lead"), {**LEAD, "OwnerId": inactive}))
    assert body == [
        {
            "message": f"operation performed with inactive user [{inactive}] as owner of lead",
            "errorCode": "INACTIVE_OWNER_OR_USER",
            "fields": [],
        }
    ]
    partner = error_of(
        org.post(org.data("sobjects/Lead"), {**LEAD, "OwnerId": org.users["partner"]})
    )
    assert partner[0]["errorCode"] == "INACTIVE_OWNER_OR_USER"
    rep = org.post(org.data("sobjects/Lead"), {**LEAD, "OwnerId": org.users["rep"]})
    assert rep.status_code == 201


def test_converted_lead_cannot_be_updated(org):  # noqa: F811
    lead_id = org.fixture("Lead", {**LEAD, "IsConverted": True})
    body = error_of(org.patch(org.data(f"sobjects/Lead/{lead_id}"), {"Title": "CEO"}))
    assert body == [
        {
            "message": "cannot reference converted lead",
            "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD",
            "fields": [],
        }
    ]


def test_trigger_failure_fails_every_record_of_the_batch(org):  # noqa: F811
    org.customize(
        trigger_failures=[
            {
                "object": "Lead",
                "trigger": "LeadTrigger",
                "message": "LeadTrigger: execution of BeforeInsert",
            }
        ]
    )
    response = org.post(
        org.data("composite/sobjects"),
        {
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Lead"}, **LEAD},
                {"attributes": {"type": "Contact"}, "LastName": "Fine"},
            ],
        },
    )
    expected = {
        "success": False,
        "errors": [
            {
                "statusCode": "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                "message": "LeadTrigger: execution of BeforeInsert",
                "fields": [],
            }
        ],
    }
    assert response.json == [expected, expected]
    assert org.records("Contact") == []
    single = error_of(org.post(org.data("sobjects/Lead"), LEAD))
    assert single[0]["errorCode"] == "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY"


def test_api_disabled_for_org(org):  # noqa: F811
    org.store.update_org_settings(org.org_id, api_enabled=False)
    response = org.get(org.data("limits"))
    assert response.status_code == 403
    assert response.json == [
        {
            "message": "The REST API is not enabled for this Organization.",
            "errorCode": "API_DISABLED_FOR_ORG",
        }
    ]


def test_lead_assignment_rule_and_auto_assign_header(org):  # noqa: F811
    from salesforce_emulator import org_tools

    queue = org_tools.add_queue(org.store, org.org_id, "Inbound Leads")
    org.customize(lead_assignment_rule={"active": True, "owner_id": queue})
    assigned = org.post(org.data("sobjects/Lead"), LEAD).json["id"]
    kept = org.post(org.data("sobjects/Lead"), LEAD, headers={"Sforce-Auto-Assign": "FALSE"}).json[
        "id"
    ]
    owners = {r["Id"]: r["OwnerId"] for r in org.records("Lead")}
    assert owners[assigned] == queue
    assert owners[kept] == org.users["admin"]
    rules = org.get(org.data("query?q=SELECT+Id+FROM+AssignmentRule+WHERE+Active+%3D+true"))
    assert rules.json["totalSize"] == 1


def test_record_timestamps_and_names(org):  # noqa: F811
    created = org.post(org.data("sobjects/Contact"), {"FirstName": "Ada", "LastName": "L"}).json
    record = org.get(org.data(f"sobjects/Contact/{created['id']}")).json
    assert record["Name"] == "Ada L"
    assert record["CreatedById"] == org.users["admin"]
    assert record["IsDeleted"] is False
    assert record["CreatedDate"] == record["LastModifiedDate"] == record["SystemModstamp"]
    soql = (
        "SELECT Id FROM Contact WHERE CreatedById = '"
        + org.users["admin"]
        + "' AND CreatedDate >= 2020-01-01T00:00:00Z"
    )
    found = org.get(org.data("query?" + urlencode({"q": soql})))
    assert found.json["totalSize"] == 1
