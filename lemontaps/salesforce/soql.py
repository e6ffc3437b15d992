"""Building SOQL safely: REST has no bind variables, so every value goes through one quoting
helper (Salesforce's escape table), and field and object names come from code, never input."""

from __future__ import annotations

from collections.abc import Iterable

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def quote(value: str) -> str:
    """A SOQL string literal for `value`, for `=`, `!=` and `IN` comparisons."""
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"


def quote_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


def chunks_within(values: list[str], max_chars: int) -> list[list[str]]:
    """Split values so each quoted IN-list stays under max_chars (URL and SOQL limits)."""
    groups: list[list[str]] = []
    current: list[str] = []
    size = 2
    for value in values:
        length = len(quote(value)) * 3 + 2  # URL-encoding may triple a character
        if current and size + length > max_chars:
            groups.append(current)
            current, size = [], 2
        current.append(value)
        size += length
    if current:
        groups.append(current)
    return groups
