"""Call schemas: the generic webhook's body, and calls as the API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, field_validator

from callscope.api.pagination import ListQuery
from callscope.api.types import InputModel, OutputModel
from callscope.intel.schemas import AnalysisPublic

Key = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Text100 = Annotated[str, Field(max_length=100)]


class WebhookStatus(StrEnum):
    ringing = "ringing"
    answered = "answered"
    completed = "completed"
    missed = "missed"
    busy = "busy"
    failed = "failed"
    voicemail = "voicemail"


class GenericCallEvent(InputModel):
    """One event about one call. Send as many as you like, in any order, more than once."""

    event_id: Key = Field(description="unique per event: a replay with the same id is ignored")
    call_id: Key = Field(description="the same for every event of one call")
    from_: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, alias="from", description="the caller id as received; may be anonymous"
    )
    to: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="the tracking number that was dialled"
    )
    direction: Literal["inbound", "outbound"] = "inbound"
    status: WebhookStatus
    started_at: AwareDatetime | None = None
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    recording_url: Annotated[str, Field(max_length=2000, pattern=r"^https?://")] | None = None
    recording_channels: Annotated[int, Field(ge=1, le=2)] | None = None
    agent: Text100 | None = None
    location: Annotated[str, Field(max_length=200)] | None = None
    caller_name: Text100 | None = None
    forward_to: Annotated[str, Field(max_length=64)] | None = None

    @field_validator("ended_at")
    @classmethod
    def _ends_after_start(cls, value: datetime | None, info: object) -> datetime | None:
        started = getattr(info, "data", {}).get("started_at")
        if value is not None and started is not None and value < started:
            raise ValueError("ended_at is before started_at")
        return value


class CallQuery(ListQuery):
    started_from: AwareDatetime | None = Field(default=None, description="calls from this time")
    started_to: AwareDatetime | None = Field(default=None, description="calls before this time")
    source_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    status: Literal["ringing", "answered", "missed", "busy", "failed", "voicemail"] | None = None
    qualified: bool | None = None
    first_time: bool | None = None
    caller: Annotated[str, Field(max_length=40)] | None = Field(
        default=None, description="E.164 caller id"
    )
    tracking_number: Annotated[str, Field(max_length=40)] | None = None
    provider_call_id: Key | None = None


class SourceRef(OutputModel):
    id: int
    name: str
    channel: str


class SessionRef(OutputModel):
    """The visitor session the call was attributed to, and where it came from."""

    id: str
    visitor_id: str
    channel: str
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_term: str | None
    utm_content: str | None
    click_id_kind: str | None
    click_id: str | None
    referrer: str | None
    landing_url: str
    ga_client_id: str | None
    started_at: datetime


class RecordingPublic(OutputModel):
    status: str
    channels: int | None
    bytes: int | None
    error: str | None
    download_url: str | None = Field(description="authenticated; supports Range requests")


class CallPublic(OutputModel):
    id: int
    provider: str
    provider_call_id: str
    direction: str
    status: str
    caller: str | None
    caller_raw: str | None
    caller_name: str | None
    caller_country: str | None
    caller_region: str | None
    caller_city: str | None
    caller_state: str | None
    tracking_number: str | None
    number_id: int | None
    forward_to: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    ring_seconds: int | None
    talk_seconds: int
    agent: str | None
    location: str | None
    attribution: str = Field(description="static (a source's number), session (DNI) or none")
    attribution_confidence: float | None
    source: SourceRef | None
    session_id: str | None
    session: SessionRef | None
    first_time_caller: bool | None
    qualified: bool
    recording: RecordingPublic | None
    analysis: AnalysisPublic | None = Field(
        default=None, description="category, sentiment, lead score and insights, once analysed"
    )


class JourneyStep(OutputModel):
    kind: Literal["session", "call"]
    at: datetime
    id: str
    source: SourceRef | None
    channel: str | None
    detail: str | None


class Journey(OutputModel):
    caller: str | None
    steps: list[JourneyStep]
