"""What the contact table shows about exports: filters and their counts, the state of each
row, progress of pushes, the push dialog's forecast, and the live poll's differences.

Plain functions with explicit arguments (the viewer, ids, tokens); they never commit.
Every query is bounded by the page (50 rows) or a fixed number of pushes, so the number of
SQL statements does not grow with the account's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from lemontaps.extensions import db
from lemontaps.models import UNSETTLED
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import ExportState
from lemontaps.models import OrgDescribe
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import PushStatus
from lemontaps.models import User
from lemontaps.models import utcnow
from lemontaps.params import whole_number
from lemontaps.pushes import states
from lemontaps.services import contacts
from lemontaps.services import mapping
from lemontaps.services.contacts import ContactPage
from lemontaps.services.contacts import Cursor
from lemontaps.services.contacts import Sort

# The table's state filters: name -> the contact states it covers. A list that can grow.
FILTERS: dict[str, tuple[str, ...]] = {
    "not_exported": (ExportState.NOT_EXPORTED.value,),
    "in_progress": (ExportState.QUEUED.value, ExportState.PUSHING.value),
    "waiting": (ExportState.WAITING.value,),
    "exported": (ExportState.EXPORTED.value,),
    "failed": (ExportState.FAILED.value,),
    "duplicate": (ExportState.DUPLICATE.value,),
}
UNSETTLED_VALUES = frozenset(s.value for s in UNSETTLED)
# "Select all N matching" pushes at most this many contacts at once (and says so).
SELECT_ALL_LIMIT = 10_000
# Manual pushes shown as full progress bars above the table (newest first); up to
# MAX_COLLAPSED more sit folded away below them. Automatic pushes share one compact line.
MAX_BARS = 3
MAX_COLLAPSED = 10
# The automatic line sums up at most this many of the newest undismissed automatic pushes.
AUTO_WINDOW = 200


@dataclass(frozen=True)
class ListFilter:
    search: str = ""
    state: str | None = None
    push_id: int | None = None

    @classmethod
    def parse(cls, search: str | None, state: str | None, push: str | None) -> ListFilter:
        push_id = whole_number(push)
        return cls(
            (search or "").strip(),
            state if state in FILTERS else None,
            push_id,
        )

    def params(self) -> dict:
        """Query-string values of this filter, empty ones left out."""
        values = {"q": self.search, "state": self.state, "push": self.push_id}
        return {k: v for k, v in values.items() if v}


def visible_pushes(viewer: User) -> sa.Select:
    """End users see the pushes they started (admins the automatic ones too)."""
    return contacts.visible_rows(viewer, Push, Push.started_by_id)


def get_visible_push(viewer: User, push_id: int) -> Push | None:
    return db.session.scalar(
        visible_pushes(viewer).where(Push.id == push_id).options(joinedload(Push.started_by))
    )


def _without_state(viewer: User, flt: ListFilter) -> sa.Select:
    query = contacts.apply_search(contacts.visible_contacts(viewer), flt.search)
    if flt.push_id is not None:
        in_push = sa.select(PushItem.contact_id).where(
            PushItem.push_id == flt.push_id, PushItem.account_id == viewer.account_id
        )
        query = query.where(Contact.id.in_(in_push))
    return query


def filtered_contacts(viewer: User, flt: ListFilter) -> sa.Select:
    """The viewer's contacts matching search, push and state: always re-applied here, on the
    server, from the visible contacts."""
    query = _without_state(viewer, flt)
    if flt.state is None:
        return query
    states = FILTERS[flt.state]
    if flt.state == "not_exported":
        # NOT EXISTS, not an outer join: the planner stops after one page of matches.
        settled_elsewhere = sa.exists().where(
            ContactExport.contact_id == Contact.id, ContactExport.state.not_in(states)
        )
        return query.where(~settled_elsewhere)
    # account_id in the join lets the (account_id, state) index do the filtering.
    query = query.join(
        ContactExport,
        sa.and_(
            ContactExport.contact_id == Contact.id,
            ContactExport.account_id == viewer.account_id,
        ),
    )
    return query.where(ContactExport.state.in_(states))


class Counts(dict):
    """Count per filter name (and "all"), each at most contacts.COUNT_LIMIT; `capped` names
    those with more (shown as "10,000+")."""

    def __init__(self, values: dict[str, int], capped: frozenset[str]):
        super().__init__(values)
        self.capped = capped


def filter_counts(viewer: User, flt: ListFilter) -> Counts:
    """Count per filter (and "all") for the search and push filter, each exact up to
    COUNT_LIMIT: the work per request stops at the cap, whatever the account's size.

    With a search or push filter, the matches (at most COUNT_LIMIT + 1) are scanned once and
    grouped by state; only when there are more than that, or with neither filter, each
    filter is counted on its own, capped (one UNION ALL statement, each part driven by an
    index)."""
    limit = contacts.COUNT_LIMIT
    if flt.search or flt.push_id is not None:
        matching = _without_state(viewer, flt).with_only_columns(Contact.id).order_by(None)
        first = matching.limit(limit + 1).subquery()
        state = sa.func.coalesce(ContactExport.state, ExportState.NOT_EXPORTED.value)
        by_state = dict(
            db.session.execute(
                sa.select(state, sa.func.count())
                .select_from(first)
                .outerjoin(ContactExport, ContactExport.contact_id == first.c.id)
                .group_by(state)
            ).all()
        )
        if sum(by_state.values()) <= limit:
            counts = {
                name: sum(by_state.get(s, 0) for s in states) for name, states in FILTERS.items()
            }
            counts["all"] = sum(by_state.values())
            return Counts(counts, frozenset())
    parts = []
    for name in ("all", *FILTERS):
        capped = _rows_of(viewer, flt, name).order_by(None).limit(limit + 1).subquery()
        parts.append(sa.select(sa.literal(name), sa.func.count()).select_from(capped))
    found = dict(db.session.execute(sa.union_all(*parts)).all())
    return Counts(
        {name: min(n, limit) for name, n in found.items()},
        frozenset(name for name, n in found.items() if n > limit),
    )


def _rows_of(viewer: User, flt: ListFilter, name: str) -> sa.Select:
    """The ids one filter count counts."""
    if viewer.is_admin and not flt.search and flt.push_id is None and name in FILTERS:
        if name != "not_exported":
            # The (account_id, state) index alone: joined with contacts, PostgreSQL hashes
            # every contact of the account for each state.
            return sa.select(ContactExport.contact_id).where(
                ContactExport.account_id == viewer.account_id,
                ContactExport.state.in_(FILTERS[name]),
            )
    state = None if name == "all" else name
    return filtered_contacts(viewer, replace(flt, state=state)).with_only_columns(Contact.id)


@dataclass
class ExportCell:
    """What a row's Export cell shows; `token` lets the poll tell what changed."""

    contact_id: int
    state: str = ExportState.NOT_EXPORTED.value
    sf_object: str | None = None
    reason_code: str | None = None
    item_id: int | None = None
    other_org: bool = False

    @property
    def token(self) -> str:
        return f"{self.state}.{self.item_id or 0}.{int(self.other_org)}"

    @property
    def unsettled(self) -> bool:
        return self.state in UNSETTLED_VALUES


def _cell(
    contact_id: int, export: ContactExport | None, item: PushItem | None, org_id
) -> ExportCell:
    if export is None:
        return ExportCell(contact_id)
    sf_object = export.sf_object if export.state == ExportState.EXPORTED else None
    return ExportCell(
        contact_id=contact_id,
        state=export.state,
        sf_object=sf_object or (item.sf_object if item else None),
        reason_code=item.reason_code if item else None,
        item_id=export.item_id,
        other_org=bool(
            export.state == ExportState.EXPORTED
            and org_id
            and export.org_id
            and export.org_id != org_id
        ),
    )


def export_cells(contact_ids: list[int], org_id: str | None) -> dict[int, ExportCell]:
    """Cells for contacts the caller already knows the viewer may see: one query."""
    cells = {cid: ExportCell(cid) for cid in contact_ids}
    if not contact_ids:
        return cells
    rows = db.session.execute(
        sa.select(ContactExport, PushItem)
        .outerjoin(PushItem, PushItem.id == ContactExport.item_id)
        .where(ContactExport.contact_id.in_(contact_ids))
    )
    for export, item in rows:
        cells[export.contact_id] = _cell(export.contact_id, export, item, org_id)
    return cells


def visible_cells(
    viewer: User, contact_ids: list[int], org_id: str | None
) -> dict[int, ExportCell]:
    """Cells for ids sent by a browser: only contacts the viewer may see, in one query."""
    if not contact_ids:
        return {}
    rows = db.session.execute(
        contacts.visible_contacts(viewer)
        .with_only_columns(Contact.id, ContactExport, PushItem)
        .outerjoin_from(Contact, ContactExport, ContactExport.contact_id == Contact.id)
        .outerjoin(PushItem, PushItem.id == ContactExport.item_id)
        .where(Contact.id.in_(contact_ids))
    )
    return {cid: _cell(cid, export, item, org_id) for cid, export, item in rows}


@dataclass
class FilteredPage:
    page: ContactPage
    cells: dict[int, ExportCell]
    counts: Counts
    # How many match the current filter (at most COUNT_LIMIT), for "select all N matching".
    matching: int


def filtered_page(
    viewer: User,
    flt: ListFilter,
    org_id: str | None,
    sort: Sort = Sort.NEWEST,
    after: Cursor | None = None,
    before: Cursor | None = None,
    page_size: int = contacts.PAGE_SIZE,
) -> FilteredPage:
    """One keyset page of the filtered contacts, their export cells and the filter counts.

    Three queries whatever the account's size (four for a search with more matches than
    the cap): the page (met_by joined), the cells of its rows, and the capped counts (which
    also give the page's total)."""
    counts = filter_counts(viewer, flt)
    name = flt.state or "all"
    matching = counts[name]
    page = contacts.keyset_page(
        filtered_contacts(viewer, flt),
        matching,
        name in counts.capped,
        sort,
        after,
        before,
        page_size,
    )
    cells = export_cells([c.id for c in page.contacts], org_id)
    return FilteredPage(page, cells, counts, matching)


def newest_contact_id() -> int:
    """The page remembers this; contacts with a higher id arrived after it was rendered."""
    return db.session.scalar(sa.select(sa.func.max(Contact.id))) or 0


def new_contacts_count(viewer: User, since: int) -> int:
    return db.session.scalar(
        contacts.visible_contacts(viewer)
        .where(Contact.id > since)
        .with_only_columns(sa.func.count(Contact.id))
        .order_by(None)
    )


# --- progress of pushes -------------------------------------------------------------


class _Counted:
    """Item counts by state, and what a progress display derives from them."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.get(s.value, 0) for s in ExportState)

    @property
    def unsettled(self) -> int:
        return sum(self.counts.get(s, 0) for s in UNSETTLED_VALUES)

    @property
    def done(self) -> int:
        return self.total - self.unsettled

    @property
    def finished(self) -> bool:
        return self.unsettled == 0

    @property
    def waiting(self) -> int:
        return self.counts.get(ExportState.WAITING.value, 0)

    def count(self, state: str) -> int:
        return self.counts.get(state, 0)

    @property
    def token(self) -> str:
        keys = ("exported", "duplicate", "failed", "skipped", "waiting")
        return ".".join(str(self.counts.get(k, 0)) for k in keys) + f".{self.done}.{self.total}"


@dataclass
class PushBar(_Counted):
    push: Push
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def automatic(self) -> bool:
        return self.push.kind == PushKind.AUTOMATIC.value

    @property
    def token(self) -> str:
        mail = ".m" if self.push.mail_failed_at else ""  # a mail given up redraws the bar
        return super().token + mail


@dataclass
class AutoLine(_Counted):
    """Every undismissed automatic push (one per few new contacts) as one line."""

    counts: dict[str, int]
    newest_push_id: int

    @property
    def token(self) -> str:
        return f"{self.newest_push_id}.{super().token}"


@dataclass
class Progress:
    """What shows above the table: the automatic line, a few manual bars, the rest folded."""

    auto: AutoLine | None
    bars: list[PushBar]
    collapsed: list[PushBar]

    @property
    def all_bars(self) -> list[PushBar]:
        return self.bars + self.collapsed

    @property
    def active(self) -> bool:
        return any(not b.finished for b in self.all_bars) or bool(
            self.auto and not self.auto.finished
        )

    @property
    def auto_token(self) -> str:
        return self.auto.token if self.auto else ""


def _bars(pushes: list[Push]) -> list[PushBar]:
    counts = states.counts_of_pushes([p.id for p in pushes])
    return [PushBar(p, counts[p.id]) for p in pushes]


def _shown_pushes(viewer: User) -> sa.Select:
    return visible_pushes(viewer).where(Push.dismissed_at.is_(None))


def auto_line(viewer: User) -> AutoLine | None:
    """One grouped query over the newest undismissed automatic pushes the viewer may see."""
    window = (
        _shown_pushes(viewer)
        .where(Push.kind == PushKind.AUTOMATIC.value)
        .with_only_columns(Push.id)
        .order_by(Push.id.desc())
        .limit(AUTO_WINDOW)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(PushItem.state, sa.func.count(), sa.func.max(PushItem.push_id))
        .where(PushItem.push_id.in_(sa.select(window.c.id)))
        .group_by(PushItem.state)
    ).all()
    if not rows:
        return None
    return AutoLine({state: n for state, n, _ in rows}, max(newest for *_, newest in rows))


def progress_bars(viewer: User) -> Progress:
    """The automatic line and the newest manual pushes not dismissed: three queries."""
    pushes = list(
        db.session.scalars(
            _shown_pushes(viewer)
            .where(Push.kind != PushKind.AUTOMATIC.value)
            .options(joinedload(Push.started_by))
            .order_by(Push.id.desc())
            .limit(MAX_BARS + MAX_COLLAPSED)
        )
    )
    bars = _bars(pushes)
    return Progress(auto_line(viewer), bars[:MAX_BARS], bars[MAX_BARS:])


def push_bar(push: Push) -> PushBar:
    return _bars([push])[0]


def dismiss_automatic(viewer: User, up_to: int) -> int:
    """Dismiss the automatic pushes the line summed up (those started later stay)."""
    ids = list(
        db.session.scalars(
            _shown_pushes(viewer)
            .where(Push.kind == PushKind.AUTOMATIC.value, Push.id <= up_to)
            .with_only_columns(Push.id)
        )
    )
    if ids:
        db.session.execute(sa.update(Push).where(Push.id.in_(ids)).values(dismissed_at=utcnow()))
    return len(ids)


def dismiss_finished(viewer: User) -> int:
    """Dismiss every finished manual push the viewer sees (the folded list's button)."""
    ids = list(
        db.session.scalars(
            _shown_pushes(viewer)
            .where(Push.kind != PushKind.AUTOMATIC.value, Push.status == PushStatus.FINISHED.value)
            .with_only_columns(Push.id)
        )
    )
    if ids:
        db.session.execute(sa.update(Push).where(Push.id.in_(ids)).values(dismissed_at=utcnow()))
    return len(ids)


# --- the push dialog ------------------------------------------------------------------


# The forecast reads the contacts to send this many rows at a time.
FORECAST_CHUNK = 1000


@dataclass
class Forecast:
    """What a push of a selection will do, computed before it starts."""

    selected: int  # contacts in the push (at most the limit)
    matching: int  # contacts the selection matched (may exceed the limit)
    limit: int
    already_exported: int
    being_pushed: int
    # reason code -> how many the engine fails before any API call (missing_company, ...)
    failing: dict[str, int] = field(default_factory=dict)
    # the same e-mail as an earlier contact of the push: never created twice
    same_email: int = 0

    @property
    def capped(self) -> bool:
        return self.matching > self.limit

    @property
    def will_fail(self) -> int:
        return sum(self.failing.values())

    @property
    def to_send(self) -> int:
        return (
            self.selected
            - self.already_exported
            - self.being_pushed
            - self.will_fail
            - self.same_email
        )


def capped_selection(selection: sa.Select, limit: int) -> sa.Select:
    """The ids a push of `selection` takes: the same order and limit start_manual_push uses."""
    return selection.with_only_columns(Contact.id).order_by(Contact.id).limit(limit)


def forecast(
    selection: sa.Select,
    org_id: str | None,
    limit: int,
    target: str = "Lead",
    describe: dict | None = None,
) -> Forecast:
    """Skip counts as create_push will decide them (already in this org / in another
    unsettled push): one grouped query plus a capped count. The rest go through the engine's
    own checks before any API call (mapping.precheck, the same e-mail twice), read in chunks
    of the columns those checks use."""
    matching = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            selection.with_only_columns(Contact.id).order_by(None).limit(limit + 1).subquery()
        )
    )
    ids = capped_selection(selection, limit).subquery()
    exported_here = sa.and_(
        ContactExport.state == ExportState.EXPORTED.value,
        sa.true() if org_id is None else ContactExport.org_id == org_id,
    )
    kind = sa.case(
        (ContactExport.state.in_(list(UNSETTLED_VALUES)), "being_pushed"),
        (exported_here, "already_exported"),
        else_="send",
    )
    rows = db.session.execute(
        sa.select(kind, sa.func.count())
        .select_from(ids)
        .outerjoin(ContactExport, ContactExport.contact_id == ids.c.id)
        .group_by(kind)
    )
    by_kind = dict(rows.all())
    failing, same_email = _prechecked(ids, kind, target, describe or {})
    return Forecast(
        selected=sum(by_kind.values()),
        matching=matching,
        limit=limit,
        already_exported=by_kind.get("already_exported", 0),
        being_pushed=by_kind.get("being_pushed", 0),
        failing=failing,
        same_email=same_email,
    )


def _prechecked(ids, kind, target: str, describe: dict) -> tuple[dict[str, int], int]:
    names = list(mapping.FIELD_MAP[target])
    to_send = (
        sa.select(ids.c.id)
        .select_from(ids)
        .outerjoin(ContactExport, ContactExport.contact_id == ids.c.id)
        .where(kind == "send")
    )
    query = (
        sa.select(Contact.email, *(getattr(Contact, name) for name in names))
        .where(Contact.id.in_(to_send))
        .order_by(Contact.id)  # the push's order: the first of two same e-mails is sent
        .execution_options(yield_per=FORECAST_CHUNK)
    )
    failing: dict[str, int] = {}
    seen: set[str] = set()
    same_email = 0
    for email, *values in db.session.execute(query):
        failure = mapping.precheck(dict(zip(names, values, strict=True)), target, describe)
        if failure is not None:
            failing[failure.code] = failing.get(failure.code, 0) + 1
            continue
        key = mapping.email_key(email)
        if key and key in seen:
            same_email += 1
        elif key:
            seen.add(key)
    return failing, same_email


def cached_describe(account_id: int, org_id: str | None, target: str) -> dict:
    """The org's field facts the engine checks lengths against (empty before any connect)."""
    cached = db.session.scalar(
        sa.select(OrgDescribe.fields).where(
            OrgDescribe.account_id == account_id,
            OrgDescribe.org_id == org_id,
            OrgDescribe.sobject == target,
        )
    )
    return cached or {}


# --- the live poll ----------------------------------------------------------------------

# A page shows at most 50 rows and MAX_BARS + MAX_COLLAPSED bars; anything beyond is ignored.
MAX_WATCHED = 200


@dataclass
class PollAnswer:
    cells: list[ExportCell]
    changed_bars: list[PushBar]
    # The whole progress region, when a push appeared that the page does not show.
    progress: Progress | None
    # The automatic line, when it differs from what the page shows.
    auto: Progress | None
    # The new count when it differs from what the page shows, else None.
    new_contacts: int | None
    # Something shown (or newly started) is still unsettled: keep polling every 2 s.
    active: bool

    @property
    def empty(self) -> bool:
        return (
            not (self.cells or self.changed_bars or self.progress or self.auto)
            and self.new_contacts is None
        )


def parse_tokens(values: list[str]) -> dict[int, str]:
    """ "<id>:<token>" pairs sent by the page; anything malformed is dropped."""
    tokens: dict[int, str] = {}
    for value in values[:MAX_WATCHED]:
        key, _, token = value.partition(":")
        if whole_number(key) is not None and len(token) < 64:
            tokens[int(key)] = token
    return tokens


def poll(
    viewer: User,
    org_id: str | None,
    shown_cells: dict[int, str],
    shown_bars: dict[int, str],
    since: int | None,
    shown_new: int,
    shown_auto: str = "",
) -> PollAnswer:
    """Compare what the page shows with the database; a bounded number of queries."""
    cells = visible_cells(viewer, list(shown_cells), org_id)
    changed = [cell for cid, cell in cells.items() if cell.token != shown_cells.get(cid)]
    progress = progress_bars(viewer)
    bars = progress.all_bars
    changed_bars = [b for b in bars if b.push.id in shown_bars and b.token != shown_bars[b.push.id]]
    # A push started elsewhere: the region is drawn again (which bars show, which fold).
    started = any(b.push.id not in shown_bars and not b.finished for b in bars)
    new_count = new_contacts_count(viewer, since) if since is not None else 0
    active = any(c.unsettled for c in cells.values()) or progress.active
    return PollAnswer(
        cells=changed,
        changed_bars=[] if started else changed_bars,
        progress=progress if started else None,
        auto=progress if not started and progress.auto_token != shown_auto else None,
        new_contacts=new_count if new_count != shown_new else None,
        active=active,
    )
