"""The reports, each a function (session, filter) -> pydantic model, aggregated in SQL.

Every query groups in the database and returns a bounded number of rows (days, hours,
sources, categories), whatever the number of calls; Python only folds those rows into the
answer. Local dates and hours come from `localtime.LocalClock`, exact in the account's zone.
Attribution and topics live in their own modules and are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, null, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from callscope.calls.models import Call
from callscope.numbers.models import Source
from callscope.reports import rollups
from callscope.reports.attribution import attribution_live, from_credits
from callscope.reports.facts import (
    NONE,
    call_facts,
    lead_keys,
    measures,
    rate,
    report_settings,
    source_names,
)
from callscope.reports.filters import Period, ReportFilter
from callscope.reports.localtime import LocalClock, day_from_number, day_number, hour, weekday
from callscope.reports.models import ReportDay, ReportPlace
from callscope.reports.schemas import (
    AttributionReport,
    CategoryCount,
    Change,
    DayRow,
    FilterEcho,
    GroupBy,
    Kpis,
    Overview,
    PerformanceRow,
    RegionRow,
    SourceRow,
    SourcesReport,
    WhenReport,
    WhereReport,
)
from callscope.reports.topics import topics
from callscope.tracking.models import VisitorSession

__all__ = ["attribution", "overview", "sources", "topics", "when", "where"]

KPI_FIELDS = tuple(Kpis.model_fields)
COUNTS = ("calls", "answered", "qualified", "leads", "first_time", "repeat")
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def echo(f: ReportFilter) -> FilterEcho:
    return FilterEcho.model_validate(f.echo())


def _local_seconds(f: ReportFilter, period: Period) -> ColumnElement[int]:
    clock = LocalClock.covering(f.zone, period.start, period.end)
    return clock.seconds(Call.started_at).label("local_seconds")


def _change(now: int, before: int) -> Change:
    return Change(
        delta=now - before, percent=round((now - before) * 100 / before, 1) if before else None
    )


def _add(into: dict[str, int], row: Any, names: tuple[str, ...]) -> None:
    for name in names:
        into[name] = into.get(name, 0) + int(getattr(row, name) or 0)


def overview(session: Session, f: ReportFilter, *, rolled: bool | None = None) -> Overview:
    """From the daily rollups when they can answer the filter (`rolled=None`), else, or with
    `rolled=False`, from the calls."""
    rolled = f.rolled_up if rolled is None else rolled
    if rolled and not rollups.fresh(session, f.account_id):
        rolled = False  # not built yet for a large account: from the calls
    report_settings(session)
    leads = lead_keys(session, f.account_id)
    by_day: dict[int, dict[str, int]] = defaultdict(dict)
    by_category: dict[str, int] = defaultdict(int)
    if rolled:
        d = ReportDay
        rows = session.execute(
            select(d.day, d.category, *rollups.measures(leads))
            .where(*rollups.where(d, f))
            .group_by(d.day, d.category)
        )
        previous_row = session.execute(
            select(*rollups.measures(leads)).where(*rollups.where(d, f, f.previous))
        ).one()
    else:
        facts = call_facts(f, leads, _local_seconds(f, f.period))
        day = day_number(facts.c.local_seconds).label("day")
        # One pass: by local day and category (a few thousand rows at most), folded both
        # ways. The previous period is a second, plain aggregate: grouping it by day too (one
        # pass over both periods) measured slower on SQLite and barely faster on PostgreSQL.
        rows = session.execute(
            select(day, facts.c.category, *measures(facts)).group_by(day, facts.c.category)
        )
        before = call_facts(f, leads, period=f.previous)
        previous_row = session.execute(select(*measures(before))).one()
    for r in rows:
        _add(by_day[int(r.day)], r, KPI_FIELDS)
        if r.category is not None:
            by_category[r.category] += int(r.calls)
    epoch_day = day_from_number(0)
    daily = [DayRow(date=d, **by_day.get((d - epoch_day).days, {})) for d in f.period.dates()]
    totals = Kpis(**{n: sum(getattr(r, n) for r in daily) for n in KPI_FIELDS})
    previous = Kpis(**{name: int(getattr(previous_row, name) or 0) for name in KPI_FIELDS})
    categories = [
        CategoryCount(category=k, calls=n)
        for k, n in sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    change = {n: _change(getattr(totals, n), getattr(previous, n)) for n in KPI_FIELDS}
    return Overview(
        filter=echo(f),
        totals=totals,
        previous=previous,
        change=change,
        categories=categories,
        daily=daily,
    )


def _dimension(group_by: GroupBy) -> Any:
    """The session's value of the dimension; null for calls without a session."""
    column: Any = {
        "channel": VisitorSession.channel,
        "medium": VisitorSession.utm_medium,
        "campaign": VisitorSession.utm_campaign,
        "keyword": VisitorSession.utm_term,
    }[group_by]
    return column


def _source_groups(facts: Subquery, group_by: GroupBy) -> list[ColumnElement[Any]]:
    c = facts.c
    if group_by == "source":
        return [c.source_id.label("src_id")]
    return [c.has_session, c.dim, c.src_channel, c.src_id]


def _source_rows(
    session: Session, f: ReportFilter, group_by: GroupBy, leads: list[str]
) -> Sequence[Any]:
    extra: list[ColumnElement[Any]] = []
    if group_by != "source":
        # A call with a session groups by the session's value alone; one without, by its source.
        sessionless = VisitorSession.id.is_(None)
        extra = [
            VisitorSession.id.is_not(None).label("has_session"),
            _dimension(group_by).label("dim"),
            case((sessionless, Source.channel), else_=null()).label("src_channel"),
            case((sessionless, Call.source_id), else_=null()).label("src_id"),
        ]
    facts = call_facts(f, leads, *extra, origin=group_by != "source")
    keys = _source_groups(facts, group_by)
    # One pass, grouped by category too; the rows fold into one per group below.
    return session.execute(
        select(*keys, facts.c.category, *measures(facts)).group_by(*keys, facts.c.category)
    ).all()


def sources(
    session: Session, f: ReportFilter, group_by: GroupBy, *, rolled: bool | None = None
) -> SourcesReport:
    """By source from the daily rollups when they can answer the filter (`rolled=None`);
    by the session's channel, medium, campaign or keyword, or with `rolled=False`, from the
    calls."""
    rolled = group_by == "source" and (f.rolled_up if rolled is None else rolled)
    if rolled and not rollups.fresh(session, f.account_id):
        rolled = False  # not built yet for a large account: from the calls
    report_settings(session)
    leads = lead_keys(session, f.account_id)
    if rolled:
        d = ReportDay
        rows: Sequence[Any] = session.execute(
            select(d.source_id.label("src_id"), d.category, *rollups.measures(leads))
            .where(*rollups.where(d, f))
            .group_by(d.source_id, d.category)
        ).all()
    else:
        rows = _source_rows(session, f, group_by, leads)
    names = source_names(session, f.account_id, {r.src_id for r in rows if r.src_id})

    def label(r: Any) -> tuple[str, int | None, str]:
        """(group, source_id, via) of one SQL group; several may fold into one row."""
        if group_by != "source" and r.has_session:
            return (r.dim or NONE, None, "session")
        if group_by == "channel" and r.src_channel:
            return (str(r.src_channel), None, "source")
        if r.src_id in names:
            return (names[r.src_id].name, r.src_id, "source")
        return (NONE, None, "none")

    folded: dict[tuple[str, int | None, str], dict[str, int]] = defaultdict(dict)
    cats: dict[tuple[str, int | None, str], dict[str, int]] = defaultdict(dict)
    for r in rows:
        key = label(r)
        _add(folded[key], r, COUNTS)
        if r.category is not None:
            cats[key][r.category] = cats[key].get(r.category, 0) + int(r.calls)
    out = [
        SourceRow(
            group=key[0],
            source_id=key[1],
            via=key[2],
            categories=dict(sorted(cats.get(key, {}).items())),
            qualified_rate=rate(acc["qualified"], acc["calls"]),
            lead_rate=rate(acc["leads"], acc["calls"]),
            **acc,
        )
        for key, acc in folded.items()
    ]
    out.sort(key=lambda row: (-row.calls, row.group, row.source_id or 0))
    return SourcesReport(filter=echo(f), group_by=group_by, rows=out)


def when(session: Session, f: ReportFilter) -> WhenReport:
    report_settings(session, parallel=True)
    facts = call_facts(f, [], _local_seconds(f, f.period), insight=False)
    ls = facts.c.local_seconds
    day, hr = weekday(ls).label("weekday"), hour(ls).label("hour")
    heatmap = [[0] * 24 for _ in range(7)]
    missed = [[0] * 24 for _ in range(7)]
    for r in session.execute(select(day, hr, *measures(facts)).group_by(day, hr)):
        heatmap[int(r.weekday)][int(r.hour)] = int(r.calls)
        missed[int(r.weekday)][int(r.hour)] = int(r.missed)
    return WhenReport(
        filter=echo(f),
        weekdays=WEEKDAYS,
        hours=list(range(24)),
        heatmap=heatmap,
        missed_heatmap=missed,
        calls_by_hour=[sum(row[h] for row in heatmap) for h in range(24)],
        missed_by_hour=[sum(row[h] for row in missed) for h in range(24)],
    )


def _performance(rows: Sequence[Any], name: str) -> list[PerformanceRow]:
    """Fold (location, agent, ...) groups into rows for one of the two columns."""
    folded: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        value = getattr(r, name)
        _add(folded[value if value is not None else NONE], r, _PERFORMANCE)
    out = [
        PerformanceRow(
            name=key,
            calls=v["calls"],
            answered=v["answered"],
            answer_rate=rate(v["answered"], v["calls"]),
            avg_talk_seconds=round(v["answered_talk"] / v["answered"], 1)
            if v["answered"]
            else None,
            leads=v["leads"],
        )
        for key, v in folded.items()
    ]
    # Sorted here, not in SQL: the backends order NULLs differently.
    return sorted(out, key=lambda r: (-r.calls, r.name == NONE, r.name))


_PERFORMANCE = ("calls", "answered", "answered_talk", "leads")


def where(session: Session, f: ReportFilter, *, rolled: bool | None = None) -> WhereReport:
    """From `report_places` when the filter narrows by category at most (`rolled=None`; they
    keep no source), else, or with `rolled=False`, from the calls."""
    rolled = (f.rolled_up if rolled is None else rolled) and not f.source_ids
    if rolled and not rollups.fresh(session, f.account_id):
        rolled = False
    report_settings(session)
    leads = lead_keys(session, f.account_id)
    agents: Sequence[Any]
    regions_of: Sequence[Any]
    if rolled:
        p = ReportPlace
        measured = rollups.place_measures(leads)
        agents = session.execute(
            select(p.location, p.agent, *measured)
            .where(*rollups.where(p, f), p.by == "agent")
            .group_by(p.location, p.agent)
        ).all()
        regions_of = session.execute(
            select(p.country, p.region, *measured)
            .where(*rollups.where(p, f), p.by == "region")
            .group_by(p.country, p.region)
        ).all()
    else:
        facts = call_facts(
            f,
            leads,
            Call.location.label("location"),
            Call.agent.label("agent"),
            Call.caller_country.label("country"),
            Call.caller_region.label("region"),
        )
        c = facts.c
        # One pass: agents mostly work at one location and callers come from a few regions,
        # so (location, agent, country, region) groups stay few; they fold into each table.
        agents = regions_of = session.execute(
            select(c.location, c.agent, c.country, c.region, *measures(facts)).group_by(
                c.location, c.agent, c.country, c.region
            )
        ).all()
    by_region: dict[tuple[str | None, str | None], dict[str, int]] = defaultdict(dict)
    for r in regions_of:
        _add(by_region[(r.country, r.region)], r, ("calls", "answered", "leads"))
    regions = [
        RegionRow(country=country, region=region, **acc)
        for (country, region), acc in by_region.items()
    ]
    regions.sort(
        key=lambda g: (
            -g.calls,
            g.country is None,
            g.country or "",
            g.region is None,
            g.region or "",
        )
    )
    return WhereReport(
        filter=echo(f),
        locations=_performance(agents, "location"),
        agents=_performance(agents, "agent"),
        regions=regions,
    )


def attribution(
    session: Session, f: ReportFilter, *, precomputed: bool = True
) -> AttributionReport:
    """From the precomputed credits (brought up to date first), or with `precomputed=False`
    from the journeys themselves."""
    if not precomputed or not rollups.fresh(session, f.account_id):
        return attribution_live(session, f)
    return from_credits(session, f)
