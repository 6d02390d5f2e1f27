"""The analysis job: a stored recording in, a redacted transcript out.

Runs in a Huey worker thread (embedded) or a `callscope worker` process. The transcript
and the job's `done` are committed together, and the transcript row is replaced, not
added, so a re-run after a crash or a `callscope reanalyze` leaves one transcript per call.
Errors are sorted by what a retry can fix: a missing file, a database hiccup or an
out-of-memory are retried with backoff; a file that is not audio fails at once with the
reason; a speech setting that points at nothing fails with the setting's name.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callscope.accounts.models import Account
from callscope.analysis.models import TranscriptRecord
from callscope.calls.models import Call, RecordingStatus
from callscope.config import Settings
from callscope.jobs import service
from callscope.jobs.models import Job
from callscope.jobs.queue import Heartbeats
from callscope.speech.audio import AudioError
from callscope.speech.engine import SpeechConfigError
from callscope.speech.pipeline import analyze, silence
from callscope.speech.transcribe import Transcriber, Transcript

log = logging.getLogger("callscope.analysis")


class Permanent(Exception):
    """A retry cannot help."""


class Analyzer:
    def __init__(
        self,
        maker: sessionmaker[Session],
        settings: Settings,
        heartbeats: Heartbeats,
        transcriber: Transcriber | None = None,
    ) -> None:
        self.maker = maker
        self.settings = settings
        self.heartbeats = heartbeats
        self.transcriber = transcriber or Transcriber(settings)
        self.worker = heartbeats.worker

    def run(self, job_id: int) -> None:
        with self.maker() as session:
            job = service.claim(session, job_id, self.worker)
            if job is None:
                return  # done, running elsewhere, or not due: a duplicate message
            attempts = job.attempts
            self.heartbeats.add(job_id)
            try:
                self._analyze(session, job, attempts)
            except (Permanent, AudioError, SpeechConfigError) as exc:
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

    def _analyze(self, session: Session, job: Job, attempts: int) -> None:
        call = session.get(Call, job.call_id) if job.call_id is not None else None
        if call is None:
            service.finish(session, job, self.worker, attempts)
            session.commit()
            return
        if call.recording_status != RecordingStatus.stored.value or not call.recording_path:
            raise Permanent("the call has no stored recording")
        path = Path(call.recording_path)
        if not path.is_file():
            raise FileNotFoundError(f"recording file {path} is missing")
        account = session.get_one(Account, call.account_id)
        languages = list(account.languages or ["en"])
        redact_audio, phones = account.redact_audio, account.redact_phones
        session.commit()  # no transaction held open during the long part
        transcript, blanks = analyze(
            path, self.settings, self.transcriber, languages=languages, phones=phones
        )
        audio_redacted = False
        if redact_audio and blanks:
            speakers = [s.strip() for s in self.settings.speech_channels.split(",")]
            new_path = silence(path, blanks, speakers)
            call.recording_path = str(new_path)
            call.recording_bytes = new_path.stat().st_size
            audio_redacted = True
        store(session, call, transcript, audio_redacted)
        if not service.finish(session, job, self.worker, attempts):
            session.rollback()  # the job was taken from us (lease ran out): theirs counts
            log.warning("job %s: no longer ours; result dropped", job.id)
            return
        session.commit()


def store(session: Session, call: Call, transcript: Transcript, audio_redacted: bool) -> None:
    session.execute(delete(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
    session.add(
        TranscriptRecord(
            account_id=call.account_id,
            call_id=call.id,
            language=transcript.language,
            language_probability=transcript.language_probability,
            language_source=transcript.language_source,
            model=transcript.model[:300],
            model_version=transcript.model_version[:300],
            device=transcript.device,
            channels=transcript.channels,
            duration_seconds=transcript.duration,
            speech_seconds=transcript.speech_seconds,
            processing_seconds=transcript.processing_seconds,
            real_time_factor=round(transcript.real_time_factor, 4),
            truncated=transcript.truncated,
            text=transcript.text,
            turns=[asdict(t) for t in transcript.turns],
            redactions=dict(transcript.redactions),
            audio_redacted=audio_redacted,
        )
    )
