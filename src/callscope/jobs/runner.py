"""Running one job: claim it, do the work, and sort failures by whether a retry can help.

A handler subclasses `JobRunner` and writes `work`, which commits its result together with
`finish` (one transaction). Errors listed in `permanent` fail the job at once with the
reason; anything else is retried with backoff (jobs/service.py) until the attempts run out.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callscope.config import Settings
from callscope.jobs import service
from callscope.jobs.models import Job
from callscope.jobs.queue import Heartbeats

log = logging.getLogger("callscope.jobs")


class Permanent(Exception):
    """A retry cannot help."""


class JobRunner:
    permanent: ClassVar[tuple[type[Exception], ...]] = (Permanent,)

    def __init__(
        self, maker: sessionmaker[Session], settings: Settings, heartbeats: Heartbeats
    ) -> None:
        self.maker = maker
        self.settings = settings
        self.heartbeats = heartbeats
        self.worker = heartbeats.worker

    def work(self, session: Session, job: Job, attempts: int) -> None:
        raise NotImplementedError

    def done(self, session: Session, job: Job, attempts: int) -> None:
        """Mark the job done and commit, unless another worker took it over meanwhile."""
        if not service.finish(session, job, self.worker, attempts):
            session.rollback()  # the job was taken from us (lease ran out): theirs counts
            log.warning("job %s: no longer ours; result dropped", job.id)
            return
        session.commit()

    def run(self, job_id: int) -> None:
        with self.maker() as session:
            job = service.claim(session, job_id, self.worker)
            if job is None:
                return  # done, running elsewhere, or not due: a duplicate message
            attempts = job.attempts
            self.heartbeats.add(job_id)
            try:
                self.work(session, job, attempts)
            except self.permanent as exc:
                session.rollback()
                service.fail(session, job, self.worker, attempts, str(exc), False, 1)
                log.warning("job %s failed: %s", job_id, exc)
            except Exception as exc:  # retried; an expected kind is not a crash to report
                session.rollback()
                state = service.fail(
                    session,
                    job,
                    self.worker,
                    attempts,
                    f"{type(exc).__name__}: {exc}",
                    True,
                    self.settings.jobs_max_attempts,
                )
                expected = isinstance(exc, OSError | OperationalError | MemoryError)
                log.log(
                    logging.WARNING if expected else logging.ERROR,
                    "job %s attempt %s: %s; now %s",
                    job_id,
                    attempts,
                    exc,
                    state,
                    exc_info=not expected,
                )
            finally:
                self.heartbeats.remove(job_id)
