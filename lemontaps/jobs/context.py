"""Database hygiene for jobs: a fresh connection pool after fork, a clean session after."""

import os
from contextlib import contextmanager

from lemontaps.extensions import db

_pool_pid = {"pid": os.getpid()}


@contextmanager
def job_session():
    # The work horse is a fork of the worker: pooled connections must not cross it
    # (SQLAlchemy: dispose(close=False) in the child leaves the parent's connections alone).
    if _pool_pid["pid"] != os.getpid():
        db.engine.dispose(close=False)
        _pool_pid["pid"] = os.getpid()
    try:
        yield
    except Exception:
        db.session.rollback()
        raise
    finally:
        if os.environ.get("LEMONTAPS_WORKER") == "1":
            db.session.remove()  # inline (tests) the caller's session stays usable
