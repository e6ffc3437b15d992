"""While a batch job runs, a thread touches its "pushing" items. The sweeper takes back items
whose heartbeat stopped (a killed worker) within minutes, not after the whole job timeout."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask
from flask import current_app

from lemontaps.extensions import db
from lemontaps.models import ExportState
from lemontaps.models import PushItem
from lemontaps.models import utcnow

log = logging.getLogger(__name__)

BEATS_PER_GRACE = 4  # three beats may be late (a busy database) before items count as stuck


def heartbeat_interval(app: Flask) -> float:
    return max(app.config["PUSH_STUCK_GRACE_SECONDS"] / BEATS_PER_GRACE, 0.5)


@contextmanager
def item_heartbeat(item_ids: list[int]) -> Iterator[None]:
    app = current_app._get_current_object()
    if not app.extensions["rq"].is_async:
        # Inline jobs (unit tests) run in the caller's transaction: nothing can be stuck,
        # and an in-memory database has one connection, which a thread must not share.
        yield
        return
    stop = threading.Event()
    beat = threading.Thread(
        target=_beat, args=(app, list(item_ids), stop), daemon=True, name="heartbeat"
    )
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join(5)


def _beat(app: Flask, item_ids: list[int], stop: threading.Event) -> None:
    while not stop.wait(heartbeat_interval(app)):
        with app.app_context():
            try:
                db.session.execute(
                    sa.update(PushItem)
                    .where(PushItem.id.in_(item_ids), PushItem.state == ExportState.PUSHING.value)
                    .values(updated_at=utcnow())
                )
                db.session.commit()
            except sa.exc.OperationalError:  # a busy database: the next beat tries again
                log.warning("heartbeat of %d items failed", len(item_ids), exc_info=True)
                db.session.rollback()
            finally:
                db.session.remove()
