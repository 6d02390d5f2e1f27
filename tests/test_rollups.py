"""The reports' precomputed tables (daily rollups, key-phrase counts, place counts,
attribution credits)
against the live queries, on both backends: after a first build, after each kind of change
a writer makes (a new call, a Core bulk update, a call moved across midnight, a category
correction, an earlier call joining a later call's journey), after a time zone or sales cycle
change, and when refreshed from the CLI. The live queries are checked against hand-computed
numbers in test_reports.py.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from callscope.accounts.models import Account
from callscope.calls.models import Call
from callscope.db.base import utcnow
from callscope.intel.models import CallInsight
from callscope.reports import queries, rollups
from callscope.reports.filters import ReportFilter, ReportQuery, resolve
from callscope.reports.models import (
    CallCredit,
    ReportDay,
    ReportPhrase,
    ReportPlace,
    ReportState,
)
from tests.cli import run
from tests.factories import Tenant
from tests.reports_data import Data, add, call, insight, seed, utc, visit

QUERIES = [
    {"from": "2026-11-01", "to": "2026-11-07"},
    {"from": "2026-10-01", "to": "2026-11-30"},
    {"from": "2026-11-02", "to": "2026-11-02"},
    {"from": "2026-10-01", "to": "2026-11-30", "category": "sale"},
]


@pytest.fixture
def data(app: FastAPI, tenant: Tenant, other: Tenant) -> Data:
    return seed(app, tenant, other)


def _filter(s: Session, account_id: int, params: dict[str, Any]) -> ReportFilter:
    account = s.get(Account, account_id)
    assert account is not None
    return resolve(ReportQuery.model_validate(params), account_id, account.timezone)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def both(app: FastAPI, account_id: int, params: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(precomputed, live) answers of the five reports that have a precomputed form."""
    pairs = []
    runs = [
        (queries.overview, {"rolled": True}, {"rolled": False}),
        (queries.topics, {"rolled": True}, {"rolled": False}),
        (queries.where, {"rolled": True}, {"rolled": False}),
        (queries.attribution, {"precomputed": True}, {"precomputed": False}),
    ]
    for report_of, fast, slow in runs:
        answers = []
        for kw in (fast, slow):
            with app.state.reader() as s:  # as a GET request's session
                f = _filter(s, account_id, params)
                answers.append(_rounded(report_of(s, f, **kw).model_dump()))
        pairs.append((answers[0], answers[1]))
    answers = []
    for rolled in (True, False):
        with app.state.reader() as s:
            f = _filter(s, account_id, params)
            answers.append(queries.sources(s, f, "source", rolled=rolled).model_dump())
    pairs.append((answers[0], answers[1]))
    return pairs


def assert_same(app: FastAPI, account_id: int, queries_: list[dict[str, Any]] = QUERIES) -> None:
    for params in queries_:
        for precomputed, live in both(app, account_id, params):
            assert precomputed == live, params


def ids(app: FastAPI, account_id: int) -> dict[str, int]:
    with app.state.sessionmaker() as s:
        return dict(
            s.execute(
                select(Call.provider_call_id, Call.id).where(Call.account_id == account_id)
            ).all()
        )


def state(app: FastAPI, account_id: int) -> ReportState | None:
    with app.state.sessionmaker() as s:
        return s.get(ReportState, account_id)


def report(tenant: Tenant, name: str, query: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = tenant.ok("get", f"/reports/{name}?{query}")["rows"]
    return rows


def overview_week(tenant: Tenant, query: str = "from=2026-11-01&to=2026-11-07") -> Any:
    return tenant.ok("get", f"/reports/overview?{query}")


def test_first_build_equals_the_live_queries(app: FastAPI, tenant: Tenant, data: Data) -> None:
    assert state(app, tenant.account_id) is None
    assert_same(app, tenant.account_id, [*QUERIES, {"from": "2026-11-01", "source": [data.flyer]}])
    built = state(app, tenant.account_id)
    assert built is not None
    assert built.timezone == "America/Chicago"
    assert built.days_through is not None
    assert built.credits_through is not None
    with app.state.sessionmaker() as s:
        # Only the account's own calls: the rival's call on 11-01 is in its own rows.
        acme = s.scalar(
            select(func.sum(ReportDay.calls)).where(ReportDay.account_id == tenant.account_id)
        )
        credited = s.scalars(
            select(CallCredit.call_id).where(CallCredit.account_id == tenant.account_id)
        ).all()
        places = dict(
            s.execute(
                select(ReportPlace.by, func.sum(ReportPlace.calls))
                .where(ReportPlace.account_id == tenant.account_id)
                .group_by(ReportPlace.by)
            ).all()
        )
    assert acme == 10  # c0..c9 but the outbound c11
    assert places == {"agent": 10, "region": 10}  # each call once in each kind of row
    by_key = ids(app, tenant.account_id)
    # qualified inbound calls: c0 c8 c1 c2 c6; c1's journey has 3 touches (E, A, B)
    expected = {by_key[k] for k in ("c0", "c8", "c1", "c2", "c6")}
    assert set(credited) == expected
    assert credited.count(by_key["c1"]) == 3


def test_a_new_call_and_its_insight_reach_the_report_at_once(
    app: FastAPI, tenant: Tenant, data: Data
) -> None:
    a = tenant.account_id
    before = overview_week(tenant)["totals"]
    [new] = add(app, [call(a, "n1", utc(11, 6, 17), caller="+15125557001", source_id=data.google,
                           talk_seconds=90, qualified=True, first_time_caller=False)])  # fmt: skip
    after = overview_week(tenant)["totals"]
    assert after["calls"] == before["calls"] + 1
    assert after["qualified"] == before["qualified"] + 1
    assert after["leads"] == before["leads"]
    add(app, [insight(a, new, "sale", "positive", "new boiler")])
    assert overview_week(tenant)["totals"]["leads"] == before["leads"] + 1
    topics = tenant.ok("get", "/reports/topics?from=2026-11-01&to=2026-11-07")
    phrases = {p["phrase"] for c in topics["by_category"] for p in c["phrases"]}
    assert "new boiler" in phrases
    assert_same(app, a)


def test_core_bulk_updates_are_seen(app: FastAPI, tenant: Tenant, data: Data) -> None:
    """The processor updates calls with an ORM bulk UPDATE by primary key, the CDR import
    and recordings with Core statements: each stamps `updated_at`."""
    a = tenant.account_id
    assert_same(app, a)
    by_key = ids(app, a)
    with app.state.sessionmaker.begin() as s:
        s.execute(update(Call), [{"id": by_key["c3"], "status": "answered", "talk_seconds": 75}])
        s.execute(update(Call).where(Call.id == by_key["c9"]).values(status="answered"))
    week = overview_week(tenant)["totals"]
    assert (week["answered"], week["missed"]) == (4, 2)  # c3 answered now; c7 c5 missed
    assert overview_week(tenant, "from=2026-10-25&to=2026-10-31")["totals"]["answered"] == 2
    assert_same(app, a)


def test_a_call_moved_across_midnight_leaves_its_old_day(
    app: FastAPI, tenant: Tenant, data: Data
) -> None:
    a = tenant.account_id
    daily = {d["date"]: d["calls"] for d in overview_week(tenant)["daily"]}
    assert (daily["2026-11-01"], daily["2026-11-02"]) == (1, 1)
    with app.state.sessionmaker.begin() as s:  # c1 on 11-02 08:10 local, moved 10 hours back
        s.execute(
            update(Call)
            .where(Call.id == ids(app, a)["c1"])
            .values(started_at=utc(11, 2, 4, 10))  # 11-01 22:10 CST
        )
    daily = {d["date"]: d["calls"] for d in overview_week(tenant)["daily"]}
    assert (daily["2026-11-01"], daily["2026-11-02"]) == (2, 0)
    assert_same(app, a)


def test_a_category_correction_moves_counts_between_categories(
    app: FastAPI, tenant: Tenant, data: Data
) -> None:
    a = tenant.account_id
    cats = {c["category"]: c["calls"] for c in overview_week(tenant)["categories"]}
    assert cats == {"appointment": 1, "customer_service": 1, "quote": 1, "voicemail": 1}
    tenant.ok("patch", f"/calls/{ids(app, a)['c2']}/analysis", {"category": "sale"})
    cats = {c["category"]: c["calls"] for c in overview_week(tenant)["categories"]}
    assert cats == {"appointment": 1, "customer_service": 1, "sale": 1, "voicemail": 1}
    assert_same(app, a)


def test_an_earlier_call_joins_the_journey_of_the_callers_later_calls(
    app: FastAPI, tenant: Tenant, data: Data
) -> None:
    """c2's caller called once before from another device (visitor v9, who came from Yelp):
    that visit joins c2's journey, which the incremental refresh must see."""
    a = tenant.account_id
    week = {"from": "2026-11-01", "to": "2026-11-07"}

    def credit(source: str) -> float:
        with app.state.reader() as s:
            rows = queries.attribution(s, _filter(s, a, week)).rows
        return sum(r.linear for r in rows if r.source == source)

    assert credit("Yelp") == pytest.approx(1 / 3, abs=1e-4)  # c1's journey E, A, B
    site = tenant.site()["id"]
    [v9] = add(app, [visit(a, site, "V9", "v9", utc(10, 30, 12), channel="referral",
                           source_id=data.yelp)])  # fmt: skip
    add(app, [call(a, "e1", utc(10, 30, 12, 5), "missed", caller="+15125557002", session_id=v9,
                   source_id=data.yelp, first_time_caller=True)])  # fmt: skip
    # c2 (sessions D, C of v2) now also has V9 before them: linear 1/3 to Yelp
    assert credit("Yelp") == pytest.approx(2 / 3, abs=1e-4)
    assert_same(app, a)


def test_time_zone_and_sales_cycle_changes_rebuild(
    app: FastAPI, tenant: Tenant, data: Data
) -> None:
    a = tenant.account_id
    assert_same(app, a)
    with app.state.sessionmaker.begin() as s:
        s.execute(update(Account).where(Account.id == a).values(timezone="Asia/Kolkata"))
    assert_same(app, a)
    assert (built := state(app, a)) is not None
    assert built.timezone == "Asia/Kolkata"
    with app.state.sessionmaker.begin() as s:
        s.execute(update(Account).where(Account.id == a).values(sales_cycle_days=1))
    assert_same(app, a)
    assert (built := state(app, a)) is not None
    assert built.sales_cycle_days == 1


def test_nothing_changed_means_nothing_to_do(app: FastAPI, tenant: Tenant, data: Data) -> None:
    a = tenant.account_id
    with app.state.reader() as s:
        assert rollups.stale(s, a)
        assert rollups.fresh(s, a)
        # The seed's rows were stamped within the margin: remembered as counted.
        assert not rollups.stale(s, a)
    aged = utcnow() - rollups.MARGIN - timedelta(minutes=1)
    with app.state.sessionmaker.begin() as s:  # as if the seed had been written earlier
        s.execute(update(Call).where(Call.account_id == a).values(updated_at=aged))
        s.execute(update(CallInsight).where(CallInsight.account_id == a).values(updated_at=aged))
    with app.state.reader() as s:
        assert rollups.fresh(s, a)
        assert not rollups.stale(s, a)
    add(app, [call(a, "n2", utc(11, 6, 17), source_id=data.google)])
    with app.state.reader() as s:
        assert rollups.stale(s, a)


def _ids_of(app: FastAPI, table: Any, account_id: int) -> set[int]:
    with app.state.sessionmaker() as s:
        return set(s.scalars(select(table.id).where(table.account_id == account_id)))


def test_changes_within_the_margin_are_counted_once(
    app: FastAPI, tenant: Tenant, data: Data
) -> None:
    a = tenant.account_id
    with app.state.sessionmaker() as s:
        assert rollups.refresh(s, a).full_days  # the seed, all stamped within the margin
        s.commit()
    phrase_rows = _ids_of(app, ReportPhrase, a)
    add(app, [call(a, "n3", utc(11, 6, 17), source_id=data.google)])
    with app.state.sessionmaker() as s:
        first = rollups.refresh(s, a)  # the new call's day and the days beside it, not the seed's
        s.commit()
    # A call without an insight has no key phrases: the phrase counts were left as they were.
    assert _ids_of(app, ReportPhrase, a) == phrase_rows
    with app.state.sessionmaker() as s:
        again = rollups.refresh(s, a)
        s.commit()
    assert (first.days, first.credited) == (3, 0)
    assert (again.days, again.credited) == (0, 0)
    # Stamped before the last refresh, committed after it (a slow transaction): still counted.
    built = state(app, a)
    assert built is not None
    assert built.days_through is not None
    late = built.days_through - timedelta(seconds=30)
    c3 = ids(app, a)["c3"]
    with app.state.sessionmaker.begin() as s:
        s.execute(
            update(Call)
            .where(Call.id == c3)
            .values(status="answered", talk_seconds=75, updated_at=late)
        )
    with app.state.reader() as s:
        assert rollups.stale(s, a)
    with app.state.sessionmaker() as s:
        assert rollups.refresh(s, a).days == 3
        s.commit()
    assert_same(app, a)


def test_a_large_account_reads_the_calls_until_the_cli_builds_the_tables(
    app: FastAPI, tenant: Tenant, data: Data, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build of a large account is too long for a request: the report reads the
    calls (with the same numbers) and leaves the build to `callscope reports refresh`."""
    a = tenant.account_id
    monkeypatch.setattr(rollups, "INLINE_FULL", 3)
    live = overview_week(tenant)
    assert live["totals"]["calls"] == 6
    assert state(app, a) is None
    assert tenant.ok("get", "/reports/attribution?from=2026-11-01&to=2026-11-07")["rows"]
    assert state(app, a) is None
    done = run("reports", "refresh", env={"CALLSCOPE_DATABASE_URL": settings.database_url})
    assert done.returncode == 0, done.stderr
    assert state(app, a) is not None
    with app.state.reader() as s:
        assert rollups.fresh(s, a)  # built: read, whatever the size
    assert overview_week(tenant) == live
    assert_same(app, a)


def test_concurrent_refreshes_do_not_collide(app: FastAPI, tenant: Tenant, data: Data) -> None:
    a = tenant.account_id
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with app.state.reader() as s:
                queries.overview(s, _filter(s, a, QUERIES[1]))
                queries.attribution(s, _filter(s, a, QUERIES[1]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert_same(app, a)


def test_cli_refresh(app: FastAPI, tenant: Tenant, data: Data, settings: Any) -> None:
    env = {"CALLSCOPE_DATABASE_URL": settings.database_url}
    done = run("reports", "refresh", "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    mine = next(r for r in rows if r["account_id"] == tenant.account_id)
    assert (mine["full_days"], mine["full_credits"], mine["credited"]) == (True, True, 5)
    again = run("reports", "refresh", "--json", "--account", str(tenant.account_id), env=env)
    assert again.returncode == 0, again.stderr
    [row] = [json.loads(line) for line in again.stdout.splitlines()]
    assert not row["full_days"]
    full = run("reports", "refresh", "--full", "--account", str(tenant.account_id), env=env)
    assert full.returncode == 0, full.stderr
    assert "rebuilt" in full.stdout
    assert_same(app, tenant.account_id)
    for bad in (["--account", "999999999"], ["--account", "x"], ["--account", "-1"]):
        failed = run("reports", "refresh", *bad, env=env)
        assert failed.returncode != 0
        assert "account" in (failed.stdout + failed.stderr).lower()


def test_deleting_a_source_or_changing_its_channel_reaches_the_reports(
    app: FastAPI, tenant: Tenant, data: Data
) -> None:
    """The calls' source goes with a deleted source (and SQLite may give its id to the next
    source made); a source's channel decides last non-direct credit for calls without a
    session. Both stamp the source's calls."""
    a = tenant.account_id
    assert_same(app, a)
    tenant.ok("patch", f"/sources/{data.google}", {"channel": "direct"})
    assert_same(app, a)
    assert tenant.delete(f"/sources/{data.google}").status_code == 204
    tenant.source(name="Bing Ads", channel="paid_search")
    week = "from=2026-11-01&to=2026-11-07"
    assert data.google not in {r["source_id"] for r in report(tenant, "sources", week)}
    assert data.google not in {r["source_id"] for r in report(tenant, "attribution", week)}
    with app.state.reader() as s:
        kept = s.scalars(select(CallCredit.source_id).where(CallCredit.account_id == a)).all()
    assert data.google not in kept
    assert_same(app, a)
