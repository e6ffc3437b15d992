import pytest

from salesforce_emulator import ids


@pytest.mark.parametrize(
    ("id15", "suffix"),
    [
        ("001A0000006Vm9r", "IAC"),
        # From the recordings: a real id returned by a create call...
        ("a00B000000FSkcv", "IAD"),
        # ...and the one the MALFORMED_ID recording sent with a wrong suffix "IB1".
        ("a00B000000FSjVU", "IA1"),
    ],
)
def test_checksum_matches_real_ids(id15, suffix):
    assert ids.checksum(id15) == suffix


def test_recorded_malformed_id_is_invalid_and_real_one_valid():
    assert not ids.is_valid("a00B000000FSjVUIB1")
    assert ids.is_valid("a00B000000FSkcvIAD")
    assert ids.is_valid("a00B000000FSkcv")
    assert not ids.is_valid("a00B000000FSkc")  # 14 chars
    assert not ids.is_valid("a00B000000FSkc-IAD")


def test_make_id_has_prefix_checksum_and_is_distinct_per_org():
    lead = ids.make_id("00Q", 1, 1)
    assert len(lead) == 18 and lead.startswith("00Q")
    assert ids.is_valid(lead)
    assert ids.to_18(lead[:15]) == lead
    assert ids.make_id("00Q", 2, 1) != lead
    assert ids.make_id("00Q", 1, 2) != lead
    assert ids.make_id("00Q", 1, 1) == lead


def test_checksum_rejects_wrong_length_and_prefixes_are_known():
    with pytest.raises(ValueError):
        ids.checksum("abc")
    assert ids.key_prefix_for("Lead") == "00Q"
    assert ids.key_prefix_for("CampaignMember") == "00v"
    assert ids.sobject_for_id(ids.make_id("003", 1, 5)) == "Contact"
    with pytest.raises(OverflowError):
        ids.encode_base62(62**3, 3)
