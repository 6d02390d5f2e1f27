"""Delivery of jobs with Huey, embedded (SQLite) or distributed (Redis), one code path.

Why Huey, and why a table beside it:

- Huey runs the same task code on a SQLite file (embedded: consumer threads inside
  `callscope serve`, nothing else to start) and on Redis (`callscope worker` processes on
  any number of machines), with a thread or process pool per worker and delayed tasks.
  Celery and Dramatiq have no SQLite broker; RQ has no embedded mode.
- Huey takes a message off its queue when a worker starts it, so a `kill -9` mid-task
  loses that message, and Redis here may keep nothing on disk. So Huey only *delivers*: the
  `jobs` table holds each job's state (queued, running, done, failed, with attempts, reason
  and heartbeat), and a small dispatcher loop hands due queued jobs to Huey, puts back
  running jobs whose worker died (a dead pid on this host at once, others when their
  heartbeat is older than the lease), and re-sends queued jobs whose message was lost
  (Huey's queue is empty but the job has waited longer than the lease). A message that
  arrives twice is harmless: the conditional claim in jobs/service.py runs a job once.
- Each queue is its own Huey instance, so a GPU machine runs `callscope worker --queue
  speech` and takes only speech jobs. Retries with backoff are the table's `run_after`,
  not Huey's retry counter, so they survive a lost message too.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from sqlalchemy.orm import Session, sessionmaker

from callscope.config import Settings
from callscope.db.base import utcnow
from callscope.jobs import service

log = logging.getLogger("callscope.jobs")

QUEUES = ("speech", "text")  # transcription (GPU-friendly), then categories and insights
TASK = "callscope.run_job"


def make_huey(settings: Settings, queue: str) -> Huey:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r} (known: {', '.join(QUEUES)})")
    name = f"{settings.redis_prefix}-{queue}"
    if settings.jobs_backend == "redis":
        if settings.redis_url is None:
            raise ValueError("CALLSCOPE_JOBS_BACKEND=redis needs CALLSCOPE_REDIS_URL")
        return RedisHuey(name, url=settings.redis_url.get_secret_value(), results=False)
    path = Path(settings.data_dir) / "jobs.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


Handler = Callable[[int], None]


class Queues:
    """The Huey instances, with the one task registered on each; `handlers` run a job id."""

    def __init__(self, settings: Settings, queues: tuple[str, ...] = QUEUES) -> None:
        self.settings = settings
        self.hueys: dict[str, Huey] = {}
        self.tasks: dict[str, Any] = {}
        self.handlers: dict[str, Handler] = {}
        for queue in queues:
            huey = make_huey(settings, queue)
            self.hueys[queue] = huey
            self.tasks[queue] = huey.task(name=TASK)(self._runner(queue))

    def _runner(self, queue: str) -> Handler:
        def run(job_id: int) -> None:
            handler = self.handlers.get(queue)
            if handler is None:
                raise RuntimeError(f"a {queue} job reached a process with no {queue} handler")
            handler(job_id)

        return run

    def send(self, queue: str, job_id: int) -> None:
        self.tasks[queue](job_id)

    def pending(self, queue: str) -> int:
        return int(self.hueys[queue].pending_count())

    def close(self) -> None:
        for huey in self.hueys.values():
            with contextlib.suppress(Exception):  # closing on shutdown: nothing left to do
                huey.storage.close()


class Dispatcher:
    """Hands due jobs from the table to Huey and recovers jobs of dead workers."""

    def __init__(self, maker: sessionmaker[Session], queues: Queues) -> None:
        self.maker = maker
        self.queues = queues
        self.settings = queues.settings
        self.lease = timedelta(seconds=self.settings.jobs_lease_seconds)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass; the number of jobs handed to Huey."""
        names = tuple(self.queues.hueys)
        sent = 0
        with self.maker() as session:
            recovered = service.recover(session, names, self.lease)
            if recovered:
                log.warning("%s jobs of stopped workers put back in the queue", recovered)
            for queue in names:
                lost_before = None
                if self.queues.pending(queue) == 0:
                    lost_before = utcnow() - self.lease
                ids = service.due(session, (queue,), lost_before, 500)
                for job_id in ids:
                    self.queues.send(queue, job_id)
                if ids:
                    service.mark_sent(session, ids)
                sent += len(ids)
        return sent

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="callscope-jobs", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("job dispatch failed; trying again")
            self._wake.wait(self.settings.jobs_sweep_seconds)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class QuietConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without signal handlers, for threads inside `callscope serve`."""

    def _set_signal_handlers(self) -> None:
        pass


class Heartbeats:
    """Keeps `heartbeat_at` fresh for the jobs this process is running."""

    def __init__(self, maker: sessionmaker[Session], worker: str, every: float) -> None:
        self.maker = maker
        self.worker = worker
        self.every = every
        self.running: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="callscope-heartbeat", daemon=True)
        self._thread.start()

    def add(self, job_id: int) -> None:
        with self._lock:
            self.running.add(job_id)

    def remove(self, job_id: int) -> None:
        with self._lock:
            self.running.discard(job_id)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                ids = sorted(self.running)
            try:
                with self.maker() as session:
                    service.heartbeat(session, ids, self.worker)
            except Exception:
                log.exception("heartbeat failed")

    def stop(self) -> None:
        self._stop.set()


def wait_for(maker: sessionmaker[Session], job_ids: list[int], timeout: float) -> bool:
    """Block until the jobs are done or failed (tests and `reanalyze --wait`)."""
    from sqlalchemy import select

    from callscope.jobs.models import Job, JobState

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with maker() as session:
            left = session.scalar(
                select(Job.id)
                .where(
                    Job.id.in_(job_ids),
                    Job.state.in_([JobState.queued.value, JobState.running.value]),
                )
                .limit(1)
            )
        if left is None:
            return True
        time.sleep(0.2)
    return False
