"""Transcripts and insights for the demo's calls, through the product's own code.

The words come from demo_scripts.py; they are timed over the call's talk time (speaker turns
with start and end in seconds, words spread over each turn), redacted by the same code as a
real transcript (so a card read out on a call is stored as `[CARD]`), and stored as the
analysis job stores one, with `model` saying they are the demo's script, not Whisper's.
Every call with a transcript and no insight is then categorised by the real intelligence
service (the shared trained model, the account's context) in batches, and stored as the
insights job stores it. Both steps skip calls already done, so seeding again adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from callscope.accounts.models import Account
from callscope.analysis.models import TranscriptRecord
from callscope.analysis.service import store as store_transcript
from callscope.calls.models import Call, CallStatus
from callscope.demo_scripts import Line, natural_seconds, script
from callscope.intel.models import CallInsight
from callscope.intel.service import Intelligence, document_of
from callscope.intel.service import store as store_insight
from callscope.numbers.models import Source
from callscope.speech.pipeline import redact_transcript
from callscope.speech.transcribe import Transcript, Turn, Word

MODEL = "callscope-demo-script"  # what the transcript's `model` says: not speech recognition
BATCH = 250
T = TypeVar("T")


def timed(lines: Sequence[Line], seconds: float, key: str) -> list[Turn]:
    """Speaker turns spread over `seconds`: words at a pace that fits, pauses between turns."""
    rng = random.Random(f"callscope-demo-timing:{key}")  # noqa: S311 - demo data
    counts = [len(text.split()) for _, text in lines]
    usable = max(seconds - 1.0, 1.0)  # half a second of line noise at either end
    per_word = min(usable * 0.85 / max(sum(counts), 1), 1 / 1.8)
    pauses = [rng.uniform(0.6, 1.4) for _ in lines[1:]]
    scale = (usable - per_word * sum(counts)) / (sum(pauses) or 1)
    turns: list[Turn] = []
    clock = 0.5
    for i, ((speaker, text), count) in enumerate(zip(lines, counts, strict=True)):
        if i:
            clock += pauses[i - 1] * scale
        start = clock
        words = []
        for k, token in enumerate(text.split()):
            begin, end = start + k * per_word, start + (k + 1) * per_word
            words.append(Word(round(begin, 2), round(end, 2), token, round(rng.uniform(0.8, 1), 3)))
        clock = start + count * per_word
        turns.append(Turn(speaker, round(start, 2), round(clock, 2), text, words))
    return turns


def make_transcript(call: Call, source: str | None, phones: bool) -> Transcript:
    voicemail = call.status == CallStatus.voicemail.value
    lines = script(call.provider_call_id, source, call.agent, voicemail)
    seconds = natural_seconds(lines) if voicemail else max(call.talk_seconds, 5)
    turns = timed(lines, seconds, call.provider_call_id)
    transcript = Transcript(
        language="en",
        language_probability=1.0,
        language_source="given",
        model=MODEL,
        model_version="1",
        device="none",
        duration=float(seconds),
        speech_seconds=round(sum(t.end - t.start for t in turns), 2),
        processing_seconds=0.0,
        channels=1 if voicemail else 2,
        truncated=False,
        turns=turns,
    )
    redact_transcript(transcript, phones)
    return transcript


def seed_transcripts(session: Session, account_id: int) -> int:
    """A transcript for each answered or voicemail call that has none; how many were added."""
    account = session.get_one(Account, account_id)
    sources = {
        s.id: s.name for s in session.scalars(select(Source).where(Source.account_id == account_id))
    }
    calls = session.scalars(
        select(Call)
        .outerjoin(TranscriptRecord, TranscriptRecord.call_id == Call.id)
        .where(
            Call.account_id == account_id,
            Call.status.in_([CallStatus.answered.value, CallStatus.voicemail.value]),
            TranscriptRecord.id.is_(None),
        )
        .order_by(Call.id)
    ).all()
    with session.no_autoflush:  # one insert at the end, not a flush per call
        for call in calls:
            source = sources.get(call.source_id) if call.source_id else None
            transcript = make_transcript(call, source, account.redact_phones)
            store_transcript(session, call, transcript, False)
    session.flush()
    return len(calls)


def seed_insights(session: Session, intelligence: Intelligence, account_id: int) -> int:
    """The real model's insight for each transcribed call that has none; how many were added."""
    pending = session.execute(
        select(Call, TranscriptRecord)
        .join(TranscriptRecord, TranscriptRecord.call_id == Call.id)
        .outerjoin(CallInsight, CallInsight.call_id == Call.id)
        .where(Call.account_id == account_id, CallInsight.id.is_(None))
        .order_by(Call.id)
    ).all()
    if not pending:
        return 0
    context = intelligence.context(session, account_id)
    version = intelligence.classifier.version
    for chunk in batches(pending, BATCH):
        documents = [document_of(record) for _, record in chunk]
        facts = [(call.talk_seconds, call.first_time_caller) for call, _ in chunk]
        results = intelligence.analyze(documents, context, facts)
        with session.no_autoflush:
            for (call, _), result in zip(chunk, results, strict=True):
                store_insight(session, call, result, version)
        session.flush()
    return len(pending)


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
