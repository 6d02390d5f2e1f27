"""The job worker: Huey consumers, the dispatcher and heartbeats, in one object.

`callscope serve` starts one embedded (threads, no signal handlers of its own);
`callscope worker` runs one in the foreground and stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from callscope.analysis.service import Analyzer
from callscope.config import Settings
from callscope.intel.service import InsightRunner
from callscope.jobs import service
from callscope.jobs.queue import QUEUES, Dispatcher, Heartbeats, Queues, QuietConsumer

log = logging.getLogger("callscope.jobs")


class JobWorker:
    def __init__(
        self,
        maker: sessionmaker[Session],
        settings: Settings,
        queues: tuple[str, ...] = QUEUES,
        workers: int | None = None,
    ) -> None:
        self.settings = settings
        self.queues = Queues(settings, queues)
        self.worker = service.worker_id()
        self.heartbeats = Heartbeats(maker, self.worker, max(1.0, settings.jobs_lease_seconds / 4))
        self.queues.handlers = {
            "speech": Analyzer(maker, settings, self.heartbeats).run,
            "text": InsightRunner(maker, settings, self.heartbeats).run,
        }
        self.dispatcher = Dispatcher(maker, self.queues)
        count = workers or settings.jobs_workers
        self.consumers = [
            QuietConsumer(
                huey,
                workers=count,
                worker_type="thread",
                periodic=False,
                max_delay=1.0,
                shutdown_timeout=10,
            )
            for huey in self.queues.hueys.values()
        ]

    def start(self) -> None:
        for consumer in self.consumers:
            consumer.start()
        self.dispatcher.start()
        log.info("job worker %s started on %s", self.worker, ", ".join(self.queues.hueys))

    def stop(self) -> None:
        self.dispatcher.stop()
        for consumer in self.consumers:
            consumer.stop(graceful=True)
        self.heartbeats.stop()
        self.queues.close()
