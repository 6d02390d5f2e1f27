"""The public tracking contract (snippet, server-side tracking, mobile apps), and pool health."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from callscope.tracking.models import URL_CHARS

PublicId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("an http(s) URL")
    return value


def _truncate(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda v: v[:limit] if isinstance(v, str) else v)


PageUrl = Annotated[str, StringConstraints(max_length=URL_CHARS), AfterValidator(_http_url)]


class TrackingInput(BaseModel):
    # New snippet versions may send more; an older server ignores what it does not know.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class SessionStart(TrackingInput):
    visitor_id: PublicId | None = None
    session_id: PublicId | None = None
    url: PageUrl
    referrer: Annotated[str | None, StringConstraints(max_length=URL_CHARS)] = None
    ga_client_id: Annotated[str | None, StringConstraints(max_length=64)] = None
    ym_uid: Annotated[str | None, StringConstraints(max_length=64)] = None
    user_agent: Annotated[str | None, _truncate(500)] = None


class Ping(TrackingInput):
    url: PageUrl | None = None


class Swap(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="the number printed on the page, E.164")
    to: str = Field(description="the number to show instead, E.164")
    display: str = Field(description="`to` as the visitor would write it")
    cc: str = Field(description="country calling code of `from`")
    national_prefix: str = Field(description="trunk prefix written before national numbers")


class SessionAnswer(BaseModel):
    visitor_id: str
    session_id: str | None
    swaps: list[Swap]
    ping_seconds: int


class PingAnswer(BaseModel):
    session_id: str
    ping_seconds: int


class PoolHealth(BaseModel):
    pool_id: int
    window_days: int
    numbers: int = Field(description="active numbers in the pool")
    held_now: int = Field(description="numbers held by live sessions now")
    utilisation: float = Field(description="held_now / numbers")
    sessions: int = Field(description="sessions that asked the pool for a number in the window")
    peak_concurrent: int = Field(description="most sessions holding a number at once")
    exhausted: int = Field(description="sessions that found every number held")
    busiest_hour_sessions: int
    average_hold_seconds: float
    recommended_size: int = Field(
        description="numbers needed so that at the busiest hour a new session finds a free "
        "number 99.9% of the time (Little's law and a Poisson margin)"
    )
