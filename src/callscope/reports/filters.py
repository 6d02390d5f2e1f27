"""The filter every report shares: a local date range in the account's time zone, and narrowing.

`ReportQuery` is the query string as a client sends it (validated by pydantic, so a bad value
is a 422 problem naming the field). `resolve` turns it into a `ReportFilter`: the inclusive
local dates, the UTC half-open bounds `[start, end)` of that range and of the previous period
of equal length (the same number of local days just before `from`), and the narrowing
filters. `conditions` renders the filter as SQL conditions on `calls`, always scoped to the
account, so an id or name of another account simply matches nothing.

Only this module knows how a report's period maps to instants; queries never see a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, select

from callscope.api.problems import InvalidField
from callscope.api.types import QueryId
from callscope.calls.models import Call
from callscope.intel.models import CallInsight
from callscope.phones import to_e164
from callscope.tracking.models import VisitorSession

DEFAULT_DAYS = 30
MAX_DAYS = 400
MAX_SOURCES = 50
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Printable text only: a NUL byte would make PostgreSQL fail the query rather than match nothing.
_TEXT = r"^[^\x00-\x1f\x7f]*$"

DateText = Annotated[str, Field(max_length=10, examples=["2026-11-01"])]
Text200 = Annotated[str, Field(min_length=1, max_length=200, pattern=_TEXT)]


class ReportQuery(BaseModel):
    """Query parameters of every report. Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid")

    from_: DateText | None = Field(
        default=None,
        alias="from",
        description="first local date (YYYY-MM-DD, account time zone); default: 29 days before `to`",
    )
    to: DateText | None = Field(
        default=None, description="last local date, inclusive; default: today (account time zone)"
    )
    source: list[QueryId] = Field(
        default_factory=list, max_length=MAX_SOURCES, description="source id; repeatable"
    )
    campaign: Text200 | None = Field(default=None, description="utm_campaign of the call's session")
    number: Annotated[str, Field(max_length=40)] | None = Field(
        default=None, description="tracking number dialled (E.164)"
    )
    location: Text200 | None = None
    category: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")] | None = Field(
        default=None, description="insight category key, e.g. `sale`"
    )

    @field_validator("from_", "to")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _DATE.match(value):
            raise ValueError("expected a date as YYYY-MM-DD")
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a calendar date") from None
        if not 2000 <= parsed.year <= 2100:
            raise ValueError("the year must be between 2000 and 2100")
        return value

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        return to_e164(value) if value is not None else None


@dataclass(frozen=True)
class Period:
    """Inclusive local dates and the UTC instants `[start, end)` they cover."""

    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class ReportFilter:
    account_id: int
    timezone: str
    period: Period
    previous: Period
    source_ids: tuple[int, ...] = ()
    campaign: str | None = None
    number: str | None = None
    location: str | None = None
    category: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the period narrows the calls."""
        return bool(
            self.source_ids or self.campaign or self.number or self.location or self.category
        )

    @property
    def rolled_up(self) -> bool:
        """Whether the daily rollups can answer it: they keep source and category, not the
        session's campaign, the tracking number or the location."""
        return self.campaign is None and self.number is None and self.location is None

    def echo(self) -> dict[str, Any]:
        """The filter as the report states it back, so an answer says what it covers."""
        return {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "timezone": self.timezone,
            "previous_from": self.previous.first.isoformat(),
            "previous_to": self.previous.last.isoformat(),
            "source": list(self.source_ids),
            "campaign": self.campaign,
            "number": self.number,
            "location": self.location,
            "category": self.category,
        }


def local_period(first: date, last: date, zone: ZoneInfo) -> Period:
    """Local midnight of `first` up to local midnight after `last`, as UTC instants."""

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone).astimezone(UTC)

    return Period(first, last, midnight(first), midnight(last + timedelta(days=1)))


def resolve(
    query: ReportQuery, account_id: int, timezone: str, today: date | None = None
) -> ReportFilter:
    zone = ZoneInfo(timezone)
    today = today or datetime.now(zone).date()
    last = date.fromisoformat(query.to) if query.to else today
    first = (
        date.fromisoformat(query.from_) if query.from_ else last - timedelta(days=DEFAULT_DAYS - 1)
    )
    if last < first:
        raise InvalidField(("query", "to"), f"`to` ({last}) is before `from` ({first})")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InvalidField(
            ("query", "to"), f"the range is {days} days; at most {MAX_DAYS} days per report"
        )
    previous_last = first - timedelta(days=1)
    return ReportFilter(
        account_id=account_id,
        timezone=timezone,
        period=local_period(first, last, zone),
        previous=local_period(previous_last - timedelta(days=days - 1), previous_last, zone),
        source_ids=tuple(dict.fromkeys(query.source)),
        campaign=query.campaign,
        number=query.number,
        location=query.location,
        category=query.category,
    )


def conditions(f: ReportFilter, period: Period | None = None) -> list[ColumnElement[bool]]:
    """SQL conditions on `calls` for the filter over `period` (the report's own by default).

    Reports count inbound calls; every condition is scoped to the account, including the
    subqueries, so another account's session or insight can never make a call match.
    """
    period = period or f.period
    where: list[ColumnElement[bool]] = [
        Call.account_id == f.account_id,
        Call.direction == "inbound",
        Call.started_at >= period.start,
        Call.started_at < period.end,
    ]
    if f.source_ids:
        where.append(Call.source_id.in_(f.source_ids))
    if f.number:
        where.append(Call.tracking_number == f.number)
    if f.location:
        where.append(Call.location == f.location)
    if f.campaign:
        where.append(
            Call.session_id.in_(
                select(VisitorSession.id)
                .where(
                    VisitorSession.account_id == f.account_id,
                    VisitorSession.utm_campaign == f.campaign,
                )
                .correlate(None)  # the report may join visitor_sessions itself
            )
        )
    if f.category:
        where.append(
            Call.id.in_(
                select(CallInsight.call_id)
                .where(CallInsight.account_id == f.account_id, CallInsight.category == f.category)
                .correlate(None)
            )
        )
    return where
