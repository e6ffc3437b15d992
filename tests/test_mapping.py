"""The field mapping as pure functions (no API): the spec's table and its edge rules."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lemontaps.salesforce.soql import quote
from lemontaps.services.mapping import DESCRIPTION_MAX
from lemontaps.services.mapping import MappedRecord
from lemontaps.services.mapping import MappingFailure
from lemontaps.services.mapping import country_code
from lemontaps.services.mapping import description
from lemontaps.services.mapping import map_contact


def test_description_ends_with_met_on_and_cuts_the_notes_first():
    text = description("n" * 40_000, date(2026, 1, 2), ["Country: Narnia"])
    assert len(text) == DESCRIPTION_MAX
    assert text.endswith("Country: Narnia\nMet on: 2026-01-02 (Lemontaps)")
    assert text.startswith("nnn")


def test_only_email_is_used_never_work_email():
    mapped = map_contact(
        {"last_name": "L", "company": "C", "email": "", "work_email": "work@x.example"}, "Lead"
    )
    assert isinstance(mapped, MappedRecord)
    assert "Email" not in mapped.fields


@pytest.mark.parametrize("target", ["Lead", "Contact"])
def test_unmapped_fields_are_never_sent(target):
    mapped = map_contact(
        {
            "last_name": "L",
            "company": "C",
            "role": "R",
            "addressee": "A",
            "address_line2": "Hof",
            "language": "de",
            "gdpr_consent": True,
        },
        target,
    )
    sent = " ".join(str(v) for v in mapped.fields.values())
    for value in ("Hof", "Addressee"):
        assert value not in sent
    assert set(mapped.fields) <= {"LastName", "Company", "LeadSource", "Description"}


def test_a_restricted_salutation_not_in_the_picklist_is_left_out_and_said():
    describe = {"Salutation": {"type": "picklist", "restricted": True, "picklist": ["Mr.", "Ms."]}}
    mapped = map_contact(
        {"name_prefix": "Herr Dr.", "last_name": "L", "company": "C"}, "Lead", describe
    )
    assert "Salutation" not in mapped.fields and mapped.notes == ["not_sent:Salutation"]


def test_company_is_never_cut():
    describe = {"Company": {"type": "string", "length": 10}}
    failure = map_contact({"last_name": "L", "company": "C" * 11}, "Lead", describe)
    assert failure == MappingFailure("too_long", "Company", 10, 11)


@pytest.mark.parametrize(
    "value, code",
    [
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("de", "DE"),
        ("AUT", "AT"),
        ("Österreich", "AT"),
        ("Schweiz", "CH"),
        ("Vereinigtes Königreich", "GB"),
        ("Narnia", None),
    ],
)
def test_country_codes_from_english_or_german_names(value, code):
    assert country_code(value) == code


@given(st.text())
def test_soql_quoting_never_lets_a_quote_or_backslash_escape(value):
    literal = quote(value)
    inner = literal[1:-1]
    # Every quote and backslash inside is escaped: the literal cannot end early.
    i = 0
    while i < len(inner):
        if inner[i] == "\\":
            assert inner[i + 1] in "\\'\"nrtbf"
            i += 2
            continue
        assert inner[i] not in "'\"\n\r\t\b\f"
        i += 1


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_quoted_values_round_trip_through_a_soql_parser(value):
    """The emulator's parser (an independent reading of Salesforce's escape rules) finds
    exactly the record with that value."""
    from salesforce_emulator import soql as emulator_soql

    query = emulator_soql.parse(f"SELECT Id FROM Lead WHERE LastName = {quote(value)}")
    records = {
        "Lead": [
            {"Id": "00Q000000000001AAA", "LastName": value},
            {"Id": "00Q000000000002AAA", "LastName": value + "x"},
        ]
    }
    found = emulator_soql.execute(query, records)
    assert [r["Id"] for r in found] == ["00Q000000000001AAA"]
