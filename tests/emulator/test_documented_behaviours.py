"""Issue 17: behaviours Salesforce documents that the emulator must show.

Each test names the Salesforce documentation page it is written from (REST API Developer Guide
= developer.salesforce.com/docs/atlas.en-us.api_rest.meta; SOQL and SOSL Reference =
developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta). Where the documentation gives no
exact wording, the test asserts the code and the documented part of the message only.
"""

from __future__ import annotations

from urllib.parse import quote
from urllib.parse import urlencode

from data_helpers import new_org

from salesforce_emulator import org_tools

LEAD = {"LastName": "Müller", "Company": "Bäckerei O'Brien"}


def q(org, soql: str):  # noqa: F811
    return org.get(org.data("query/?" + urlencode({"q": soql})))


def lead(**fields):
    return {"attributes": {"type": "Lead"}, **LEAD, **fields}


# ---- 1. the same external id twice in one Collections upsert ---------------------------------


def test_collections_upsert_fails_both_rows_that_repeat_an_external_id(org):  # noqa: F811
    """REST API Developer Guide, "Upsert Records Using sObject Collections": records with the
    same external id in one request fail with DUPLICATE_VALUE "Duplicate external id
    specified"; the other records are saved (allOrNone false)."""
    response = org.patch(
        org.data("composite/sobjects/Lead/Lemontaps_Id__c"),
        {
            "allOrNone": False,
            "records": [
                lead(Lemontaps_Id__c="c-1", FirstName="Jörg"),
                lead(Lemontaps_Id__c="c-2"),
                lead(Lemontaps_Id__c="C-1", FirstName="Jürgen"),  # unique fields ignore case
            ],
        },
    )
    assert response.status_code == 200
    first, second, third = response.json
    for failed, key in ((first, "c-1"), (third, "C-1")):
        assert failed["success"] is False
        assert failed["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
        assert failed["errors"][0]["message"] == f"Duplicate external id specified: {key}"
    assert second["success"] is True and second["created"] is True
    assert [r["Lemontaps_Id__c"] for r in org.records("Lead")] == ["c-2"]


def test_collections_upsert_repeat_with_all_or_none_saves_nothing(org):  # noqa: F811
    response = org.patch(
        org.data("composite/sobjects/Lead/Lemontaps_Id__c"),
        {"allOrNone": True, "records": [lead(Lemontaps_Id__c="x-1"), lead(Lemontaps_Id__c="x-1")]},
    )
    assert [r["errors"][0]["statusCode"] for r in response.json] == ["DUPLICATE_VALUE"] * 2
    assert org.records("Lead") == []


# ---- 2. unique fields --------------------------------------------------------------------------


def test_create_and_update_refuse_a_value_of_a_unique_field_held_by_another_record(org):  # noqa: F811
    """SOAP API Developer Guide, Field ("unique") and StatusCode DUPLICATE_VALUE; message
    shape "duplicate value found: <field> duplicates value on record with id: <id>"."""
    first = org.post(org.data("sobjects/Lead"), {**LEAD, "Lemontaps_Id__c": "u-ä"}).json["id"]
    clash = org.post(org.data("sobjects/Lead"), {**LEAD, "Lemontaps_Id__c": "U-Ä"})
    assert clash.status_code == 400
    assert clash.json[0]["errorCode"] == "DUPLICATE_VALUE"
    assert clash.json[0]["message"] == (
        f"duplicate value found: Lemontaps_Id__c duplicates value on record with id: {first}"
    )
    second = org.post(org.data("sobjects/Lead"), {**LEAD, "Lemontaps_Id__c": "u-2"}).json["id"]
    update = org.patch(org.data(f"sobjects/Lead/{second}"), {"Lemontaps_Id__c": "u-ä"})
    assert update.status_code == 400 and update.json[0]["errorCode"] == "DUPLICATE_VALUE"
    # Saving a record with its own value again is no clash.
    same = org.patch(org.data(f"sobjects/Lead/{first}"), {"Lemontaps_Id__c": "u-ä", "Title": "Dr."})
    assert same.status_code == 204
    assert sorted(r["Lemontaps_Id__c"] for r in org.records("Lead")) == ["u-2", "u-ä"]


def test_collections_create_reports_the_unique_clash_per_record(org):  # noqa: F811
    response = org.post(
        org.data("composite/sobjects"),
        {"records": [lead(Lemontaps_Id__c="k-1"), lead(Lemontaps_Id__c="k-1")]},
    )
    assert response.json[0]["success"] is True
    assert response.json[1]["success"] is False
    assert response.json[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"


def test_upsert_on_a_unique_field_never_answers_several_matches(org):  # noqa: F811
    """REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID":
    300 is answered when the key matches several records, which a unique field prevents."""
    path = org.data("sobjects/Lead/Lemontaps_Id__c/")
    assert org.patch(path + "same", LEAD).status_code == 201
    assert (
        org.post(org.data("sobjects/Lead"), {**LEAD, "Lemontaps_Id__c": "SAME"}).status_code == 400
    )
    again = org.patch(path + "Same", {"Title": "CEO"})
    assert again.status_code == 200 and again.json["created"] is False


# ---- 4. SOQL honours filterable / sortable -------------------------------------------------


def test_soql_refuses_filtering_or_sorting_on_a_long_text_area(org):  # noqa: F811
    """SOQL and SOSL Reference, "WHERE" / "ORDER BY" and the describe's filterable/sortable
    flags: long text areas (Lead.Description) can be selected but not filtered or sorted."""
    describe = org.get(org.data("sobjects/Lead/describe")).json
    description = next(f for f in describe["fields"] if f["name"] == "Description")
    assert description["filterable"] is False and description["sortable"] is False
    org.post(org.data("sobjects/Lead"), {**LEAD, "Description": "Met at the booth"})
    assert q(org, "SELECT Description FROM Lead").json["totalSize"] == 1
    for soql in (
        "SELECT Id FROM Lead WHERE Description = 'Met at the booth'",
        "SELECT Id FROM Lead WHERE Description LIKE '%booth%'",
        "SELECT Id FROM Lead ORDER BY Description",
    ):
        response = q(org, soql)
        assert response.status_code == 400, soql
        assert response.json[0]["errorCode"] == "INVALID_FIELD"
        assert "Description" in response.json[0]["message"]


# ---- 3. Lead assignment rules on update --------------------------------------------------------


def test_lead_assignment_rule_runs_on_update_unless_the_header_says_false(org):  # noqa: F811
    """REST API Developer Guide, "Assignment Rule Header": Sforce-Auto-Assign applies when
    creating or updating Leads (and Cases, Accounts); without it the default is TRUE."""
    lead_id = org.post(org.data("sobjects/Lead"), LEAD).json["id"]
    queue = org_tools.add_queue(org.store, org.org_id, "Inbound Leads")
    org.customize(lead_assignment_rule={"active": True, "owner_id": queue})

    def owner():
        return next(r["OwnerId"] for r in org.records("Lead") if r["Id"] == lead_id)

    kept = org.patch(
        org.data(f"sobjects/Lead/{lead_id}"),
        {"Title": "CTO"},
        headers={"Sforce-Auto-Assign": "FALSE"},
    )
    assert kept.status_code == 204 and owner() == org.users["admin"]
    assert org.patch(org.data(f"sobjects/Lead/{lead_id}"), {"Title": "CEO"}).status_code == 204
    assert owner() == queue
    # The same through sObject Collections (the product's write path).
    org.patch(
        org.data(f"sobjects/Lead/{lead_id}"),
        {"OwnerId": org.users["rep"]},
        headers={"Sforce-Auto-Assign": "FALSE"},
    )
    assert owner() == org.users["rep"]
    org.patch(
        org.data("composite/sobjects"),
        {"records": [{"attributes": {"type": "Lead"}, "id": lead_id, "Title": "CFO"}]},
    )
    assert owner() == queue


# ---- 7. upsert forms ---------------------------------------------------------------------------


def test_upsert_by_an_id_lookup_field(org):  # noqa: F811
    """REST API Developer Guide, "Insert or Update (Upsert) a Record Using an External ID":
    the key may be any field whose describe has idLookup (Lead.Email)."""
    path = org.data("sobjects/Lead/Email/" + quote("o'brien+fair@example.com"))
    created = org.patch(path, LEAD)
    assert created.status_code == 201 and created.json["created"] is True
    updated = org.patch(path, {"Title": "Einkauf"})
    assert updated.status_code == 200 and updated.json["created"] is False
    assert [(r["Email"], r["Title"]) for r in org.records("Lead")] == [
        ("o'brien+fair@example.com", "Einkauf")
    ]
    not_a_key = org.patch(org.data("sobjects/Lead/LastName/Smith"), LEAD)
    assert not_a_key.status_code == 404


def test_post_with_id_as_the_key_creates_a_record(org):  # noqa: F811
    """Same page, "Insert a record using the Id field": POST /sobjects/<type>/Id creates."""
    response = org.post(org.data("sobjects/Lead/Id"), LEAD)
    assert response.status_code == 201
    assert response.json == {
        "id": response.json["id"],
        "success": True,
        "errors": [],
        "created": True,
    }
    assert [r["Id"] for r in org.records("Lead")] == [response.json["id"]]


def test_parent_set_by_its_external_id(emulator_app):  # noqa: F811
    """Same page, "Upsert with a relationship by external id": a reference is given as
    {"<Relationship>": {"<ExternalIdField>": value}} in creates and upserts."""
    client = new_org(
        emulator_app,
        "Parents Org",
        customization={
            "custom_fields": {
                "Account": [
                    {
                        "name": "Ext__c",
                        "type": "string",
                        "length": 32,
                        "externalId": True,
                        "unique": True,
                    }
                ],
                "Contact": [
                    {
                        "name": "Ext__c",
                        "type": "string",
                        "length": 32,
                        "externalId": True,
                        "unique": True,
                    }
                ],
            }
        },
    )
    account = client.post(client.data("sobjects/Account"), {"Name": "Café Zürich", "Ext__c": "A-1"})
    account_id = account.json["id"]
    other_id = client.post(
        client.data("sobjects/Account"), {"Name": "Other GmbH", "Ext__c": "A-2"}
    ).json["id"]
    created = client.post(
        client.data("sobjects/Contact"),
        {"LastName": "Weiß", "Account": {"Ext__c": "A-1"}},
    )
    assert created.status_code == 201, created.json
    upserted = client.patch(
        client.data("sobjects/Contact/Ext__c/K-1"),
        {"LastName": "Groß", "Account": {"attributes": {"type": "Account"}, "Ext__c": "A-2"}},
    )
    assert upserted.status_code == 201, upserted.json
    parents = {r["LastName"]: r["AccountId"] for r in client.records("Contact")}
    assert parents == {"Weiß": account_id, "Groß": other_id}
    missing = client.post(
        client.data("sobjects/Contact"), {"LastName": "Nobody", "Account": {"Ext__c": "A-9"}}
    )
    assert missing.status_code == 400
    assert missing.json[0]["errorCode"] == "INVALID_FIELD"
    assert "A-9" in missing.json[0]["message"]


# ---- 6. aggregates and semi-joins --------------------------------------------------------------


def test_count_and_count_of_a_field(org):  # noqa: F811
    """SOQL and SOSL Reference, "COUNT() and COUNT(fieldName)": COUNT() answers totalSize and
    no records; COUNT(field) answers one AggregateResult with expr0 (non-null values only)."""
    org.post(org.data("sobjects/Lead"), {**LEAD, "Email": "anna@example.com"})
    org.post(org.data("sobjects/Lead"), {**LEAD, "LastName": "Özdemir"})
    org.post(org.data("sobjects/Lead"), {"LastName": "Other", "Company": "Elsewhere"})
    count = q(org, "SELECT COUNT() FROM Lead WHERE Company = 'Bäckerei O\\'Brien'")
    assert count.json == {"totalSize": 2, "done": True, "records": []}
    by_field = q(org, "SELECT COUNT(Id) FROM Lead")
    assert by_field.status_code == 200, by_field.json
    assert by_field.json["totalSize"] == 1
    assert by_field.json["records"] == [{"attributes": {"type": "AggregateResult"}, "expr0": 3}]
    emails = q(org, "SELECT COUNT(Email), COUNT(Id) total FROM Lead").json["records"][0]
    assert (emails["expr0"], emails["total"]) == (1, 3)
    mixed = q(org, "SELECT LastName, COUNT(Id) FROM Lead")
    assert mixed.status_code == 400 and mixed.json[0]["errorCode"] == "MALFORMED_QUERY"


def test_semi_join_and_anti_join_on_campaign_members(org):  # noqa: F811
    """SOQL and SOSL Reference, "Semi-Joins with IN and Anti-Joins with NOT IN"."""
    campaign = org.post(org.data("sobjects/Campaign"), {"Name": "Messe Köln 2026"}).json["id"]
    member = org.post(org.data("sobjects/Lead"), {**LEAD, "LastName": "Member"}).json["id"]
    outsider = org.post(org.data("sobjects/Lead"), {**LEAD, "LastName": "Outsider"}).json["id"]
    added = org.post(
        org.data("sobjects/CampaignMember"), {"CampaignId": campaign, "LeadId": member}
    )
    assert added.status_code == 201, added.json
    inside = q(
        org,
        "SELECT Id FROM Lead WHERE Id IN "
        f"(SELECT LeadId FROM CampaignMember WHERE CampaignId = '{campaign}')",
    )
    assert inside.status_code == 200, inside.json
    assert [r["Id"] for r in inside.json["records"]] == [member]
    outside = q(org, "SELECT Id FROM Lead WHERE Id NOT IN (SELECT LeadId FROM CampaignMember)")
    assert [r["Id"] for r in outside.json["records"]] == [outsider]
    not_ids = q(org, "SELECT Id FROM Lead WHERE LastName IN (SELECT LeadId FROM CampaignMember)")
    assert not_ids.status_code == 400


# ---- 5. polymorphic Owner ----------------------------------------------------------------------


def test_polymorphic_owner_resolves_to_the_name_object(org):  # noqa: F811
    """SOQL and SOSL Reference, "Understanding Relationship Fields and Polymorphic Fields":
    Lead.Owner may be a User or a queue, so Owner.* reaches only the Name object's fields."""
    queue = org_tools.add_queue(org.store, org.org_id, "Messe-Leads")
    org.post(org.data("sobjects/Lead"), {**LEAD, "LastName": "Mine"})
    queued = org.post(
        org.data("sobjects/Lead"), {**LEAD, "LastName": "Queued", "OwnerId": queue}
    ).json["id"]
    response = q(
        org, "SELECT LastName, Owner.Name, Owner.Username, Owner.Type FROM Lead ORDER BY LastName"
    )
    assert response.status_code == 200, response.json
    owners = {r["LastName"]: r["Owner"] for r in response.json["records"]}
    assert owners["Mine"]["attributes"]["type"] == "Name"
    assert owners["Mine"]["attributes"]["url"].endswith(f"/sobjects/User/{org.users['admin']}")
    assert (owners["Mine"]["Name"], owners["Mine"]["Type"]) == ("Ada Admin", "User")
    assert owners["Mine"]["Username"] == "admin@dataorg.test"
    assert (owners["Queued"]["Name"], owners["Queued"]["Type"]) == ("Messe-Leads", "Queue")
    assert owners["Queued"]["attributes"]["url"].endswith(f"/sobjects/Group/{queue}")
    users_only = q(org, "SELECT Owner.TimeZoneSidKey FROM Lead")
    assert users_only.status_code == 400
    assert users_only.json[0]["errorCode"] == "INVALID_FIELD"
    filtered = q(org, "SELECT Id FROM Lead WHERE Owner.Type = 'Queue'")
    assert [r["Id"] for r in filtered.json["records"]] == [queued]
    # Contact.Owner is always a User: User fields stay reachable there.
    assert q(org, "SELECT Owner.TimeZoneSidKey FROM Contact").status_code == 200


# ---- 8. wording --------------------------------------------------------------------------------


def test_a_broken_body_answers_json_parser_error_without_pythons_text(org):  # noqa: F811
    """REST API Developer Guide, "Status Codes and Error Responses": a body that cannot be
    parsed is a 400; the emulator's message names the character and where it is, and never
    carries Python's own exception text."""
    response = org.request(
        "POST",
        org.data("sobjects/Lead"),
        raw=b'{"LastName": "M\xc3\xbcller",, }',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    [error] = response.json
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    assert error["message"].startswith("Unexpected character (',' (code 44))")
    assert "[line:1, column:" in error["message"]
    for python_words in ("Expecting", "(char ", "delimiter"):
        assert python_words not in error["message"]
    not_utf8 = org.request("POST", org.data("sobjects/Lead"), raw=b'{"LastName": "\xff"}')
    assert not_utf8.status_code == 400 and "codec" not in not_utf8.json[0]["message"]
    assert org.records("Lead") == []
