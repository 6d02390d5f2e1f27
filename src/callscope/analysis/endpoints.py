"""HTTP for a call's transcript (redacted; speaker turns with word timestamps)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import select

from callscope.accounts.auth import CurrentPrincipal
from callscope.analysis.models import TranscriptRecord
from callscope.api.deps import IdPath, SessionDep
from callscope.api.problems import NotFound
from callscope.api.types import OutputModel
from callscope.calls.repository import CallRepository

router = APIRouter(prefix="/calls", tags=["calls"])


class WordPublic(OutputModel):
    start: float
    end: float
    text: str
    probability: float


class TurnPublic(OutputModel):
    speaker: str
    start: float
    end: float
    text: str
    words: list[WordPublic]


class TranscriptPublic(OutputModel):
    call_id: int
    language: str | None
    language_probability: float | None
    language_source: str
    model: str
    model_version: str
    device: str
    channels: int
    duration_seconds: float
    speech_seconds: float
    processing_seconds: float
    real_time_factor: float
    truncated: bool
    text: str
    turns: list[TurnPublic]
    redactions: dict[str, int]
    audio_redacted: bool
    updated_at: datetime


@router.get(
    "/{call_id}/transcript",
    response_model=TranscriptPublic,
    summary="The call's redacted transcript, in speaker turns",
)
def get_transcript(call_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> TranscriptPublic:
    CallRepository(session, who.account_id).require(call_id)
    record = session.scalar(
        select(TranscriptRecord).where(
            TranscriptRecord.call_id == call_id, TranscriptRecord.account_id == who.account_id
        )
    )
    if record is None:
        raise NotFound("transcript")
    return TranscriptPublic.model_validate(record)
