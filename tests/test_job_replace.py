"""Replacing the started job of a killed worker (the sweeper's re-enqueue of its batch)."""

from rq.job import Job
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from lemontaps.queueing import EXPORTS
from lemontaps.queueing import enqueue

RAN = []


def note_run(label: str) -> None:
    RAN.append(label)


def test_a_killed_worker_s_started_job_is_replaced_after_its_execution_expired(app):
    connection = app.extensions["rq"].connection
    killed = Job.create(
        note_run,
        args=["killed"],
        id="push-7-101",
        connection=connection,
        serializer=JSONSerializer,
        origin=EXPORTS,
    )
    killed.set_status(JobStatus.STARTED)
    killed.save()
    # The execution record expires once its worker stops beating; its registry entry stays.
    connection.zadd(killed.execution_registry.key, {"gone-execution": 9_999_999_999})
    RAN.clear()

    assert enqueue(EXPORTS, note_run, "again", job_id="push-7-101") is None  # still "started"
    assert enqueue(EXPORTS, note_run, "again", job_id="push-7-101", replace_live=True)
    assert RAN == ["again"]
