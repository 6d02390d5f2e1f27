"""HTTP for calls: the filtered list, one call with its attribution, its recording, its journey."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from callscope.accounts.auth import CurrentPrincipal
from callscope.api.deps import IdPath, SessionDep
from callscope.api.pagination import Page
from callscope.api.problems import NotFound
from callscope.calls.models import Call, RecordingStatus
from callscope.calls.repository import CallRepository
from callscope.calls.schemas import (
    CallPublic,
    CallQuery,
    Journey,
    JourneyStep,
    RecordingPublic,
    SessionRef,
    SourceRef,
)
from callscope.intel.models import CallInsight
from callscope.intel.schemas import AnalysisPublic
from callscope.numbers.models import Source
from callscope.tracking.models import VisitorSession

router = APIRouter(prefix="/calls", tags=["calls"])


def _public(
    call: Call,
    sources: dict[int, Source],
    sessions: dict[int, VisitorSession],
    insights: dict[int, CallInsight],
) -> CallPublic:
    source = sources.get(call.source_id) if call.source_id else None
    visit = sessions.get(call.session_id) if call.session_id else None
    recording = None
    if call.recording_status:
        stored = call.recording_status == RecordingStatus.stored.value
        recording = RecordingPublic(
            status=call.recording_status,
            channels=call.recording_channels,
            bytes=call.recording_bytes,
            error=call.recording_error,
            download_url=f"/api/v1/calls/{call.id}/recording" if stored else None,
        )
    session_ref = None
    if visit is not None:
        fields = {n: getattr(visit, n) for n in SessionRef.model_fields if n != "id"}
        session_ref = SessionRef(id=visit.public_id, **fields)
    data = {name: getattr(call, name) for name in CallPublic.model_fields if hasattr(call, name)}
    data.update(
        source=SourceRef(id=source.id, name=source.name, channel=source.channel)
        if source
        else None,
        session=session_ref,
        session_id=visit.public_id if visit else None,
        recording=recording,
        analysis=AnalysisPublic.model_validate(insights[call.id]) if call.id in insights else None,
    )
    return CallPublic(**data)


def _many(repo: CallRepository, calls: list[Call]) -> list[CallPublic]:
    sources = repo.sources({c.source_id for c in calls if c.source_id})
    sessions = repo.sessions({c.session_id for c in calls if c.session_id})
    insights = repo.insights({c.id for c in calls})
    return [_public(c, sources, sessions, insights) for c in calls]


@router.get("", response_model=Page[CallPublic], summary="Calls, newest first, filtered")
def list_calls(
    q: Annotated[CallQuery, Query()], session: SessionDep, who: CurrentPrincipal
) -> Page[CallPublic]:
    repo = CallRepository(session, who.account_id)
    rows, cursor = repo.list(q)
    return Page[CallPublic](items=_many(repo, list(rows)), next_cursor=cursor)


@router.get("/{call_id}", response_model=CallPublic, summary="One call with its attribution")
def get_call(call_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> CallPublic:
    repo = CallRepository(session, who.account_id)
    return _many(repo, [repo.require(call_id)])[0]


@router.get(
    "/{call_id}/recording",
    summary="The call's recording (supports Range requests)",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}, "audio/mpeg": {}}}},
)
def get_recording(call_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> FileResponse:
    call = CallRepository(session, who.account_id).require(call_id)
    if call.recording_status != RecordingStatus.stored.value or not call.recording_path:
        raise NotFound("recording")
    path = Path(call.recording_path)
    if not path.is_file():
        raise NotFound("recording file")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=kind, filename=f"call-{call.id}{path.suffix}")


@router.get(
    "/{call_id}/journey",
    response_model=Journey,
    summary="The caller's sessions and calls in order, with their sources",
)
def get_journey(call_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> Journey:
    repo = CallRepository(session, who.account_id)
    call = repo.require(call_id)
    calls = list(repo.caller_calls(call.caller)) if call.caller else [call]
    attributed = repo.sessions({c.session_id for c in calls if c.session_id})
    visits = repo.visitor_sessions({s.visitor_id for s in attributed.values()})
    sources = repo.sources(
        {c.source_id for c in calls if c.source_id} | {v.source_id for v in visits if v.source_id}
    )

    def ref(source_id: int | None) -> SourceRef | None:
        source = sources.get(source_id) if source_id else None
        return SourceRef(id=source.id, name=source.name, channel=source.channel) if source else None

    steps = [
        JourneyStep(
            kind="session",
            at=v.started_at,
            id=v.public_id,
            source=ref(v.source_id),
            channel=v.channel,
            detail=v.landing_url,
        )
        for v in visits
    ] + [
        JourneyStep(
            kind="call",
            at=c.started_at,
            id=str(c.id),
            source=ref(c.source_id),
            channel=None,
            detail=c.status,
        )
        for c in calls
    ]
    steps.sort(key=lambda s: (s.at, s.kind != "session"))
    return Journey(caller=call.caller, steps=steps)
