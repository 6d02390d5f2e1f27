"""What each report answers, as pydantic models (the JSON of `/api/v1/reports/...`).

Counts are integers; rates are fractions 0..1 rounded to 4 places, null when the
denominator is zero; attribution credits are fractions of calls and sum to the number of
qualified calls.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class FilterEcho(BaseModel):
    """The period and filters a report covers, as resolved (defaults filled in)."""

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    timezone: str
    previous_from: date
    previous_to: date
    source: list[int]
    campaign: str | None
    number: str | None
    location: str | None
    category: str | None


class Kpis(BaseModel):
    calls: int = 0
    answered: int = 0
    missed: int = 0
    qualified: int = 0
    first_time: int = 0
    leads: int = 0


class Change(BaseModel):
    delta: int
    percent: float | None = Field(description="delta / previous * 100; null when previous is 0")


class CategoryCount(BaseModel):
    category: str
    calls: int


class DayRow(Kpis):
    date: date


class Overview(BaseModel):
    filter: FilterEcho
    totals: Kpis
    previous: Kpis
    change: dict[str, Change]
    categories: list[CategoryCount]
    daily: list[DayRow]


GroupBy = Literal["channel", "source", "medium", "campaign", "keyword"]


class SourceRow(BaseModel):
    group: str
    source_id: int | None = Field(
        description="the source, for group_by=source and for calls without a session"
    )
    via: Literal["source", "session", "none"] = Field(
        description="session: a visitor session's value; source: a call without a session, "
        "under its source; none: neither"
    )
    calls: int
    answered: int
    qualified: int
    leads: int
    first_time: int
    repeat: int
    categories: dict[str, int]
    qualified_rate: float | None
    lead_rate: float | None


class SourcesReport(BaseModel):
    filter: FilterEcho
    group_by: GroupBy
    rows: list[SourceRow]


class WhenReport(BaseModel):
    filter: FilterEcho
    weekdays: list[str]
    hours: list[int]
    heatmap: list[list[int]] = Field(description="calls: 7 rows (Monday first) of 24 local hours")
    missed_heatmap: list[list[int]] = Field(description="missed calls, the same shape")
    calls_by_hour: list[int]
    missed_by_hour: list[int]


class PerformanceRow(BaseModel):
    name: str = Field(description='"(none)" for calls without one')
    calls: int
    answered: int
    answer_rate: float | None
    avg_talk_seconds: float | None = Field(description="over answered calls")
    leads: int


class RegionRow(BaseModel):
    country: str | None
    region: str | None
    calls: int
    answered: int
    leads: int


class WhereReport(BaseModel):
    filter: FilterEcho
    locations: list[PerformanceRow]
    agents: list[PerformanceRow]
    regions: list[RegionRow]


AttributionModel = Literal[
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based"
]


class AttributionRow(BaseModel):
    source_id: int | None
    source: str
    channel: str | None
    first_touch: float
    last_touch: float
    last_non_direct: float
    linear: float
    time_decay: float
    position_based: float


class AttributionReport(BaseModel):
    filter: FilterEcho
    qualified_calls: int
    sales_cycle_days: int
    half_life_days: float
    models: list[AttributionModel]
    rows: list[AttributionRow]


class PhraseCount(BaseModel):
    phrase: str
    calls: int


class CategoryPhrases(BaseModel):
    category: str
    phrases: list[PhraseCount]


class SourcePhrases(BaseModel):
    source_id: int | None
    source: str
    phrases: list[PhraseCount]


class SourceSentiment(BaseModel):
    source_id: int | None
    source: str
    sentiment: dict[str, int]


class TopicsReport(BaseModel):
    filter: FilterEcho
    by_category: list[CategoryPhrases]
    by_source: list[SourcePhrases]
    sentiment_by_source: list[SourceSentiment]
