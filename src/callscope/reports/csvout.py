"""Reports as CSV: each report flattened to one table, safe to open in a spreadsheet.

A text cell beginning with `=`, `+`, `-`, `@` (or a tab or carriage return) would be read
as a formula by Excel, LibreOffice and Sheets; such cells get a leading `'` (OWASP's advice)
so a campaign named `=HYPERLINK(...)` shows as text. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from callscope.reports.schemas import (
    AttributionReport,
    Overview,
    SourcesReport,
    TopicsReport,
    WhenReport,
    WhereReport,
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Table = tuple[list[str], list[list[Any]]]


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


KPIS = ["calls", "answered", "missed", "qualified", "first_time", "leads"]


def overview_table(report: Overview) -> Table:
    """One row per local date, then the period's total and the previous period's."""
    rows: list[list[Any]] = [
        [d.date.isoformat(), *(getattr(d, k) for k in KPIS)] for d in report.daily
    ]
    rows.append(["total", *(getattr(report.totals, k) for k in KPIS)])
    rows.append(["previous period", *(getattr(report.previous, k) for k in KPIS)])
    return ["date", *KPIS], rows


def sources_table(report: SourcesReport) -> Table:
    categories = sorted({k for r in report.rows for k in r.categories})
    header = [
        report.group_by,
        "source_id",
        "via",
        "calls",
        "answered",
        "qualified",
        "leads",
        "first_time",
        "repeat",
        "qualified_rate",
        "lead_rate",
        *(f"category:{k}" for k in categories),
    ]
    rows = [
        [
            r.group,
            r.source_id,
            r.via,
            r.calls,
            r.answered,
            r.qualified,
            r.leads,
            r.first_time,
            r.repeat,
            r.qualified_rate,
            r.lead_rate,
            *(r.categories.get(k, 0) for k in categories),
        ]
        for r in report.rows
    ]
    return header, rows


def when_table(report: WhenReport) -> Table:
    rows = [
        [report.weekdays[d], h, report.heatmap[d][h], report.missed_heatmap[d][h]]
        for d in range(7)
        for h in range(24)
    ]
    return ["weekday", "hour", "calls", "missed"], rows


def where_table(report: WhereReport) -> Table:
    """Locations, agents and regions stacked, told apart by the first column."""
    header = ["dimension", "name", "calls", "answered", "answer_rate", "avg_talk_seconds", "leads"]
    rows: list[list[Any]] = []
    for dimension, items in (("location", report.locations), ("agent", report.agents)):
        rows += [
            [dimension, r.name, r.calls, r.answered, r.answer_rate, r.avg_talk_seconds, r.leads]
            for r in items
        ]
    for g in report.regions:
        name = " / ".join(p for p in (g.country, g.region) if p) or "(none)"
        rate = round(g.answered / g.calls, 4) if g.calls else None
        rows.append(["region", name, g.calls, g.answered, rate, None, g.leads])
    return header, rows


def attribution_table(report: AttributionReport) -> Table:
    header = ["source_id", "source", "channel", *report.models]
    rows = [
        [r.source_id, r.source, r.channel, *(getattr(r, m) for m in report.models)]
        for r in report.rows
    ]
    return header, rows


def topics_table(report: TopicsReport) -> Table:
    """Phrases per category and per source, then sentiment counts per source."""
    rows: list[list[Any]] = []
    for c in report.by_category:
        rows += [["category", c.category, p.phrase, p.calls] for p in c.phrases]
    for s in report.by_source:
        rows += [["source", s.source, p.phrase, p.calls] for p in s.phrases]
    for t in report.sentiment_by_source:
        rows += [["sentiment", t.source, k, n] for k, n in t.sentiment.items()]
    return ["dimension", "group", "item", "calls"], rows
