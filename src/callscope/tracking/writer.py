"""Group commit for the tracking writes: one writer thread, many visits a transaction.

The tracking endpoints queue their writes for one thread per process. It takes whatever has queued up (up to `max_batch`), runs each in turn in one
transaction and commits once, then answers every request in the batch. Each request still
gets its answer only after its write is committed; what is saved is the per-transaction
cost (BEGIN, COMMIT and its WAL flush, a session) and a thread hand-off per request. On
SQLite it also replaces the sleeping busy handler as the queue for the one write lock; on
PostgreSQL, API processes on several machines still meet in row locks as before.

An action that refuses (raises Problem, e.g. an expired session's ping) must do so before
it writes, as the Tracker does; any other error rolls the batch back, and each action is
then run alone so that one bad write fails only its own request. Before the actions run,
the reads they will make can be made for all of them in one statement (a read-ahead: the
sessions a batch of pings looks up, one SELECT instead of sixteen). An action may answer
with a `later.Answer` (a new session's number is picked with the batch's others, just
before the commit): it is read once the batch has committed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from callscope.api.problems import Problem
from callscope.tracking.later import result

T = TypeVar("T")
log = logging.getLogger("callscope.tracking")

# Reads a batch's actions will make, made for all of them at once before they run.
ReadAhead = Callable[[Session, list[Any]], None]
_Job = tuple[
    Callable[[Session], Any],
    "asyncio.Future[Any]",
    asyncio.AbstractEventLoop,
    tuple[ReadAhead, Any] | None,
]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return  # the client went away; its write stands
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class BatchWriter:
    def __init__(self, maker: sessionmaker[Session], max_batch: int = 16) -> None:
        self.maker = maker
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._started = threading.Lock()
        self._thread: threading.Thread | None = None

    async def run(
        self, action: Callable[[Session], T], ahead: tuple[ReadAhead, Any] | None = None
    ) -> T:
        """Run `action` in the next batch; `ahead` (a read-ahead and what it should read)
        lets the batch make one read for the items of all its actions (`_read_ahead`)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._start()
        self._queue.put((action, future, loop, ahead))
        return await future

    def _start(self) -> None:
        with self._started:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="callscope-tracking-writer", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for (_, future, loop, _), (ok, value) in zip(batch, self._run(batch), strict=True):
                loop.call_soon_threadsafe(_settle, future, ok, value)

    def _run(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.maker() as db:
                _read_ahead(db, batch)
                for action, _, _, _ in batch:
                    try:
                        outcomes.append((True, action(db)))
                    except Problem as exc:
                        outcomes.append((False, exc))
                db.commit()
        except Exception:
            if len(batch) == 1:
                log.exception("tracking write failed")
                return [(False, RuntimeError("tracking write failed"))]
            return [self._run([job])[0] for job in batch]
        return [_read(ok, value) for ok, value in outcomes]


def _read_ahead(db: Session, batch: list[_Job]) -> None:
    """Call each read-ahead once with the items of all the batch's actions that named it."""
    wanted: dict[ReadAhead, list[Any]] = {}
    for *_, ahead in batch:
        if ahead is not None:
            wanted.setdefault(ahead[0], []).append(ahead[1])
    for read, items in wanted.items():
        read(db, items)


def _read(ok: bool, value: Any) -> tuple[bool, Any]:
    """A committed action's outcome, its `Answer` read (a failure here fails only it)."""
    if not ok:
        return ok, value
    try:
        return True, result(value)
    except Exception:
        log.exception("tracking answer failed")
        return False, RuntimeError("tracking answer failed")
