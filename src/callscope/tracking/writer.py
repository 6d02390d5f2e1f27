"""Group commit for the tracking writes: one writer thread, many visits a transaction.

The tracking endpoints queue their writes for one thread per process. It takes whatever has queued up (up to `max_batch`), runs each in turn in one
transaction and commits once, then answers every request in the batch. Each request still
gets its answer only after its write is committed; what is saved is the per-transaction
cost (BEGIN, COMMIT and its WAL flush, a session) and a thread hand-off per request. On
SQLite it also replaces the sleeping busy handler as the queue for the one write lock; on
PostgreSQL, API processes on several machines still meet in row locks as before.

An action that refuses (raises Problem, e.g. an expired session's ping) must do so before
it writes, as the Tracker does; any other error rolls the batch back, and each action is
then run alone so that one bad write fails only its own request.
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

T = TypeVar("T")
log = logging.getLogger("callscope.tracking")

_Job = tuple[Callable[[Session], Any], "asyncio.Future[Any]", asyncio.AbstractEventLoop]


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

    async def run(self, action: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._start()
        self._queue.put((action, future, loop))
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
            for (_, future, loop), (ok, value) in zip(batch, self._run(batch), strict=True):
                loop.call_soon_threadsafe(_settle, future, ok, value)

    def _run(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.maker() as db:
                for action, _, _ in batch:
                    try:
                        outcomes.append((True, action(db)))
                    except Problem as exc:
                        outcomes.append((False, exc))
                db.commit()
            return outcomes
        except Exception:
            if len(batch) == 1:
                log.exception("tracking write failed")
                return [(False, RuntimeError("tracking write failed"))]
            return [self._run([job])[0] for job in batch]
