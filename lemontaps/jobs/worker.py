"""`flask --app wsgi worker`: an RQ worker (JSON serializer, named queues) plus the sweeper."""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask
from rq import Worker
from rq import get_current_job
from rq.serializers import JSONSerializer

from lemontaps.queueing import QUEUES

log = logging.getLogger(__name__)

# SQLite keeps its lock bookkeeping in process memory. A work horse forked while the sweeper
# thread is inside a transaction inherits "this process holds the write lock" with no thread
# left to release it: every write of the horse then ends on "database is locked". The sweeper
# holds this lock for each round, and the worker forks only while no round runs.
FORK_LOCK = threading.Lock()


class SweepingWorker(Worker):
    def fork_work_horse(self, job, queue) -> None:
        with FORK_LOCK:
            super().fork_work_horse(job, queue)


class JobIdFilter(logging.Filter):
    """Every log record names the job it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job_id = job.id if job else "-"
        return True


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(JobIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [job %(job_id)s] %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def run_worker(app: Flask, queues: list[str], burst: bool = False, sweeper: bool = True) -> None:
    os.environ["LEMONTAPS_WORKER"] = "1"
    configure_logging()
    state = app.extensions["rq"]
    stop = threading.Event()
    if sweeper:
        threading.Thread(
            target=_sweep_forever, args=(app, stop), daemon=True, name="sweeper"
        ).start()
    worker = SweepingWorker(
        [state.queues[name] for name in (queues or QUEUES)],
        connection=state.connection,
        serializer=JSONSerializer,
    )
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        stop.set()


def _sweep_forever(app: Flask, stop: threading.Event) -> None:
    from lemontaps.extensions import db
    from lemontaps.jobs.sweeper import sweep

    # The first round at start: a worker started after a crash takes back its work at once.
    while True:
        with FORK_LOCK, app.app_context():
            try:
                stats = sweep()
                if any(stats.values()):
                    log.info("sweeper: %s", stats)
            except Exception:  # noqa: BLE001  keep sweeping; the next round may succeed
                log.exception("sweeper failed")
                db.session.rollback()
            finally:
                db.session.remove()
        if stop.wait(app.config["SWEEP_INTERVAL_SECONDS"]):
            return
