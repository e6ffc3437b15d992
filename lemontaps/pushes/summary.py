"""What a push came to: counts and the contacts that did not make it, with reasons."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ExportState
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.pushes.reasons import reason_text
from lemontaps.pushes.states import push_counts

MAX_LISTED = 200


@dataclass
class Problem:
    label: str
    state: str
    reason: str
    sf_id: str | None


@dataclass
class PushSummary:
    counts: dict[str, int]
    problems: list[Problem]
    more_problems: int


def push_summary(push: Push) -> PushSummary:
    counts = push_counts(push.id)
    rows = db.session.scalars(
        sa.select(PushItem)
        .where(
            PushItem.push_id == push.id,
            PushItem.state.in_([ExportState.FAILED.value, ExportState.DUPLICATE.value]),
        )
        .order_by(PushItem.id)
        .limit(MAX_LISTED + 1)
    ).all()
    problems = [
        Problem(item.contact_label, item.state, describe_reason(item), item.sf_id)
        for item in rows[:MAX_LISTED]
    ]
    total_problems = counts["failed"] + counts["duplicate"]
    return PushSummary(counts, problems, max(0, total_problems - len(problems)))


def describe_reason(item: PushItem) -> str:
    details = item.details or {}
    text = reason_text(
        item.reason_code,
        **{
            k: details.get(k)
            for k in ("field", "limit", "length")
            if item.reason_code == "too_long"
        },
    )
    if item.reason_detail and item.reason_code not in ("too_long",):
        return f"{text} ({item.reason_detail})" if text else item.reason_detail
    return text
