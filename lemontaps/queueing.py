"""RQ wiring: named queues, the JSON serializer, and enqueueing that honours RQ_IS_ASYNC.

Jobs take ids only (never ORM objects) and run inside the app context of the worker. A job
is named by its function or its dotted path; this package imports no service."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from flask import current_app
from redis import Redis
from rq import Callback
from rq import Queue
from rq import Retry
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer
from rq.utils import import_attribute

EXPORTS = "exports"
EMAILS = "emails"
QUEUES = (EXPORTS, EMAILS)

log = logging.getLogger(__name__)


def init_rq(app: Flask) -> None:
    app.extensions["rq"] = RqState(app)


class RqState:
    def __init__(self, app: Flask):
        self.is_async = app.config.get("RQ_IS_ASYNC", True)
        self.in_process = app.config.get("RQ_INPROCESS", False)
        if self.in_process:
            self.connection = None
            self.queues = {name: InProcessQueue(app) for name in QUEUES}
            return
        if self.is_async:
            self.connection = Redis.from_url(app.config["REDIS_URL"])
        else:
            import fakeredis  # tests: jobs run inline, at once

            self.connection = fakeredis.FakeRedis()
        self.queues = {
            name: Queue(
                name,
                connection=self.connection,
                is_async=self.is_async,
                serializer=JSONSerializer,
                default_timeout=app.config["PUSH_JOB_TIMEOUT"],
            )
            for name in QUEUES
        }


class InProcessJob:
    """What `enqueue` and a failure callback need to know of an in-process job."""

    def __init__(self, job_id: str, func_name: str, args: tuple, retries: int):
        self.id, self.func_name, self.args = job_id, func_name, args
        self.retries_left = retries
        self.status = "queued"

    @property
    def should_retry(self) -> bool:
        return self.retries_left > 0

    def get_status(self, refresh: bool = True) -> str:
        return self.status

    def delete(self) -> None:
        self.status = "deleted"


class InProcessQueue:
    """Demo without Redis: the same job functions on a thread of this process, retried and
    given up like RQ's (the failure callback runs after every failed attempt)."""

    def __init__(self, app: Flask):
        from concurrent.futures import ThreadPoolExecutor

        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
        self.jobs: dict[str, InProcessJob] = {}

    def fetch_job(self, job_id):
        return self.jobs.get(job_id)

    def enqueue_call(
        self, func, args=(), kwargs=None, job_id=None, retry=None, on_failure=None, **_options
    ):
        name = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
        target = import_attribute(name) if isinstance(func, str) else func
        job = InProcessJob(job_id or name, name, tuple(args), retry.max if retry else 0)
        intervals = list(retry.intervals) if retry else []
        if job_id:
            self.jobs[job_id] = job

        def run():
            job.status = "started"
            with self.app.app_context():
                try:
                    target(*args, **(kwargs or {}))
                except Exception as error:  # noqa: BLE001  retried, then given up
                    log.exception("in-process job %s failed", job.id)
                    if on_failure is not None:
                        callback = import_attribute(on_failure.name)
                        callback(job, None, type(error), error, error.__traceback__)
                    if job.should_retry:
                        delay = intervals[min(retry.max - job.retries_left, len(intervals) - 1)]
                        job.retries_left -= 1
                        job.status = "scheduled"
                        threading.Timer(delay, self.executor.submit, (run,)).start()
                    else:
                        job.status = "failed"
                    return
            job.status = "finished"

        self.executor.submit(run)
        return job


def get_queue(name: str) -> Queue:
    return current_app.extensions["rq"].queues[name]


LIVE_STATUSES = {"queued", "started", "deferred", "scheduled"}


def enqueue(
    queue: str,
    func,
    *args,
    job_id: str | None = None,
    replace_live: bool = False,
    keep_failed: bool = False,
    retry: Retry | None = None,
    on_failure: str | None = None,
    **kwargs,
) -> str | None:
    """Enqueue once: a job id that is queued or running is not added again; a finished or
    failed one with the same id is replaced (the database says there is work left).
    `replace_live` replaces even a "started" one: its worker was killed (RQ notices only at
    its next maintenance, minutes later). `keep_failed` leaves a failed job alone: it was
    given up after its retries and stays in RQ's failed registry for an admin to look at.
    `on_failure` is the dotted name of RQ's failure callback, called after every attempt."""
    q = get_queue(queue)
    if job_id is not None:
        existing = q.fetch_job(job_id)
        if existing is not None:
            status = existing.get_status(refresh=True)
            if status in LIVE_STATUSES and not replace_live:
                return None
            if keep_failed and status != "finished":
                return None
            _delete(existing)
    try:
        job = q.enqueue_call(
            func,
            args=args,
            kwargs=kwargs,
            job_id=job_id,
            unique=job_id is not None,
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
            retry=retry,
            on_failure=Callback(on_failure) if on_failure else None,
        )
    except DuplicateJobError:
        return None
    return job.id


def retry_intervals(value) -> list[int]:
    """MAIL_RETRY_INTERVALS: "60,300" from the environment, or a list."""
    if isinstance(value, str):
        value = value.replace(" ", "").split(",")
    elif isinstance(value, int):
        value = [value]
    return [int(v) for v in value if str(v).strip()]


def mail_retry() -> Retry | None:
    intervals = retry_intervals(current_app.config["MAIL_RETRY_INTERVALS"])
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def _delete(job) -> None:
    try:
        job.delete()
    except ValueError:
        # RQ cannot delete a started job whose worker was killed once its execution record
        # has expired ("Execution ... not found"); without its own key the id is free again.
        job.connection.delete(job.key)


def enqueue_safely(func, *args) -> None:
    """After a commit, tell Redis; if Redis is down the sweeper enqueues it later."""
    try:
        func(*args)
    except Exception:  # noqa: BLE001  Redis unreachable: the database still has the work
        log.warning("could not enqueue %s%r; the sweeper will", func.__name__, args, exc_info=True)
