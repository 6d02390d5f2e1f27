"""The in-process call worker: turns stored events into calls and fetches recordings.

Webhooks store their event and answer; then `kick()` runs the work in the background.
A sweep thread also runs it every `calls_sweep_seconds`, which is what picks up events
left pending by a crash (at start-up), recordings due for a retry, and events stored by
another process (a CDR import, another API node). Runs never overlap within a process: a
kick during a run makes the running one go round again. Across processes they may overlap
safely (see processor.py and recordings.py).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from callscope.calls.processor import process_pending
from callscope.calls.recordings import fetch_due
from callscope.config import Settings

log = logging.getLogger("callscope.calls")


class CallWorker:
    def __init__(self, maker: sessionmaker[Session], settings: Settings) -> None:
        self.maker = maker
        self.settings = settings
        self._busy = threading.Lock()
        self._again = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Do the pending work now, or make the run in progress go round once more."""
        self._again.set()
        if not self._busy.acquire(blocking=False):
            return
        try:
            while self._again.is_set() and not self._stop.is_set():
                self._again.clear()
                self._run()
        finally:
            self._busy.release()

    def _run(self) -> None:
        try:
            while True:
                with self.maker() as session:
                    result = process_pending(session)
                    session.commit()
                if result.events == 0:
                    break
            while fetch_due(self.maker, self.settings):
                pass
        except Exception:
            log.exception("call worker run failed; the next sweep tries again")

    def start(self) -> None:
        if self.settings.calls_sweep_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._sweep, name="callscope-calls", daemon=True)
        self._thread.start()

    def _sweep(self) -> None:
        while not self._stop.is_set():
            self.kick()
            self._stop.wait(self.settings.calls_sweep_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
