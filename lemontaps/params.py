"""Whole numbers from paths, query strings, forms and cookies, checked once at the edge.

`str.isdigit()` accepts "²" and "٣", which `int()` refuses or reads as another number, and
a 30-digit id overflows the database's integer: both were 500s. Only ASCII digits, and few
enough of them to fit a 64-bit column."""

from __future__ import annotations

MAX_DIGITS = 11  # below 2**63 by far, and no id or count here comes near it


def whole_number(value: str | None, max_digits: int = MAX_DIGITS) -> int | None:
    """The value as a non-negative int, or None when it is anything else."""
    if value and len(value) <= max_digits and value.isascii() and value.isdigit():
        return int(value)
    return None
