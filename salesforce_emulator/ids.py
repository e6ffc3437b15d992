"""Salesforce record ids: 15-character case-sensitive ids and their 18-character case-safe form.

A 15-character id is: 3-character key prefix (object type), then 12 base-62 characters.
We lay the 12 out as 3 characters of org serial + 9 characters of a per-org counter, so
ids are deterministic per org and never collide between orgs of one store.
The 18-character form appends a 3-character checksum that encodes, per 5-character chunk,
which characters are upper-case (so the id survives case-insensitive systems).
"""

from __future__ import annotations

import re

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")

KEY_PREFIXES: dict[str, str] = {
    "Organization": "00D",
    "User": "005",
    "Profile": "00e",
    "Lead": "00Q",
    "Contact": "003",
    "Account": "001",
    "Campaign": "701",
    "CampaignMember": "00v",
    "CampaignMemberStatus": "01Y",
    "AssignmentRule": "01Q",
    "Task": "00T",
    "ContentVersion": "068",
    "ContentDocument": "069",
    "ConnectedApplication": "0H4",
}
SOBJECT_BY_PREFIX = {prefix: name for name, prefix in KEY_PREFIXES.items()}


def checksum(id15: str) -> str:
    """The 3-character case-safe suffix for a 15-character id."""
    if len(id15) != 15:
        raise ValueError(f"expected a 15-character id, got {id15!r}")
    suffix = ""
    for chunk_start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(id15[chunk_start : chunk_start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _CHECKSUM_ALPHABET[bits]
    return suffix


def to_18(record_id: str) -> str:
    """Normalise a 15- or 18-character id to its 18-character form (case of the first 15 kept)."""
    if not is_wellformed(record_id):
        raise ValueError(f"malformed id {record_id!r}")
    return record_id[:15] + checksum(record_id[:15])


def is_wellformed(record_id: str) -> bool:
    return bool(_ID_RE.match(record_id or ""))


def is_valid(record_id: str) -> bool:
    """Well-formed and, for 18-character ids, the checksum matches (compared case-insensitively,
    as Salesforce accepts an 18-character id in any case of its suffix)."""
    if not is_wellformed(record_id):
        return False
    if len(record_id) == 15:
        return True
    return record_id[15:].upper() == checksum(record_id[:15])


def encode_base62(number: int, width: int) -> str:
    if number < 0:
        raise ValueError("negative number")
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = BASE62[remainder] + digits
    if len(digits) > width:
        raise OverflowError(f"{number} does not fit in {width} base-62 digits")
    return digits.rjust(width, "0")


def make_id(prefix: str, org_serial: int, counter: int) -> str:
    """An 18-character id: key prefix, org serial (3 chars), counter (9 chars), checksum."""
    if len(prefix) != 3 or not is_wellformed(prefix + "0" * 12):
        raise ValueError(f"bad key prefix {prefix!r}")
    id15 = prefix + encode_base62(org_serial, 3) + encode_base62(counter, 9)
    return id15 + checksum(id15)


def key_prefix_for(sobject: str) -> str:
    try:
        return KEY_PREFIXES[sobject]
    except KeyError:
        # Custom objects get a stable made-up prefix in the a00-a0z range, like real orgs.
        return "a0" + BASE62[sum(map(ord, sobject)) % 62]


def sobject_for_id(record_id: str) -> str | None:
    return SOBJECT_BY_PREFIX.get(record_id[:3])
