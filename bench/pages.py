"""Contact-table page times at 1x, 10x and 100x contacts, and SQL statements to start a push,
on SQLite and (with BENCH_DATABASE_URL or TEST_DATABASE_URL) PostgreSQL, in one run.

The goal (issue 18): a page at 100x within 2x of its time at 1x; starting a push takes the
same number of SQL statements for 10x contacts as for 1x. Ratios, not absolute times, are the
result: machines here are shared and noisy.

    python -m bench.pages --base 1000            # 1k, 10k, 100k contacts
    python -m bench.pages --base 1000 --markdown BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from config import TestingConfig
from lemontaps import create_app
from lemontaps.extensions import db
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import PushKind
from lemontaps.models import utcnow
from lemontaps.pushes import states
from tests.helpers import PASSWORD
from tests.helpers import contact_row
from tests.helpers import make_account

PAGES = {
    "first page": "/contacts/",
    "deep page": None,  # a cursor half-way down, filled in per size
    "search, common term": "/contacts/?q=firma",
    "search, rare term": "/contacts/?q=m%C3%BCller",
    **{
        f"state: {s}": f"/contacts/?state={s}"
        for s in ("not_exported", "in_progress", "waiting", "exported", "failed", "duplicate")
    },
}
# Of every 100 contacts: how many are in each export state (the rest never pushed). Each
# state fills a whole page at 1,000 contacts, so every size renders the same 50 rows.
STATE_MIX = {"exported": 30, "failed": 6, "duplicate": 6, "queued": 6, "waiting": 6}
# The rare term matches these few contacts at every size (the same rows to render).
RARE = {7, 507, 907}
CHUNK = 5_000


def _contact(i: int, account_id: int, user_id: int, now) -> dict:
    last = "Müller" if i in RARE else ""
    return contact_row(i, account_id, user_id, now, last_name=last, days=365)


def _state_of(i: int) -> str | None:
    slot, edge = i % 100, 0
    for state, share in STATE_MIX.items():
        edge += share
        if slot < edge:
            return state
    return None


def grow(account_id: int, user_id: int, push_id: int, start: int, stop: int) -> None:
    """Contacts start..stop, with their export states: Core executemany in chunks."""
    now = utcnow()
    for low in range(start, stop, CHUNK):
        high = min(low + CHUNK, stop)
        before = db.session.scalar(sa.select(sa.func.max(Contact.id))) or 0
        db.session.execute(
            sa.insert(Contact.__table__),
            [_contact(i, account_id, user_id, now) for i in range(low, high)],
        )
        ids = list(
            db.session.scalars(
                sa.select(Contact.id).where(Contact.id > before).order_by(Contact.id)
            )
        )
        items, exports = [], []
        for i, contact_id in zip(range(low, high), ids, strict=True):
            state = _state_of(i)
            if state is None:
                continue
            items.append(
                {
                    "push_id": push_id,
                    "account_id": account_id,
                    "contact_id": contact_id,
                    "contact_label": f"Vorname{i}",
                    "state": state,
                    "details": {},
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(sa.insert(PushItem.__table__), items)
        for item_id, contact_id, state in db.session.execute(
            sa.select(PushItem.id, PushItem.contact_id, PushItem.state).where(
                PushItem.contact_id.in_(ids)
            )
        ):
            exports.append(
                {
                    "contact_id": contact_id,
                    "account_id": account_id,
                    "state": state,
                    "item_id": item_id,
                    "org_id": "00D000000000001AAA" if state == "exported" else None,
                    "updated_at": now,
                }
            )
        if exports:
            db.session.execute(sa.insert(ContactExport.__table__), exports)
        db.session.commit()
    with db.engine.connect() as connection:  # as autovacuum would after a big import
        connection.execute(sa.text("ANALYZE"))
        connection.commit()


def page_time(client, path: str, runs: int) -> float:
    """Median seconds of `runs` requests after one warm-up."""
    client.get(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


def push_statements(account_id: int, admin, size: int) -> tuple[int, float]:
    """SQL statements and seconds to record a push of `size` contacts (rolled back)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    chosen = (
        sa.select(Contact).where(Contact.account_id == account_id).order_by(Contact.id).limit(size)
    )
    sa.event.listen(db.engine, "before_cursor_execute", record)
    started = time.perf_counter()
    try:
        states.record_push(account_id, chosen, "Lead", admin, PushKind.MANUAL, "00D0000BENCH")
    finally:
        elapsed = time.perf_counter() - started
        sa.event.remove(db.engine, "before_cursor_execute", record)
        db.session.rollback()
    return len(statements), elapsed


def _database_of(url: str) -> str:
    """A database of the bench's own beside the given one (it is emptied each run)."""
    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_bench"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def run(backend: str, url: str, sizes: list[int], runs: int) -> dict:
    config = type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    result: dict = {"backend": backend, "sizes": sizes, "pages": {}, "push": {}}
    with app.app_context():
        _migrate(app)
        account = make_account(app, "Bench AG", "admin@acme.test")
        admin = account.users[0]
        push = Push(account_id=account.id, kind=PushKind.MANUAL.value, target_object="Lead")
        db.session.add(push)
        db.session.commit()
        client = app.test_client()
        client.post("/auth/login", data={"email": "admin@acme.test", "password": PASSWORD})
        have = 0
        for size in sizes:
            grow(account.id, admin.id, push.id, have, size)
            have = size
            middle = db.session.execute(
                sa.select(Contact.met_on, Contact.id)
                .where(Contact.account_id == account.id)
                .order_by(Contact.met_on.desc(), Contact.id.desc())
                .offset(size // 2)
                .limit(1)
            ).one()
            for name, path in PAGES.items():
                path = path or f"/contacts/?after={middle[0].isoformat()}_{middle[1]}"
                result["pages"].setdefault(name, {})[size] = page_time(client, path, runs)
        # At the largest size: a push of 1x and of 10x contacts (after one that loads what
        # any first push loads once).
        push_statements(account.id, admin, 1)
        for pushed in sizes[:2]:
            result["push"][pushed] = push_statements(account.id, admin, pushed)
        db.session.remove()
        db.engine.dispose()
    return result


def _migrate(app) -> None:
    """The schema as the migrations build it (with the indexes only they make)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def report(results: list[dict], command: str) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}  ",
        "Median of several requests after a warm-up; ratios matter, absolute times are noisy.",
        "",
    ]
    for res in results:
        small, large = res["sizes"][0], res["sizes"][-1]
        lines += [
            f"## {res['backend']}: contact table pages (goal: {large:,} within 2x of {small:,})",
            "",
            "| page | " + " | ".join(f"{s:,} ms" for s in res["sizes"]) + " | ratio | goal |",
            "|---|" + "---:|" * len(res["sizes"]) + "---:|---|",
        ]
        for name, by_size in res["pages"].items():
            ratio = by_size[large] / by_size[small]
            figures = " | ".join(f"{by_size[s] * 1000:.1f}" for s in res["sizes"])
            verdict = "met" if ratio <= 2 else "**not met**"
            lines.append(f"| {name} | {figures} | {ratio:.2f}x | <= 2x: {verdict} |")
        lines += ["", f"### {res['backend']}: starting a push (goal: same statements at any size)"]
        lines += ["", "| contacts | SQL statements | ms |", "|---:|---:|---:|"]
        for pushed, (count, seconds) in sorted(res["push"].items()):
            lines.append(f"| {pushed:,} | {count} | {seconds * 1000:.0f} |")
        counts = {count for count, _ in res["push"].values()}
        lines += ["", "Constant: " + ("met" if len(counts) == 1 else "**not met**"), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=1000, help="smallest size (then 10x, 100x)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", help="write the report to this file too")
    args = parser.parse_args()
    sizes = [args.base, args.base * 10, args.base * 100]
    workdir = Path(tempfile.mkdtemp(prefix="lemontaps-bench-pages-"))
    backends = [("SQLite", f"sqlite:///{workdir / 'pages.sqlite'}")]
    pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if pg:
        backends.append(("PostgreSQL", _database_of(pg)))
    results = [run(name, url, sizes, args.runs) for name, url in backends]
    command = f"python -m bench.pages --base {args.base}"
    text = report(results, command)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")


if __name__ == "__main__":
    main()
