"""Creating, claiming and finishing jobs: every state change is one conditional UPDATE.

A job is claimed with `UPDATE ... SET state='running' WHERE id=? AND state='queued'`, so a
message Huey delivers twice, or a job redelivered after a crash, runs once: the second
claim updates nothing and returns. A job's result and its `done` state are committed in one
transaction by the handler (see analysis/service.py), so a crash either keeps both or
neither, and a re-run replaces the result instead of adding a second one.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callscope.calls.models import Call, RecordingStatus
from callscope.db.base import utcnow
from callscope.jobs.models import Job, JobState

ANALYZE = "analyze"  # recording -> transcript
INSIGHTS = "insights"  # transcript -> category, sentiment, lead score ...
QUEUE_OF = {ANALYZE: "speech", INSIGHTS: "text"}
ERROR_CHARS = 1000


BOOT = secrets.token_hex(3)  # tells this process from an earlier one that had its pid


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{BOOT}"


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... up to an hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempt - 1)))


def _insert(session: Session) -> Any:
    table = cast(Table, Job.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def schedule_calls(session: Session, calls: Any, kind: str = ANALYZE) -> None:
    """A `kind` job for each call the select yields (call ids), unless it has one."""
    now = utcnow()
    source = select(
        Call.account_id,
        literal(kind),
        literal(QUEUE_OF[kind]),
        Call.id,
        literal(JobState.queued.value),
        literal(0),
        literal(now, Job.run_after.type),
        literal(now, Job.created_at.type),
        literal(now, Job.updated_at.type),
    ).where(Call.id.in_(calls), Call.recording_status == RecordingStatus.stored.value)
    columns = [
        "account_id", "kind", "queue", "call_id", "state", "attempts",
        "run_after", "created_at", "updated_at",
    ]  # fmt: skip
    statement = _insert(session).from_select(columns, source)
    session.execute(statement.on_conflict_do_nothing(index_elements=["kind", "call_id"]))


def schedule_insights(session: Session, call_ids: Sequence[int]) -> None:
    """Categorise these calls (again): their transcripts are new."""
    schedule_calls(session, call_ids, INSIGHTS)
    requeue(session, and_(Job.kind == INSIGHTS, Job.call_id.in_(call_ids)))


def requeue(session: Session, where: Any) -> int:
    """Put jobs matching `where` back in the queue now (retry, reanalyse); running ones stay."""
    values: dict[str, Any] = {
        "state": JobState.queued.value,
        "run_after": utcnow(),
        "enqueued_at": None,
        "error": None,
        "finished_at": None,
        "attempts": 0,
    }
    result = session.execute(
        update(Job).where(where, Job.state != JobState.running.value).values(**values)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim(session: Session, job_id: int, worker: str) -> Job | None:
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.queued.value, Job.run_after <= now)
        .values(
            state=JobState.running.value,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            worker=worker,
        )
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return session.get(Job, job_id, populate_existing=True)


def mine(job: Job, worker: str, attempts: int) -> Any:
    """The condition that this worker still owns this run of the job."""
    return and_(
        Job.id == job.id,
        Job.state == JobState.running.value,
        Job.worker == worker,
        Job.attempts == attempts,
    )


def finish(session: Session, job: Job, worker: str, attempts: int) -> bool:
    result = session.execute(
        update(Job)
        .where(mine(job, worker, attempts))
        .values(state=JobState.done.value, finished_at=utcnow(), error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail(
    session: Session,
    job: Job,
    worker: str,
    attempts: int,
    error: str,
    retry: bool,
    max_attempts: int,
) -> str:
    """Record a failed run: back to the queue after a pause, or failed for good."""
    again = retry and attempts < max_attempts
    now = utcnow()
    values: dict[str, Any] = {"error": error[:ERROR_CHARS], "enqueued_at": None}
    if again:
        values.update(state=JobState.queued.value, run_after=now + backoff(attempts))
    else:
        values.update(state=JobState.failed.value, finished_at=now)
    session.execute(update(Job).where(mine(job, worker, attempts)).values(**values))
    session.commit()
    return values["state"]  # type: ignore[no-any-return]


def heartbeat(session: Session, job_ids: Sequence[int], worker: str) -> None:
    if job_ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.worker == worker, Job.state == JobState.running.value)
            .values(heartbeat_at=utcnow())
        )
        session.commit()


def due(
    session: Session, queues: Iterable[str], redeliver_before: datetime | None, limit: int
) -> list[int]:
    """Queued jobs that are due and not yet handed to Huey (or whose message was lost)."""
    now = utcnow()
    sent: list[Any] = [Job.enqueued_at.is_(None)]
    if redeliver_before is not None:
        sent.append(Job.enqueued_at < redeliver_before)
    return list(
        session.scalars(
            select(Job.id)
            .where(
                Job.state == JobState.queued.value,
                Job.queue.in_(list(queues)),
                Job.run_after <= now,
                or_(*sent),
            )
            .order_by(Job.run_after, Job.id)
            .limit(limit)
        )
    )


def mark_sent(session: Session, job_ids: Sequence[int]) -> None:
    session.execute(update(Job).where(Job.id.in_(job_ids)).values(enqueued_at=utcnow()))
    session.commit()


def recover(session: Session, queues: Iterable[str], lease: timedelta) -> int:
    """Running jobs whose worker died: a dead pid on this host now, others after the lease."""
    host = socket.gethostname()
    stale = utcnow() - lease
    dead: list[int] = []
    rows = session.execute(
        select(Job.id, Job.worker, Job.heartbeat_at).where(
            Job.state == JobState.running.value, Job.queue.in_(list(queues))
        )
    ).all()
    for job_id, worker, beat in rows:
        name, pid, boot = ([*(worker or "").split(":"), "", "", ""])[:3]
        gone = name == host and pid.isdigit() and not _alive(int(pid), boot)
        if gone or beat is None or beat < stale:
            dead.append(job_id)
    if not dead:
        return 0
    result = session.execute(
        update(Job)
        .where(Job.id.in_(dead), Job.state == JobState.running.value)
        .values(
            state=JobState.queued.value,
            run_after=utcnow(),
            enqueued_at=None,
            error="the worker stopped during the run; retried",
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _alive(pid: int, boot: str) -> bool:
    if pid == os.getpid():
        return boot == BOOT
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
