"""The analysis job: a stored recording in, a redacted transcript out.

Runs in a Huey worker thread (embedded) or a `callscope worker` process. The transcript
and the job's `done` are committed together, and the transcript row is replaced, not
added, so a re-run after a crash or a `callscope reanalyze` leaves one transcript per call.
Errors are sorted by what a retry can fix: a missing file, a database hiccup or an
out-of-memory are retried with backoff; a file that is not audio fails at once with the
reason; a speech setting that points at nothing fails with the setting's name.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from callscope.accounts.models import Account
from callscope.analysis.models import TranscriptRecord
from callscope.calls.models import Call, RecordingStatus
from callscope.config import Settings
from callscope.jobs import service
from callscope.jobs.models import Job
from callscope.jobs.queue import Heartbeats
from callscope.jobs.runner import JobRunner, Permanent
from callscope.speech.audio import AudioError
from callscope.speech.engine import SpeechConfigError
from callscope.speech.pipeline import analyze, silence
from callscope.speech.transcribe import Transcriber, Transcript


class Analyzer(JobRunner):
    permanent = (Permanent, AudioError, SpeechConfigError)

    def __init__(
        self,
        maker: sessionmaker[Session],
        settings: Settings,
        heartbeats: Heartbeats,
        transcriber: Transcriber | None = None,
    ) -> None:
        super().__init__(maker, settings, heartbeats)
        self.transcriber = transcriber or Transcriber(settings)

    def work(self, session: Session, job: Job, attempts: int) -> None:
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
        service.schedule_insights(session, [call.id])  # the chain: categorise next
        self.done(session, job, attempts)


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
