"""Report latency at a million calls: p50/p95 of each report's JSON endpoint, against /livez.

    python bench/reports.py [--calls 1000000] [--sessions 5000000]
                            [--backend sqlite|postgresql|both] [--runs 20] [--reports a,b]
                            [--revision REV] [--fresh] [--drop] [--no-plans] [--json]

The dataset (bench/reports_data.py): 100 accounts, one big one with `--calls` calls and
`--sessions` visitor sessions over two years, the others a thousandth of that each,
loaded in bulk (executemany in big batches on SQLite, COPY on PostgreSQL) into a database
migrated by callscope.db.migrate, then ANALYZEd (VACUUM ANALYZE on PostgreSQL, as autovacuum
would after a load). The database is kept between runs (var/bench/*.sqlite, PostgreSQL
database `bench_reports_<calls>_<sessions>`), keyed by the parameters and GENERATOR; every
run upgrades it to the head revision first, so new migrations apply to a cached dataset.
`--fresh` rebuilds it, `--drop` removes it afterwards.

Then the reports' precomputed tables (daily rollups, attribution credits) are built for
every account, timed, as `callscope reports refresh` would after an upgrade. Then one real
server (`callscope serve`, one uvicorn process) answers, for a 90-day range
(2026-09-02 .. 2026-11-30, which crosses the end of daylight time), each report `--runs`
times after 2 warm-ups, one request at a time, and GET /livez as many times: p50/p95 per
report and the ratio of each to /livez's p50 in the same run; then the overview again, each
time right after one new call was written (what bringing the rollups up to date adds to a
read; the calls are removed and the tables rebuilt afterwards). Last, each report is run once
in-process with every SQL statement timed; the slowest statement's plan is printed
(EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from sqlalchemy import delete, event, inspect, select, text

from callscope.accounts.models import Account
from callscope.accounts.service import create_token
from callscope.calls.models import Call
from callscope.db import migrate
from callscope.db.engine import make_engine, make_sessionmaker
from callscope.reports import queries, rollups
from callscope.reports.filters import ReportQuery, resolve
from callscope.reports.rollups import refresh
from reports_data import GENERATOR, batches, load_postgres, load_sqlite, setup_accounts

ROOT = Path(__file__).resolve().parent.parent
CALLSCOPE = str(Path(sys.executable).parent / "callscope")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
RANGE = {"from": "2026-09-02", "to": "2026-11-30"}
AFTER_CALL_AT = datetime(2026, 11, 30, 18, tzinfo=UTC)
REPORTS = {
    "overview": "/api/v1/reports/overview",
    "sources": "/api/v1/reports/sources",
    "sources by campaign": "/api/v1/reports/sources?group_by=campaign",
    "when": "/api/v1/reports/when",
    "where": "/api/v1/reports/where",
    "attribution": "/api/v1/reports/attribution",
    "topics": "/api/v1/reports/topics",
}


@dataclass
class Dataset:
    backend: str
    url: str
    big_account: int
    created: bool
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


def _pg_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        found = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(sql)


def at_revision(url: str, revision: str) -> None:
    """The schema at `revision` (head by default; an older one measures the "before")."""
    if revision != "head":
        # alembic refuses to downgrade to a revision ahead of the database: upgrade then
        with suppress(Exception):
            migrate.downgrade(url, revision)
    migrate.upgrade(url, revision)


def dataset(backend: str, calls: int, sessions: int, fresh: bool, revision: str) -> Dataset:
    key = f"{calls}_{sessions}_g{GENERATOR}"
    if backend == "sqlite":
        path = ROOT / "var" / "bench" / f"reports_{key}.sqlite"
        url = f"sqlite:///{path}"
        if fresh and path.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        created = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(f"{path}.partial")
        target = f"sqlite:///{partial}" if created else url
    else:
        name = f"bench_reports_{key}"
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        if fresh:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        created = not _pg_exists(name)
        if created:
            _pg_admin(f'CREATE DATABASE "{name}"')
        target = url
    began = time.perf_counter()
    if created:
        if backend == "sqlite":
            partial.unlink(missing_ok=True)
        migrate.upgrade(target)
        engine = make_engine(target)
        tenants = setup_accounts(engine)
        engine.dispose()
        rows_in = batches(calls, sessions, tenants)
        if backend == "sqlite":
            rows = load_sqlite(partial, rows_in)
            partial.rename(path)  # only a complete load is ever reused
        else:
            try:
                rows = load_postgres(url, rows_in)
            except BaseException:
                _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise
    else:
        rows = {}
    at_revision(url, revision)  # a cached dataset gets the new migrations
    engine = make_engine(url)
    with engine.connect() as con:
        big = con.scalar(select(Account.id).order_by(Account.id).limit(1))
        if not rows:
            rows = {
                t: int(con.scalar(text(f"SELECT count(*) FROM {t}")) or 0)
                for t in ("calls", "visitor_sessions", "call_insights")
            }
    engine.dispose()
    assert big is not None
    return Dataset(backend, url, big, created, time.perf_counter() - began, rows)


# ---------------------------------------------------------------------------- measuring


def _token(url: str, account_id: int) -> str:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        token = create_token(s, account_id, f"bench {secrets.token_hex(3)}").token
        s.commit()
    engine.dispose()
    return token


@contextmanager
def server(url: str) -> Iterator[str]:
    tmp = Path(tempfile.mkdtemp(prefix="callscope-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")} | {
        "CALLSCOPE_DATA_DIR": str(tmp / "data"),
        "CALLSCOPE_DATABASE_URL": url,
        "CALLSCOPE_LOG_LEVEL": "warning",
    }
    port = 18_000 + secrets.randbelow(2000)
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [CALLSCOPE, "serve", "--no-migrate", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"server did not start: {(tmp / 'server.log').read_text()}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def precompute(url: str) -> dict[str, Any] | None:
    """Build the reports' precomputed tables for every account (`callscope reports refresh`
    does the same), timed; None on a schema from before them (`--revision`)."""
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("report_state"):
            return None
        maker = make_sessionmaker(engine)
        with maker() as s:
            ids = list(s.scalars(select(Account.id).order_by(Account.id)))
        began = time.perf_counter()
        built = []
        for account_id in ids:
            with maker() as s:
                built.append(refresh(s, account_id))
                s.commit()
        big = built[0]
        return {
            "seconds": round(time.perf_counter() - began, 1),
            "big_account_s": big.seconds,
            "full": big.full_days,
            "days": big.days,
            "credited": big.credited,
        }
    finally:
        engine.dispose()


def after_a_call(url: str, account_id: int, runs: int) -> dict[str, float] | None:
    """The overview right after one new call each time: what a refresh adds to a read."""
    engine = make_engine(url)
    if not inspect(engine).has_table("report_state"):
        engine.dispose()
        return None
    token = _token(url, account_id)
    maker = make_sessionmaker(engine)
    times = []
    try:
        with (
            server(url) as base,
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300
            ) as client,
        ):
            for i in range(runs + 2):
                with maker() as s:  # a qualified call on the range's last day
                    s.add(Call(account_id=account_id, provider="bench",
                               provider_call_id=f"after-{secrets.token_hex(6)}",
                               status="answered", started_at=AFTER_CALL_AT, talk_seconds=120,
                               caller=f"+1512555{secrets.randbelow(10_000):04d}",
                               qualified=True, first_time_caller=True))  # fmt: skip
                    s.commit()
                began = time.perf_counter()
                r = client.get("/api/v1/reports/overview", params=RANGE)
                elapsed = (time.perf_counter() - began) * 1000
                r.raise_for_status()
                if i >= 2:
                    times.append(elapsed)
        with maker() as s:  # leave the dataset as it was, its rollups too: deleted calls
            # are the one change a refresh cannot see, so their days are counted again here
            s.execute(delete(Call).where(Call.provider == "bench"))
            zone = ZoneInfo(s.get_one(Account, account_id).timezone)
            day = rollups.day_of(AFTER_CALL_AT, zone)
            rollups._count_days(s, account_id, zone, {day - 1, day, day + 1})
            s.commit()
    finally:
        engine.dispose()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(_percentile(times, 95), 2),
    }


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(url: str, account_id: int, runs: int, only: list[str]) -> dict[str, dict[str, float]]:
    token = _token(url, account_id)
    out: dict[str, dict[str, float]] = {}
    with (
        server(url) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300
        ) as client,
    ):
        targets = {"/livez": "/livez"} | {n: p for n, p in REPORTS.items() if n in only}
        for name, path in targets.items():
            params = None if name == "/livez" else RANGE
            times = []
            for i in range(runs + 2):
                began = time.perf_counter()
                r = client.get(path, params=params)
                elapsed = (time.perf_counter() - began) * 1000
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:500]}")
                if i >= 2:
                    times.append(elapsed)
            out[name] = {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(_percentile(times, 95), 2),
                "max_ms": round(max(times), 2),
            }
    livez = out["/livez"]["p50_ms"]
    for values in out.values():
        values["ratio_p50"] = round(values["p50_ms"] / livez, 1)
        values["ratio_p95"] = round(values["p95_ms"] / livez, 1)
    return out


def _run_report(name: str, session: Any, account_id: int) -> None:
    account = session.get(Account, account_id)
    q = ReportQuery.model_validate(RANGE)
    f = resolve(q, account.id, account.timezone)
    if name.startswith("sources"):
        queries.sources(session, f, "campaign" if "campaign" in name else "source")
    else:
        getattr(queries, name)(session, f)


def plans(url: str, account_id: int, only: list[str]) -> dict[str, dict[str, Any]]:
    """Each report once in-process; then each of its statements again alone, timed with
    every row fetched; the slowest one's plan."""
    engine = make_engine(url)
    captured: list[tuple[str, Any, float]] = []

    def capture(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        captured.append((sql, params, 0.0))

    event.listen(engine, "before_cursor_execute", capture)

    out: dict[str, dict[str, Any]] = {}
    sessions = make_sessionmaker(engine, write=False)
    for name in only:
        with sessions() as s:
            captured.clear()
            began = time.perf_counter()
            _run_report(name, s, account_id)
            total = (time.perf_counter() - began) * 1000
            statements = []
            for sql, params, _ in list(captured):
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                    continue  # BEGIN and the like
                again = time.perf_counter()
                s.connection().exec_driver_sql(sql, params).all()
                statements.append((sql, params, (time.perf_counter() - again) * 1000))
            slowest = max(statements, key=lambda c: c[2])
            prefix = (
                "EXPLAIN ANALYZE " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
            )
            rows = s.connection().exec_driver_sql(prefix + slowest[0], slowest[1]).all()
            plan = [r[0] for r in rows] if engine.dialect.name == "postgresql" else [
                f"{'  ' * _depth(rows, r)}{r[-1]}" for r in rows
            ]  # fmt: skip
            out[name] = {
                "in_process_ms": round(total, 1),
                "statements": len(statements),
                "statement_ms": [round(c[2], 1) for c in statements],
                "slowest_sql": slowest[0],
                "plan": plan,
            }
    engine.dispose()
    return out


def _depth(rows: Sequence[Any], row: Any) -> int:
    """Nesting of an EXPLAIN QUERY PLAN row (id, parent, notused, detail)."""
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=5_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reports", default=",".join(REPORTS), help="comma-separated names")
    parser.add_argument("--fresh", action="store_true", help="regenerate the cached dataset")
    parser.add_argument("--drop", action="store_true", help="remove the dataset afterwards")
    parser.add_argument(
        "--revision", default="head", help="schema to measure (e.g. 0006_dashboard)"
    )
    parser.add_argument("--no-plans", action="store_true")
    parser.add_argument("--json", action="store_true", help="one JSON object per backend")
    args = parser.parse_args()
    only = [n.strip() for n in args.reports.split(",") if n.strip()]
    unknown = set(only) - set(REPORTS)
    if unknown:
        sys.exit(f"unknown reports: {', '.join(sorted(unknown))}")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        data = dataset(backend, args.calls, args.sessions, args.fresh, args.revision)
        try:
            built = precompute(data.url)
            if built and not args.json:
                print(f"\n{backend}: precomputed tables built in {built['seconds']} s "
                      f"(the big account {built['big_account_s']} s: {built['days']} days, "
                      f"{built['credited']} qualified calls credited)", flush=True)  # fmt: skip
            results = measure(data.url, data.big_account, args.runs, only)
            if not args.json:
                _print_results(data, results, args.runs)
            fresh_read = after_a_call(data.url, data.big_account, args.runs)
            if fresh_read and not args.json:
                print(f"overview after a new call {fresh_read['p50_ms']:9.1f} "
                      f"{fresh_read['p95_ms']:9.1f}", flush=True)  # fmt: skip
            explained = {} if args.no_plans else plans(data.url, data.big_account, only)
        finally:
            if args.drop:
                _drop(data)
        if args.json:
            print(json.dumps({
                "backend": backend, "calls": args.calls, "sessions": args.sessions,
                "rows": data.rows, "generated": data.created, "setup_s": round(data.seconds, 1),
                "range": RANGE, "runs": args.runs, "revision": args.revision,
                "results": results, "plans": explained, "precomputed": built,
                "overview_after_a_new_call": fresh_read,
            }))  # fmt: skip
            continue
        for name, p in explained.items():
            print(f"\n--- {name}: {p['in_process_ms']} ms in-process; its statements alone (ms) "
                  f"{p['statement_ms']}; the slowest one's plan:")  # fmt: skip
            print("\n".join(p["plan"]))


def _print_results(data: Dataset, results: dict[str, dict[str, float]], runs: int) -> None:
    how = "generated" if data.created else "cached"
    print(f"\n{data.backend}: rows {data.rows}, {how} in {data.seconds:.1f} s; "
          f"{RANGE['from']} .. {RANGE['to']}, {runs} runs after 2 warm-ups")  # fmt: skip
    print(f"{'endpoint':22} {'p50 ms':>9} {'p95 ms':>9} {'x livez p50':>12} {'x p95':>8}")
    for name, r in results.items():
        print(f"{name:22} {r['p50_ms']:9.1f} {r['p95_ms']:9.1f} {r['ratio_p50']:12.1f} "
              f"{r['ratio_p95']:8.1f}", flush=True)  # fmt: skip


def _drop(data: Dataset) -> None:
    if data.backend == "sqlite":
        path = Path(data.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _pg_admin(f'DROP DATABASE IF EXISTS "{data.url.rsplit("/", 1)[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
