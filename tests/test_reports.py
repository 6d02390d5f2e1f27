"""Reports over the fixed dataset of tests/reports_data.py (America/Chicago, the week of
2026-11-01 .. 2026-11-07 across the end of daylight time): every expected number below is
worked out by hand from the story told there, never by the code under test.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session

from callscope.accounts.models import Account
from callscope.reports.csvout import cell
from callscope.reports.facts import report_settings
from callscope.reports.localtime import offset_segments
from tests.factories import Tenant
from tests.reports_data import FLYER_NUMBER, FORMULA, WEEK, Data, seed


@pytest.fixture
def data(app: FastAPI, tenant: Tenant, other: Tenant) -> Data:
    return seed(app, tenant, other)


def kpis(
    calls: int, answered: int, missed: int, qualified: int, first: int, leads: int
) -> dict[str, int]:
    return {"calls": calls, "answered": answered, "missed": missed, "qualified": qualified,
            "first_time": first, "leads": leads}  # fmt: skip


def report(tenant: Tenant, name: str, query: str = WEEK) -> Any:
    return tenant.ok("get", f"/reports/{name}?{query}")


def test_overview_counts_local_days_and_compares_with_the_previous_week(
    tenant: Tenant, data: Data
) -> None:
    body = report(tenant, "overview")
    assert body["filter"] == {
        "from": "2026-11-01", "to": "2026-11-07", "timezone": "America/Chicago",
        "previous_from": "2026-10-25", "previous_to": "2026-10-31", "source": [],
        "campaign": None, "number": None, "location": None, "category": None,
    }  # fmt: skip
    # c7 c1 c2 c3 c4 c5; answered c1 c2 c4; missed c7 (busy) c3 c5 (voicemail)
    assert body["totals"] == kpis(6, 3, 3, 2, 3, 2)
    assert body["previous"] == kpis(2, 1, 1, 1, 2, 1)  # c8, c9
    assert body["change"]["calls"] == {"delta": 4, "percent": 200.0}
    assert body["change"]["first_time"] == {"delta": 1, "percent": 50.0}
    assert body["change"]["leads"] == {"delta": 1, "percent": 100.0}
    assert body["categories"] == [
        {"category": "appointment", "calls": 1},
        {"category": "customer_service", "calls": 1},
        {"category": "quote", "calls": 1},
        {"category": "voicemail", "calls": 1},
    ]
    daily = {d.pop("date"): d for d in body["daily"]}
    assert list(daily) == [f"2026-11-0{i}" for i in range(1, 8)]
    assert daily["2026-11-01"] == kpis(1, 0, 1, 0, 0, 0)  # c7 at 00:30 CDT
    assert daily["2026-11-02"] == kpis(1, 1, 0, 1, 0, 1)
    assert daily["2026-11-03"] == kpis(1, 1, 0, 1, 1, 1)
    assert daily["2026-11-04"] == kpis(1, 0, 1, 0, 1, 0)
    assert daily["2026-11-05"] == kpis(1, 1, 0, 0, 0, 0)
    assert daily["2026-11-06"] == kpis(0, 0, 0, 0, 0, 0)
    assert daily["2026-11-07"] == kpis(1, 0, 1, 0, 1, 0)  # c5 at 23:30 CST; c6 at 00:30 is out


def test_filters_narrow_every_part_of_the_report(tenant: Tenant, other: Tenant, data: Data) -> None:
    def totals(query: str) -> tuple[int, int]:
        body = report(tenant, "overview", f"{WEEK}&{query}")
        return body["totals"]["calls"], body["previous"]["calls"]

    assert totals(f"source={data.google}") == (2, 1)
    assert totals(f"source={data.google}&source={data.flyer}") == (5, 2)
    assert totals(f"source={data.rival_source}") == (0, 0)  # another account's id: nothing
    assert totals("campaign=brand") == (1, 0)  # c1; Rival's call in "brand" is not Acme's
    assert totals(f"number=%2B{FLYER_NUMBER[1:]}") == (3, 1)  # c3 c4 c5; c9
    assert totals("location=Dallas") == (2, 0)  # c3 c4 (c11 is outbound)
    assert totals("category=appointment") == (1, 0)
    assert totals("category=sale") == (0, 1)  # c6 is after the week, c8 before it
    assert totals("campaign=%27%20OR%201%3D1%20--") == (0, 0)
    # Rival sees its own call only.
    assert other.ok("get", f"/reports/overview?{WEEK}")["totals"] == kpis(1, 1, 0, 1, 1, 1)


def test_default_period_is_the_30_days_ending_today_in_the_account_zone(
    tenant: Tenant, data: Data
) -> None:
    echo = report(tenant, "overview", "")["filter"]
    today = datetime.now(ZoneInfo("America/Chicago")).date()
    assert (echo["from"], echo["to"]) == (str(today - timedelta(days=29)), str(today))
    assert (echo["previous_from"], echo["previous_to"]) == (
        str(today - timedelta(days=59)),
        str(today - timedelta(days=30)),
    )
    assert report(tenant, "overview", "to=2026-11-07")["filter"]["from"] == "2026-10-09"


def test_sources_by_source_and_by_session_dimensions(tenant: Tenant, data: Data) -> None:
    rows = report(tenant, "sources")["rows"]
    assert rows == [
        {"group": "Flyer", "source_id": data.flyer, "via": "source", "calls": 3, "answered": 1,
         "qualified": 0, "leads": 0, "first_time": 2, "repeat": 1,
         "categories": {"customer_service": 1, "voicemail": 1}, "qualified_rate": 0.0,
         "lead_rate": 0.0},
        {"group": "Google Ads", "source_id": data.google, "via": "source", "calls": 2,
         "answered": 2, "qualified": 2, "leads": 2, "first_time": 1, "repeat": 1,
         "categories": {"appointment": 1, "quote": 1}, "qualified_rate": 1.0, "lead_rate": 1.0},
        {"group": "(none)", "source_id": None, "via": "none", "calls": 1, "answered": 0,
         "qualified": 0, "leads": 0, "first_time": 0, "repeat": 0, "categories": {},
         "qualified_rate": 0.0, "lead_rate": 0.0},
    ]  # fmt: skip

    def groups(by: str) -> dict[tuple[str, str], int]:
        body = report(tenant, "sources", f"{WEEK}&group_by={by}")
        assert body["group_by"] == by
        return {(r["group"], r["via"]): r["calls"] for r in body["rows"]}

    static = {("Flyer", "source"): 3, ("(none)", "none"): 1}
    assert groups("campaign") == {("brand", "session"): 1, ("(none)", "session"): 1} | static
    assert groups("keyword") == {(FORMULA, "session"): 1, ("(none)", "session"): 1} | static
    assert groups("medium") == {("cpc", "session"): 1, ("(none)", "session"): 1} | static
    assert groups("channel") == {
        ("offline", "source"): 3,
        ("paid_search", "session"): 1,
        ("direct", "session"): 1,
        ("(none)", "none"): 1,
    }
    brand = report(tenant, "sources", f"{WEEK}&group_by=campaign&campaign=brand")["rows"]
    assert [(r["group"], r["leads"], r["categories"]) for r in brand] == [
        ("brand", 1, {"appointment": 1})
    ]


def test_when_is_a_local_weekday_by_hour_heat_map(tenant: Tenant, data: Data) -> None:
    body = report(tenant, "when")
    assert body["weekdays"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    cells = {(d, h): n for d, row in enumerate(body["heatmap"]) for h, n in enumerate(row) if n}
    assert cells == {(6, 0): 1, (0, 8): 1, (1, 10): 1, (2, 14): 1, (3, 12): 1, (5, 23): 1}
    missed = {
        (d, h): n for d, row in enumerate(body["missed_heatmap"]) for h, n in enumerate(row) if n
    }
    assert missed == {(6, 0): 1, (2, 14): 1, (5, 23): 1}
    assert body["missed_by_hour"] == [1 if h in (0, 14, 23) else 0 for h in range(24)]
    assert sum(body["calls_by_hour"]) == 6


def test_when_follows_quarter_hour_zones(app: FastAPI, tenant: Tenant, data: Data) -> None:
    with app.state.sessionmaker.begin() as s:
        s.execute(
            update(Account)
            .where(Account.id == tenant.account_id)
            .values(timezone="Asia/Kathmandu")  # UTC+5:45
        )
    # Local week 11-01 00:00 +05:45 = 10-31 18:15 UTC .. 11-07 18:15 UTC: c9 c7 c1 c2 c3 c4.
    body = report(tenant, "when")
    cells = {(d, h): n for d, row in enumerate(body["heatmap"]) for h, n in enumerate(row) if n}
    # c9 Sun 10:15, c7 Sun 11:15, c1 Mon 19:55, c2 Tue 21:50, c3 Thu 01:45, c4 Fri 00:15
    assert cells == {(6, 10): 1, (6, 11): 1, (0, 19): 1, (1, 21): 1, (3, 1): 1, (4, 0): 1}


def test_where_by_location_agent_and_region(tenant: Tenant, data: Data) -> None:
    body = report(tenant, "where")
    assert body["locations"] == [
        {"name": "Austin", "calls": 3, "answered": 2, "answer_rate": 0.6667,
         "avg_talk_seconds": 160.0, "leads": 2},
        {"name": "Dallas", "calls": 2, "answered": 1, "answer_rate": 0.5,
         "avg_talk_seconds": 40.0, "leads": 0},
        {"name": "(none)", "calls": 1, "answered": 0, "answer_rate": 0.0,
         "avg_talk_seconds": None, "leads": 0},
    ]  # fmt: skip
    assert [
        (a["name"], a["calls"], a["answered"], a["avg_talk_seconds"]) for a in body["agents"]
    ] == [
        ("(none)", 3, 0, None),
        ("Maria", 2, 2, 160.0),
        ("Joe", 1, 1, 40.0),
    ]
    assert body["regions"] == [
        {"country": "US", "region": "Texas", "calls": 4, "answered": 3, "leads": 2},
        {"country": "US", "region": "Illinois", "calls": 1, "answered": 0, "leads": 0},
        {"country": None, "region": None, "calls": 1, "answered": 0, "leads": 0},
    ]


def test_attribution_models_side_by_side(tenant: Tenant, data: Data) -> None:
    body = report(tenant, "attribution")
    assert (body["qualified_calls"], body["sales_cycle_days"], body["half_life_days"]) == (
        2,
        30,
        7.0,
    )
    # c1's journey: E (Yelp, via c0's session: same caller), A (Organic), B (Google): 3 touches.
    # c2's journey: D (Google, paid), C (direct, no source): 2 touches.
    # time decay, in minutes before the call, half-life 10080 min: c1: E 25880, A 18670,
    # B 10; c2: D 65, C 5. weight = 0.5 ** (minutes / 10080), normalised per call.
    rows = {r["source"]: r for r in body["rows"]}
    assert rows["Google Ads"] == {
        "source_id": data.google, "source": "Google Ads", "channel": "paid_search",
        "first_touch": 1.0, "last_touch": 1.0, "last_non_direct": 2.0, "linear": 0.8333,
        "time_decay": 1.1905, "position_based": 0.9,
    }  # fmt: skip
    assert rows["Yelp"] == {
        "source_id": data.yelp, "source": "Yelp", "channel": "referral", "first_touch": 1.0,
        "last_touch": 0.0, "last_non_direct": 0.0, "linear": 0.3333, "time_decay": 0.1167,
        "position_based": 0.4,
    }  # fmt: skip
    assert rows["Organic"]["linear"] == 0.3333
    assert rows["Organic"]["time_decay"] == 0.1917
    assert rows["Organic"]["position_based"] == 0.2
    assert rows["(none)"] == {
        "source_id": None, "source": "(none)", "channel": None, "first_touch": 0.0,
        "last_touch": 1.0, "last_non_direct": 0.0, "linear": 0.5, "time_decay": 0.501,
        "position_based": 0.5,
    }  # fmt: skip
    for model in body["models"]:
        assert round(sum(r[model] for r in body["rows"]), 3) == 2.0
    # The previous week: c8 came without a session and credits its own source in full.
    before = report(tenant, "attribution", "from=2026-10-25&to=2026-10-31")
    assert [(r["source"], r["first_touch"], r["time_decay"]) for r in before["rows"]] == [
        ("Google Ads", 1.0, 1.0)
    ]


def test_topics_phrases_and_sentiment(tenant: Tenant, data: Data) -> None:
    body = report(tenant, "topics")
    assert body["by_category"] == [
        {"category": "appointment", "phrases": [{"phrase": "tomorrow morning", "calls": 1},
                                                {"phrase": "water heater", "calls": 1}]},
        {"category": "customer_service", "phrases": [{"phrase": "refund", "calls": 1}]},
        {"category": "quote", "phrases": [{"phrase": "price", "calls": 1},
                                          {"phrase": "water heater", "calls": 1}]},
    ]  # fmt: skip
    assert body["by_source"] == [
        {"source_id": data.flyer, "source": "Flyer", "phrases": [{"phrase": "refund", "calls": 1}]},
        {"source_id": data.google, "source": "Google Ads",
         "phrases": [{"phrase": "water heater", "calls": 2}, {"phrase": "price", "calls": 1},
                     {"phrase": "tomorrow morning", "calls": 1}]},
    ]  # fmt: skip
    assert body["sentiment_by_source"] == [
        {"source_id": data.flyer, "source": "Flyer", "sentiment": {"negative": 1, "neutral": 1}},
        {"source_id": data.google, "source": "Google Ads", "sentiment": {"positive": 2}},
    ]


def csv_of(tenant: Tenant, path: str) -> tuple[Any, list[list[str]]]:
    response = tenant.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return response, list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_csv_exports_parse_and_are_safe_in_a_spreadsheet(tenant: Tenant, data: Data) -> None:
    response, rows = csv_of(tenant, f"/reports/overview.csv?{WEEK}")
    assert response.headers["content-disposition"] == (
        'attachment; filename="callscope-overview-2026-11-01-to-2026-11-07.csv"'
    )
    assert rows[0] == ["date", "calls", "answered", "missed", "qualified", "first_time", "leads"]
    assert rows[1] == ["2026-11-01", "1", "0", "1", "0", "0", "0"]
    assert rows[-2:] == [
        ["total", "6", "3", "3", "2", "3", "2"],
        ["previous period", "2", "1", "1", "1", "2", "1"],
    ]
    assert len(rows) == 1 + 7 + 2

    response, rows = csv_of(tenant, f"/reports/sources.csv?{WEEK}&group_by=keyword")
    assert "sources-by-keyword" in response.headers["content-disposition"]
    header, *body = rows
    assert header[:4] == ["keyword", "source_id", "via", "calls"]
    assert "category:voicemail" in header
    assert ["'" + FORMULA, "", "session", "1"] in [r[:4] for r in body]

    _, rows = csv_of(tenant, f"/reports/when.csv?{WEEK}")
    assert rows[0] == ["weekday", "hour", "calls", "missed"]
    assert len(rows) == 1 + 7 * 24
    assert ["Sat", "23", "1", "1"] in rows

    _, rows = csv_of(tenant, f"/reports/where.csv?{WEEK}")
    assert ["location", "Austin", "3", "2", "0.6667", "160.0", "2"] in rows
    assert ["region", "US / Illinois", "1", "0", "0.0", "", "0"] in rows

    _, rows = csv_of(tenant, f"/reports/attribution.csv?{WEEK}")
    assert rows[0][:4] == ["source_id", "source", "channel", "first_touch"]
    assert len(rows) == 1 + 4

    _, rows = csv_of(tenant, f"/reports/topics.csv?{WEEK}")
    assert ["source", "Google Ads", "water heater", "2"] in rows
    assert ["sentiment", "Flyer", "negative", "1"] in rows

    assert [cell(v) for v in ("=1+1", "+1", "-2", "@x", "\tx", "ok", -2, None)] == [
        "'=1+1", "'+1", "'-2", "'@x", "'\tx", "ok", -2, "",
    ]  # fmt: skip


BAD_QUERIES = [
    ("from=2026-13-01", "#/from"),
    ("from=2026/11/01", "#/from"),
    ("from=20261101", "#/from"),
    ("to=1999-12-31", "#/to"),
    ("from=2026-11-07&to=2026-11-01", "#/to"),
    ("from=2025-01-01&to=2026-02-05", "#/to"),  # 401 days
    ("source=abc", "#/source/0"),
    ("source=0", "#/source/0"),
    ("number=5125550111", "#/number"),
    ("category=Sale%3B%20DROP", "#/category"),
    ("campaign=" + "x" * 201, "#/campaign"),
    ("campaign=a%00b", "#/campaign"),
    ("location=%0Aevil", "#/location"),
    ("bogus=1", "#/bogus"),
    ("&".join(["source=1"] * 51), "#/source"),
    ("from=" + "2" * 5000, "#/from"),
]


def test_bad_queries_are_422_problems_naming_the_field(tenant: Tenant) -> None:
    for query, pointer in BAD_QUERIES:
        response = tenant.get(f"/reports/overview?{query}")
        assert response.status_code == 422, (query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "urn:callscope:problem:validation-error"
        assert [e["pointer"] for e in problem["errors"]] == [pointer], query
    reversed_range = tenant.get("/reports/overview?from=2026-11-07&to=2026-11-01").json()
    assert reversed_range["detail"] == "`to` (2026-11-01) is before `from` (2026-11-07)"
    huge = tenant.get("/reports/overview?from=2025-01-01&to=2026-02-05").json()
    assert huge["detail"] == "the range is 401 days; at most 400 days per report"


def test_bad_group_by_and_limits_on_every_report(tenant: Tenant) -> None:
    response = tenant.get("/reports/sources?group_by=city")
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/group_by"
    assert tenant.get("/reports/sources.csv?group_by=city").status_code == 422
    assert tenant.get("/reports/when?group_by=source").status_code == 422  # not a when filter
    for name in ("overview", "sources", "when", "where", "attribution", "topics"):
        assert tenant.get(f"/reports/{name}?from=2025-01-01&to=2026-02-04").status_code == 200
        assert tenant.get(f"/reports/{name}.csv?to=2026-01-01&from=2026-01-02").status_code == 422
        assert tenant.client.get(f"/api/v1/reports/{name}").status_code == 401


def test_offset_changes_are_found_to_the_second() -> None:
    # Lord Howe Island shifts by 30 minutes: back at 02:00 local daylight time (UTC+11) on
    # 2026-04-05, forward at 02:00 local standard time (UTC+10:30) on 2026-10-04.
    segments = offset_segments(
        ZoneInfo("Australia/Lord_Howe"),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert [(datetime.fromtimestamp(at, UTC), offset) for at, offset in segments] == [
        (datetime(2026, 1, 1, tzinfo=UTC), 11 * 3600),
        (datetime(2026, 4, 4, 15, 0, tzinfo=UTC), 10 * 3600 + 1800),
        (datetime(2026, 10, 3, 15, 30, tzinfo=UTC), 11 * 3600),
    ]


def test_report_settings_hold_for_the_transaction_only(engine: Engine) -> None:
    """On PostgreSQL a report plans each statement for its values, without JIT; SQLite is
    left alone. The settings end with the transaction, so a pooled connection keeps none."""
    postgres = engine.dialect.name == "postgresql"
    with Session(engine) as s:
        jit = s.execute(text("SHOW jit")).scalar() if postgres else None
        s.rollback()
        report_settings(s)
        if postgres:
            assert s.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
            assert s.execute(text("SHOW jit")).scalar() == "off"
            assert s.execute(text("SHOW work_mem")).scalar() == "32MB"
            assert s.execute(text("SHOW enable_hashjoin")).scalar() == "off"
        s.rollback()
        if postgres:
            assert s.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
            assert s.execute(text("SHOW jit")).scalar() == jit
