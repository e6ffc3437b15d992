"""SOQL parser/evaluator: operators, escapes, case rules, relationships, errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from data_helpers import mappings_dir
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from salesforce_emulator.schema import lemontaps_id_field
from salesforce_emulator.schema import load_schema
from salesforce_emulator.soql import SoqlError
from salesforce_emulator.soql import count
from salesforce_emulator.soql import escape_string_literal
from salesforce_emulator.soql import execute
from salesforce_emulator.soql import parse
from salesforce_emulator.soql import query_response

OWNER_ID = "005000000000001AAA"
CREATOR_ID = "005000000000002AAA"
LEAD_IDS = [f"00Q00000000000{n}AAA" for n in range(1, 6)]
NOW = dt.datetime(2024, 3, 15, 12, 0, tzinfo=dt.UTC)  # a Friday


def schemas(**lead_options):
    lead = load_schema("Lead", [lemontaps_id_field()], **lead_options)
    return {
        name: load_schema(name)
        for name in ("Contact", "Account", "User", "Campaign", "CampaignMember", "ContentVersion")
    } | {"Lead": lead}


SCHEMAS = schemas()


def make_data():
    users = [
        {"Id": OWNER_ID, "Email": "owner@example.com", "Name": "Olga Owner", "IsActive": True},
        {
            "Id": CREATOR_ID,
            "Email": "creator@example.com",
            "Name": "Carl Creator",
            "IsActive": False,
        },
    ]
    leads = [
        {
            "Id": LEAD_IDS[0],
            "LastName": "Müller",
            "FirstName": "Anna",
            "Company": "Acme",
            "Email": "anna@example.com",
            "OwnerId": OWNER_ID,
            "CreatedById": CREATOR_ID,
            "IsConverted": False,
            "NumberOfEmployees": 10,
            "AnnualRevenue": 1000.5,
            "CreatedDate": "2024-01-31T10:00:00.000+0000",
            "ConvertedDate": None,
            "LeadSource": "Web",
            "Lemontaps_Id__c": "lt-1",
        },
        {
            "Id": LEAD_IDS[1],
            "LastName": "smith",
            "FirstName": None,
            "Company": "Beta_Co",
            "Email": None,
            "OwnerId": OWNER_ID,
            "CreatedById": OWNER_ID,
            "IsConverted": True,
            "NumberOfEmployees": 250,
            "AnnualRevenue": None,
            "CreatedDate": "2024-03-15T08:00:00.000+0000",
            "ConvertedDate": "2024-03-14",
            "LeadSource": "Other",
            "Lemontaps_Id__c": "lt-2",
        },
        {
            "Id": LEAD_IDS[2],
            "LastName": "O'Brien",
            "FirstName": "Zoe",
            "Company": "100% Gin",
            "Email": "zoe@example.com",
            "OwnerId": None,
            "CreatedById": OWNER_ID,
            "IsConverted": False,
            "NumberOfEmployees": None,
            "AnnualRevenue": 20.0,
            "CreatedDate": "2024-03-10T23:30:00.000+0000",
            "ConvertedDate": None,
            "LeadSource": None,
            "Lemontaps_Id__c": None,
        },
        {
            "Id": LEAD_IDS[3],
            "LastName": "Adams",
            "FirstName": "bob",
            "Company": "Acme",
            "Email": "BOB@EXAMPLE.COM",
            "OwnerId": OWNER_ID,
            "CreatedById": OWNER_ID,
            "IsConverted": False,
            "NumberOfEmployees": 10,
            "AnnualRevenue": 5.0,
            "CreatedDate": "2023-12-31T23:59:59.000+0000",
            "ConvertedDate": None,
            "LeadSource": "web",
            "Lemontaps_Id__c": "lt-4",
        },
    ]
    return {"Lead": leads, "User": users, "Contact": [], "Account": []}


DATA = make_data()


def run(soql, data=DATA, **options):
    options.setdefault("now", NOW)
    return execute(parse(soql, SCHEMAS), data, SCHEMAS, **options)


def ids(soql, **options):
    return [record["Id"] for record in run(soql, **options)]


def lead_ids(*indexes):
    return [LEAD_IDS[i] for i in indexes]


def soql_error(soql):
    with pytest.raises(SoqlError) as caught:
        parse(soql, SCHEMAS)
    return caught.value


# --------------------------------------------------------------------------- shape


def test_records_have_attributes_then_fields_in_select_order_with_canonical_case():
    records = run(
        f"select company, ID, lastname from LEAD where Id = '{LEAD_IDS[0]}'", api_version="53.0"
    )
    assert records == [
        {
            "attributes": {
                "type": "Lead",
                "url": f"/services/data/v53.0/sobjects/Lead/{LEAD_IDS[0]}",
            },
            "Company": "Acme",
            "Id": LEAD_IDS[0],
            "LastName": "Müller",
        }
    ]
    assert list(records[0]) == ["attributes", "Company", "Id", "LastName"]


def test_missing_stored_field_comes_back_as_null():
    records = run(f"SELECT Title FROM Lead WHERE Id = '{LEAD_IDS[0]}'")
    assert records[0]["Title"] is None


def test_parent_relationship_fields_nest_with_their_own_attributes():
    records = run(
        "SELECT LastName, Owner.Email, Owner.Name, CreatedBy.IsActive FROM Lead "
        f"WHERE Id = '{LEAD_IDS[0]}'",
        api_version="59.0",
    )
    assert records[0]["Owner"] == {
        # Lead.Owner is polymorphic (User or queue): the parent is a Name, its url the User.
        "attributes": {"type": "Name", "url": f"/services/data/v59.0/sobjects/User/{OWNER_ID}"},
        "Email": "owner@example.com",
        "Name": "Olga Owner",
    }
    assert records[0]["CreatedBy"]["IsActive"] is False
    assert list(records[0]) == ["attributes", "LastName", "Owner", "CreatedBy"]


def test_missing_parent_is_null_not_an_empty_object():
    records = run(f"SELECT Owner.Email FROM Lead WHERE Id = '{LEAD_IDS[2]}'")
    assert records[0]["Owner"] is None


def test_relationship_case_insensitive_and_filterable():
    assert ids(
        "SELECT Id FROM Lead WHERE owner.EMAIL = 'OWNER@example.com' ORDER BY Id"
    ) == lead_ids(0, 1, 3)
    assert ids("SELECT Id FROM Lead WHERE CreatedBy.IsActive = false") == lead_ids(0)


def test_object_name_prefix_on_own_fields_is_accepted():
    assert ids("SELECT Lead.Id FROM Lead WHERE Lead.LastName = 'adams'") == lead_ids(3)


def test_parent_lookup_callback_is_used_for_relationships():
    calls = []

    def lookup(object_type, record_id):
        calls.append((object_type, record_id))
        return {"Id": record_id, "Email": "from-callback@example.com"}

    records = run(f"SELECT Owner.Email FROM Lead WHERE Id = '{LEAD_IDS[0]}'", lookup_record=lookup)
    assert records[0]["Owner"]["Email"] == "from-callback@example.com"
    assert calls[0][1] == OWNER_ID


def test_records_source_may_be_a_callable():
    seen = []

    def source(object_type):
        seen.append(object_type)
        return DATA.get(object_type, [])

    query = parse("SELECT Id FROM Lead WHERE LastName = 'Adams'", SCHEMAS)
    assert [r["Id"] for r in execute(query, source, SCHEMAS)] == lead_ids(3)
    assert seen == ["Lead"]


def test_base64_fields_come_back_as_blob_urls_like_the_recording():
    data = {"ContentVersion": [{"Id": "0687S00000AX37OQAT", "VersionData": "SUQz"}]}
    records = run("SELECT Id, VersionData FROM ContentVersion", data=data, api_version="53.0")
    assert (
        records[0]["VersionData"]
        == "/services/data/v53.0/sobjects/ContentVersion/0687S00000AX37OQAT/VersionData"
    )


def test_count_returns_total_size_only():
    query = parse("SELECT COUNT() FROM Lead WHERE Company = 'acme'", SCHEMAS)
    assert query.is_count
    assert query_response(query, DATA, SCHEMAS) == {"totalSize": 2, "done": True, "records": []}
    assert count(query, DATA) == 2
    assert execute(query, DATA, SCHEMAS) == []


def test_query_response_wraps_records():
    body = query_response(
        parse(f"SELECT Id FROM Lead WHERE Id = '{LEAD_IDS[0]}'", SCHEMAS),
        DATA,
        SCHEMAS,
        api_version="53.0",
    )
    assert body["totalSize"] == 1 and body["done"] is True
    assert body["records"][0]["Id"] == LEAD_IDS[0]


def test_default_schema_is_the_emulators_standard_objects():
    query = parse("SELECT Name FROM Account")
    assert query.object_name == "Account"


# --------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    "soql, expected",
    [
        ("SELECT Id FROM Lead WHERE NumberOfEmployees = 10", [0, 3]),
        ("SELECT Id FROM Lead WHERE NumberOfEmployees != 10", [1, 2]),
        ("SELECT Id FROM Lead WHERE NumberOfEmployees <> 10", [1, 2]),
        ("SELECT Id FROM Lead WHERE NumberOfEmployees < 250", [0, 3]),
        ("SELECT Id FROM Lead WHERE NumberOfEmployees <= 250", [0, 1, 3]),
        ("SELECT Id FROM Lead WHERE NumberOfEmployees > 10", [1]),
        ("SELECT Id FROM Lead WHERE NumberOfEmployees >= 10", [0, 1, 3]),
        ("SELECT Id FROM Lead WHERE AnnualRevenue > 19.5", [0, 2]),
        ("SELECT Id FROM Lead WHERE AnnualRevenue < -1", []),
        ("SELECT Id FROM Lead WHERE LeadSource IN ('WEB', 'other')", [0, 1, 3]),
        ("SELECT Id FROM Lead WHERE LeadSource NOT IN ('Web')", [1, 2]),
        ("SELECT Id FROM Lead WHERE NumberOfEmployees IN (250, 7)", [1]),
        ("SELECT Id FROM Lead WHERE Email = null", [1]),
        ("SELECT Id FROM Lead WHERE Email != null", [0, 2, 3]),
        ("SELECT Id FROM Lead WHERE IsConverted = true", [1]),
        ("SELECT Id FROM Lead WHERE IsConverted = FALSE", [0, 2, 3]),
        ("SELECT Id FROM Lead WHERE LastName > 'n'", [1, 2]),
        ("SELECT Id FROM Lead WHERE LastName < 'B'", [3]),
    ],
)
def test_comparison_operators(soql, expected):
    assert sorted(ids(soql)) == lead_ids(*expected)


def test_not_equal_and_not_in_include_nulls_but_ranges_do_not():
    # Salesforce: != and NOT IN match null fields; <, > never do.
    assert LEAD_IDS[2] in ids("SELECT Id FROM Lead WHERE LeadSource != 'Web'")
    assert LEAD_IDS[2] in ids("SELECT Id FROM Lead WHERE LeadSource NOT IN ('Other')")
    assert LEAD_IDS[2] not in ids("SELECT Id FROM Lead WHERE NumberOfEmployees < 1000")


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("m%", [0]),
        ("%MITH", [1]),
        ("_dams", [3]),
        ("%e%", [0, 2]),  # Müller, O'Brien
        ("sm_th", [1]),
        ("s", []),
        ("%", [0, 1, 2, 3]),
    ],
)
def test_like_wildcards_case_insensitive(pattern, expected):
    assert sorted(ids(f"SELECT Id FROM Lead WHERE LastName LIKE '{pattern}'")) == lead_ids(
        *expected
    )


def test_like_escaped_wildcards_are_literal():
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE '100\% %'") == lead_ids(2)
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE 'Beta\_%'") == lead_ids(1)
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE 'Acme\%'") == []
    # an unescaped _ matches any one character, escaped it does not
    data = {"Lead": [{"Id": LEAD_IDS[0], "Company": "BetaXCo"}]}
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE 'Beta_Co'", data=data) == lead_ids(0)
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE 'Beta\_Co'", data=data) == []


def test_unset_checkbox_reads_as_false():
    data = {"Lead": [{"Id": LEAD_IDS[0]}]}
    assert ids("SELECT Id FROM Lead WHERE IsConverted = false", data=data) == lead_ids(0)
    assert run("SELECT IsConverted FROM Lead", data=data)[0]["IsConverted"] is False


def test_like_does_not_match_null():
    assert LEAD_IDS[1] not in ids("SELECT Id FROM Lead WHERE Email LIKE '%'")


def test_and_or_not_and_parentheses():
    assert sorted(
        ids("SELECT Id FROM Lead WHERE Company = 'Acme' AND FirstName = 'BOB'")
    ) == lead_ids(3)
    assert sorted(
        ids("SELECT Id FROM Lead WHERE LastName = 'smith' OR LastName = 'adams'")
    ) == lead_ids(1, 3)
    assert sorted(ids("SELECT Id FROM Lead WHERE NOT Company = 'Acme'")) == lead_ids(1, 2)
    assert sorted(
        ids(
            "SELECT Id FROM Lead WHERE (Company = 'Acme' OR Company = 'Beta_Co') "
            "AND NOT (IsConverted = true OR FirstName = 'Anna')"
        )
    ) == lead_ids(3)
    assert sorted(
        ids("SELECT Id FROM Lead WHERE ((NumberOfEmployees = 10)) AND (LeadSource = 'web')")
    ) == lead_ids(0, 3)


def test_mixing_and_with_or_without_parentheses_is_refused():
    error = soql_error(
        "SELECT Id FROM Lead WHERE Company = 'Acme' AND FirstName = 'x' OR LastName = 'y'"
    )
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("unexpected token: 'OR'")


# --------------------------------------------------------------------------- case and strings


def test_string_equality_ignores_case_including_umlauts():
    assert ids("SELECT Id FROM Lead WHERE LastName = 'MÜLLER'") == lead_ids(0)
    assert ids("SELECT Id FROM Lead WHERE LastName = 'müller'") == lead_ids(0)
    assert ids("SELECT Id FROM Lead WHERE LastName IN ('MüLLER')") == lead_ids(0)
    assert ids("SELECT Id FROM Lead WHERE LastName LIKE 'MÜ%'") == lead_ids(0)
    assert ids("SELECT Id FROM Lead WHERE Email = 'bob@example.com'") == lead_ids(3)


def test_external_id_custom_field_is_queryable_case_insensitively():
    assert ids("SELECT Id FROM Lead WHERE LEMONTAPS_ID__C = 'LT-2'") == lead_ids(1)
    assert run(f"SELECT lemontaps_id__c FROM Lead WHERE Id = '{LEAD_IDS[0]}'")[0] == {
        "attributes": run(f"SELECT Id FROM Lead WHERE Id = '{LEAD_IDS[0]}'")[0]["attributes"],
        "Lemontaps_Id__c": "lt-1",
    }


def test_keywords_are_case_insensitive():
    assert ids(
        "sElEcT Id fRoM lead wHeRe lastname = 'adams' oRdEr bY Id dEsC NuLlS lAsT lImIt 5 oFfSeT 0"
    ) == lead_ids(3)


def test_whitespace_and_newlines_between_tokens():
    assert ids("SELECT\n  Id\nFROM\tLead\nWHERE LastName='adams'") == lead_ids(3)


@pytest.mark.parametrize(
    "literal, stored",
    [
        (r"O\'Brien", "O'Brien"),
        (r"a\nb", "a\nb"),
        (r"a\Nb", "a\nb"),
        (r"a\rb", "a\rb"),
        (r"a\Rb", "a\rb"),
        (r"a\tb", "a\tb"),
        (r"a\Tb", "a\tb"),
        (r"a\bb", "a\bb"),
        (r"a\Bb", "a\bb"),
        (r"a\fb", "a\fb"),
        (r"a\Fb", "a\fb"),
        (r"say \"hi\"", 'say "hi"'),
        (r"back\\slash", "back\\slash"),
        (r"\u00fcber", "über"),
    ],
)
def test_valid_string_escapes(literal, stored):
    data = {"Lead": [{"Id": LEAD_IDS[0], "LastName": stored}]}
    assert ids(f"SELECT Id FROM Lead WHERE LastName = '{literal}'", data=data) == lead_ids(0)


@pytest.mark.parametrize(
    "literal, sequence",
    [
        (r"a\qb", r"\q"),
        (r"100\%", r"\%"),  # \% and \_ only inside LIKE
        (r"a\_b", r"\_"),
        (r"a\x41", r"\x"),
        (r"\u12", r"\u"),
    ],
)
def test_invalid_string_escapes_are_malformed_query(literal, sequence):
    soql = f"SELECT Id FROM Lead WHERE LastName = '{literal}'"
    error = soql_error(soql)
    assert error.error_code == "MALFORMED_QUERY"
    assert f"Illegal character sequence '{sequence}' in string literal." in error.message
    assert error.message.startswith(f"\n{soql}\n" + " " * soql.index("'") + "^\n")


def test_invalid_escape_in_like_is_refused_too():
    error = soql_error(r"SELECT Id FROM Lead WHERE LastName LIKE 'a\qb'")
    assert error.error_code == "MALFORMED_QUERY"


def test_unterminated_string_literal():
    error = soql_error("SELECT Id FROM Lead WHERE LastName = 'abc")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("unexpected token: '<EOF>'")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_escaped_string_round_trips_through_equality(value):
    data = {
        "Lead": [{"Id": LEAD_IDS[0], "Email": value}, {"Id": LEAD_IDS[1], "Email": value + "x"}]
    }
    soql = f"SELECT Id FROM Lead WHERE Email = '{escape_string_literal(value)}'"
    assert ids(soql, data=data) == lead_ids(0)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_like_escaped_string_matches_only_itself(value):
    data = {
        "Lead": [{"Id": LEAD_IDS[0], "Email": value}, {"Id": LEAD_IDS[1], "Email": value + "x"}]
    }
    soql = f"SELECT Id FROM Lead WHERE Email LIKE '{escape_string_literal(value, for_like=True)}'"
    assert ids(soql, data=data) == lead_ids(0)


# --------------------------------------------------------------------------- ids, dates


def test_fifteen_character_id_matches_eighteen_character_id():
    assert ids(f"SELECT Id FROM Lead WHERE Id = '{LEAD_IDS[3][:15]}'") == lead_ids(3)
    assert sorted(ids(f"SELECT Id FROM Lead WHERE OwnerId IN ('{OWNER_ID[:15]}')")) == lead_ids(
        0, 1, 3
    )


@pytest.mark.parametrize(
    "condition, expected",
    [
        ("CreatedDate = 2024-01-31T10:00:00Z", [0]),
        ("CreatedDate = 2024-01-31T11:00:00+01:00", [0]),
        ("CreatedDate = 2024-01-31T10:00:00.000Z", [0]),
        ("CreatedDate > 2024-01-31T10:00:00Z", [1, 2]),
        ("CreatedDate < 2024-01-01T00:00:00-01:00", [3]),
        ("CreatedDate >= 2024-03-10T23:30:00Z", [1, 2]),
        ("ConvertedDate = 2024-03-14", [1]),
        ("ConvertedDate > 2024-01-01", [1]),
        ("ConvertedDate = null", [0, 2, 3]),
    ],
)
def test_date_and_datetime_literals(condition, expected):
    assert sorted(ids(f"SELECT Id FROM Lead WHERE {condition}")) == lead_ids(*expected)


@pytest.mark.parametrize(
    "literal, expected",
    [
        ("TODAY", [1]),
        ("YESTERDAY", []),
        ("LAST_N_DAYS:7", [1, 2]),
        ("THIS_WEEK", [1, 2]),  # week of Sun 2024-03-10
        ("LAST_WEEK", []),
        ("THIS_MONTH", [1, 2]),
        ("LAST_MONTH", []),
        ("THIS_YEAR", [0, 1, 2]),
        ("LAST_YEAR", [3]),
        ("LAST_90_DAYS", [0, 1, 2, 3]),
        ("N_DAYS_AGO:5", [2]),
    ],
)
def test_named_date_literals_on_datetime_fields(literal, expected):
    assert sorted(ids(f"SELECT Id FROM Lead WHERE CreatedDate = {literal}")) == lead_ids(*expected)


def test_named_date_literal_ranges_with_inequalities():
    assert sorted(ids("SELECT Id FROM Lead WHERE CreatedDate < THIS_YEAR")) == lead_ids(3)
    assert sorted(ids("SELECT Id FROM Lead WHERE CreatedDate >= TODAY")) == lead_ids(1)
    assert sorted(ids("SELECT Id FROM Lead WHERE CreatedDate > LAST_MONTH")) == lead_ids(1, 2)
    assert sorted(ids("SELECT Id FROM Lead WHERE ConvertedDate = YESTERDAY")) == lead_ids(1)
    assert sorted(ids("SELECT Id FROM Lead WHERE ConvertedDate <= NEXT_N_DAYS:3")) == lead_ids(1)


# --------------------------------------------------------------------------- order, limit


def test_order_by_string_is_case_insensitive_ascending_by_default():
    assert ids("SELECT Id FROM Lead ORDER BY LastName") == lead_ids(3, 0, 2, 1)


def test_order_by_nulls_first_by_default_in_both_directions():
    assert ids("SELECT Id FROM Lead ORDER BY Email") == lead_ids(1, 0, 3, 2)
    assert ids("SELECT Id FROM Lead ORDER BY Email DESC") == lead_ids(1, 2, 3, 0)


def test_order_by_nulls_last():
    assert ids("SELECT Id FROM Lead ORDER BY Email ASC NULLS LAST") == lead_ids(0, 3, 2, 1)
    assert ids("SELECT Id FROM Lead ORDER BY Email DESC NULLS LAST") == lead_ids(2, 3, 0, 1)
    assert ids("SELECT Id FROM Lead ORDER BY Email DESC NULLS FIRST") == lead_ids(1, 2, 3, 0)


def test_order_by_several_fields_and_relationship_fields():
    assert ids(
        "SELECT Id FROM Lead ORDER BY Company DESC, NumberOfEmployees, LastName DESC"
    ) == lead_ids(1, 0, 3, 2)
    assert ids("SELECT Id FROM Lead ORDER BY Owner.Email NULLS LAST, CreatedDate DESC") == lead_ids(
        1, 0, 3, 2
    )


def test_order_by_dates_and_numbers_by_value():
    assert ids("SELECT Id FROM Lead ORDER BY CreatedDate") == lead_ids(3, 0, 2, 1)
    assert ids("SELECT Id FROM Lead ORDER BY AnnualRevenue DESC NULLS LAST") == lead_ids(0, 2, 3, 1)


def test_limit_and_offset():
    ordered = "SELECT Id FROM Lead ORDER BY LastName"
    assert ids(ordered + " LIMIT 2") == lead_ids(3, 0)
    assert ids(ordered + " LIMIT 2 OFFSET 1") == lead_ids(0, 2)
    assert ids(ordered + " OFFSET 3") == lead_ids(1)
    assert ids(ordered + " LIMIT 0") == []
    assert ids(ordered + " OFFSET 10") == []


def test_count_honours_limit_and_offset():
    assert count(parse("SELECT COUNT() FROM Lead LIMIT 3", SCHEMAS), DATA) == 3
    assert count(parse("SELECT COUNT() FROM Lead OFFSET 3", SCHEMAS), DATA) == 1


def test_offset_over_2000_is_refused():
    error = soql_error("SELECT Id FROM Lead OFFSET 2001")
    assert error.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert parse("SELECT Id FROM Lead OFFSET 2000", SCHEMAS).offset == 2000


# --------------------------------------------------------------------------- errors


def recorded_error(file_name):
    """(SOQL, error body) from a recording; the expected texts below are copies of these."""
    mapping = json.loads((mappings_dir() / file_name).read_text())
    return mapping["request"]["queryParameters"]["q"]["equalTo"], json.loads(
        mapping["response"]["body"]
    )


def test_malformed_first_token_matches_recording():
    # recorded: query-malformed-soql.json
    expected = [{"message": "unexpected token: SELEKT", "errorCode": "MALFORMED_QUERY"}]
    assert soql_error("SELEKT Name FROM Account").to_json() == expected
    soql, body = recorded_error("query-malformed-soql.json")
    assert soql_error(soql).to_json() == body


def test_unknown_column_matches_recording():
    # recorded: query-unknown-column.json
    expected = [
        {
            "message": "\nSELECT Bacon__c FROM Account LIMIT 2\n       ^\nERROR at Row:1:"
            "Column:8\nNo such column 'Bacon__c' on entity 'Account'. If you are attempting "
            "to use a custom field, be sure to append the '__c' after the custom field "
            "name. Please reference your WSDL or the describe call for the appropriate "
            "names.",
            "errorCode": "INVALID_FIELD",
        }
    ]
    assert soql_error("SELECT Bacon__c FROM Account LIMIT 2").to_json() == expected
    soql, body = recorded_error("query-unknown-column.json")
    assert soql_error(soql).to_json() == body


def test_unknown_column_in_where_and_order_by_points_at_it():
    error = soql_error("SELECT Id FROM Lead WHERE Foo = 'x'")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.startswith(
        "\nSELECT Id FROM Lead WHERE Foo = 'x'\n" + " " * 26 + "^\n"
        "ERROR at Row:1:Column:27\nNo such column 'Foo' on entity "
        "'Lead'."
    )
    assert "Column:30" in soql_error("SELECT Id FROM Lead ORDER BY Bar").message


def test_error_position_on_later_rows():
    error = soql_error("SELECT Id\nFROM Lead\nWHERE Nope__c = 1")
    assert error.message.startswith("\nWHERE Nope__c = 1\n      ^\nERROR at Row:3:Column:7\n")


def test_unknown_object_is_invalid_type():
    error = soql_error("SELECT Id FROM Opportunity")
    assert error.error_code == "INVALID_TYPE"
    assert error.message == (
        "\nSELECT Id FROM Opportunity\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Opportunity' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name. Please reference your WSDL "
        "or the describe call for the appropriate names."
    )


def test_unknown_relationship():
    error = soql_error("SELECT Boss.Email FROM Lead")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        "Didn't understand relationship 'Boss' in field path. If you are attempting to use a "
        "custom relationship, be sure to append the '__r' after the custom relationship name. "
        "Please reference your WSDL or the describe call for the appropriate names."
    )


def test_unknown_field_on_parent_names_the_parent_object():
    error = soql_error("SELECT Owner.Shoe FROM Lead")
    assert error.error_code == "INVALID_FIELD"
    assert "No such column 'Shoe' on entity 'Name'." in error.message
    error = soql_error("SELECT CreatedBy.Shoe FROM Lead")
    assert "No such column 'Shoe' on entity 'User'." in error.message


@pytest.mark.parametrize(
    "soql, token, column",
    [
        ("SELECT Id FROM Account WHERE", "<EOF>", 29),
        ("SELECT Id, FROM Lead", "FROM", 12),
        ("SELECT FROM Lead", "FROM", 8),
        ("SELECT Id FROM Lead WHERE LastName", "<EOF>", 35),
        ("SELECT Id FROM Lead WHERE LastName == 'x'", "=", 37),
        ("SELECT Id FROM Lead LIMIT x", "x", 27),
        ("SELECT Id FROM Lead WHERE LastName IN 'x'", "x", 39),
        ("SELECT Id FROM Lead ORDER LastName", "LastName", 27),
        ("SELECT Id FROM Lead WHERE (LastName = 'x'", "<EOF>", 42),
        ("SELECT Id FROM Lead extra", "extra", 21),
        ('SELECT Id FROM Lead WHERE LastName = "x"', '"', 38),
        ("SELECT MAX(NumberOfEmployees) FROM Lead", "(", 11),
    ],
)
def test_malformed_queries_show_the_token_and_position(soql, token, column):
    error = soql_error(soql)
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == (
        f"\n{soql}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n"
        f"unexpected token: '{token}'"
    )


def test_invalid_id_literal():
    error = soql_error("SELECT Id FROM Contact WHERE Id = 'ZZZ'")
    assert error.to_json() == [
        {
            "message": "\nSELECT Id FROM Contact WHERE Id = 'ZZZ'\n                             ^\n"
            "ERROR at Row:1:Column:30\ninvalid ID field: ZZZ",
            "errorCode": "INVALID_QUERY_FILTER_OPERATOR",
        }
    ]


@pytest.mark.parametrize(
    "condition, wording",
    [
        ("Email = 5", "string and should be enclosed in quotes"),
        ("IsConverted = 'true'", "boolean and should not be enclosed in quotes"),
        ("NumberOfEmployees = '10'", "integer and should not be enclosed in quotes"),
        ("AnnualRevenue = true", "double and should not be enclosed in quotes"),
        ("ConvertedDate = '2024-01-01'", "date and should not be enclosed in quotes"),
        ("CreatedDate = 2024-01-01", "dateTime and should not be enclosed in quotes"),
        ("ConvertedDate = 2024-01-01T00:00:00Z", "date and should not be enclosed in quotes"),
        ("OwnerId = 5", "id and should be enclosed in quotes"),
    ],
)
def test_literal_of_wrong_type_is_invalid_field(condition, wording):
    error = soql_error(f"SELECT Id FROM Lead WHERE {condition}")
    assert error.error_code == "INVALID_FIELD"
    field = condition.split(" ")[0]
    assert error.message.endswith(
        f"value of filter criterion for field '{field}' must be of type {wording}"
    )


def test_duplicate_field_is_refused():
    error = soql_error("SELECT Id, LastName, lastname FROM Lead")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith("duplicate field selected: LastName")


def test_statement_longer_than_100000_characters_is_refused():
    padding = " " * (100_000 - len("SELECT Id FROM Lead"))
    assert parse("SELECT Id FROM Lead" + padding, SCHEMAS).object_name == "Lead"
    error = soql_error("SELECT Id FROM Lead" + padding + " ")
    assert error.to_json() == [
        {
            "message": "SOQL statements cannot be longer than 100,000 characters.",
            "errorCode": "MALFORMED_QUERY",
        }
    ]


def test_soql_error_carries_code_and_message():
    error = SoqlError("MALFORMED_QUERY", "boom")
    assert (error.error_code, error.message) == ("MALFORMED_QUERY", "boom")
    assert "MALFORMED_QUERY" in str(error)
