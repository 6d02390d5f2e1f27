"""The dataset of bench/reports.py: generated with numpy, loaded in bulk.

100 accounts; the big one (America/Chicago) holds the calls and sessions asked for over two
years ending END, the 99 others a thousandth of that each. Sources and channels, utm
campaigns and keywords, visitors coming back over a few weeks (so journeys exist), callers
reusing their numbers, ~70% answered, talk times, qualified calls, locations and agents,
caller regions, and an insight for most answered calls. Rows go in with sqlite3's
executemany in big batches, or COPY on PostgreSQL, after the accounts are made through the
real service.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import Engine

from callscope.accounts.schemas import AccountCreate
from callscope.accounts.service import create_account
from callscope.categories.builtin import BUILTIN_CATEGORIES
from callscope.db.engine import make_sessionmaker
from callscope.numbers.models import Source
from callscope.sites.models import Site

GENERATOR = 1  # bump when the generated data changes: the cache is keyed by it
END = datetime(2026, 12, 1, tzinfo=UTC)
SPAN_DAYS = 730
BIG_EMAIL = "owner@big.example"
ACCOUNTS = 100
BATCH = 50_000

# (name, channel, share of web sessions, utm_source, utm_medium)
WEB_SOURCES = [
    ("Google Ads", "paid_search", 0.30, "google", "cpc"),
    ("Bing Ads", "paid_search", 0.05, "bing", "cpc"),
    ("Organic search", "organic_search", 0.25, None, None),
    ("Facebook Ads", "paid_social", 0.10, "facebook", "paid_social"),
    ("Instagram", "organic_social", 0.04, "instagram", "social"),
    ("Yelp", "referral", 0.06, None, None),
    ("Newsletter", "email", 0.04, "newsletter", "email"),
    ("Display", "display", 0.04, "gdn", "display"),
    ("Direct", "direct", 0.12, None, None),
]
# Static numbers: calls without a session. (name, channel, share of those calls)
STATIC_SOURCES = [
    ("Google Business Profile", "organic_search", 0.35),
    ("Flyer", "offline", 0.25),
    ("Billboard", "offline", 0.15),
    ("Radio", "offline", 0.15),
    ("Yellow pages", "referral", 0.10),
]
CAMPAIGNS = [f"{kind}-{n}" for kind in ("brand", "emergency", "spring", "repair") for n in range(5)]
KEYWORDS = [f"{w} {t}" for w in ("plumber", "drain", "leak", "boiler", "pipe") for t in range(40)]
LOCATIONS = ["Austin", "Dallas", "Houston", "San Antonio"]
AGENTS = [f"{name} ({loc})" for loc in LOCATIONS for name in ("Ana", "Ben", "Cy", "Di", "Ed")]
REGIONS = ["TX"] * 12 + ["OK", "LA", "NM", "AR", "CA", "FL", "NY", "IL"]
STATUSES = ["answered", "missed", "busy", "failed", "voicemail"]
STATUS_P = [0.70, 0.12, 0.05, 0.03, 0.10]
SENTIMENTS = ["positive", "neutral", "negative"]
PHRASES = [f"{a} {b}" for a in ("water", "gas", "sink", "toilet", "heater", "sewer") for b in
           ("leak", "price", "quote", "today", "emergency", "install", "repair", "smell",
            "noise", "estimate")]  # fmt: skip


def _weights(values: Sequence[float]) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


def _stamps(seconds: np.ndarray) -> list[str]:
    """Epoch seconds as SQLAlchemy's SQLite format, naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff'
    (PostgreSQL's COPY reads it too, as UTC: the loading session's zone is UTC)."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]").astype("datetime64[us]"))
    return [s.replace("T", " ") for s in text.tolist()]


def _json(values: list[str]) -> str:
    return json.dumps(values)


@dataclass
class Tenant:
    account_id: int
    site_id: int
    web: list[int]  # source ids in WEB_SOURCES order
    static: list[int]  # in STATIC_SOURCES order


def generate(
    t: Tenant, calls: int, sessions: int, first_session_id: int, first_call_id: int, seed: int
) -> Iterator[tuple[str, list[str], list[tuple[Any, ...]]]]:
    """(table, columns, rows) batches for one account: sessions, calls, insights."""
    rng = np.random.default_rng(seed)
    end = int(END.timestamp())
    start = end - SPAN_DAYS * 86_400
    visitors = max(sessions * 2 // 5, 1)
    # A visitor comes back over a few weeks: their sessions cluster around one moment.
    base = rng.integers(start, end, visitors)
    s_visitor = rng.integers(0, visitors, sessions)
    s_at = np.clip(base[s_visitor] + rng.normal(0, 6 * 86_400, sessions).astype(np.int64), start,
                   end - 3600)  # fmt: skip
    order = np.argsort(s_at, kind="stable")
    s_at, s_visitor = s_at[order], s_visitor[order]
    s_source = rng.choice(len(WEB_SOURCES), sessions, p=_weights([s[2] for s in WEB_SOURCES]))
    s_campaign = rng.integers(0, len(CAMPAIGNS), sessions)
    s_term = rng.zipf(1.3, sessions) % len(KEYWORDS)
    s_views = rng.integers(1, 9, sessions)
    columns = ["id", "account_id", "public_id", "site_id", "visitor_id", "source_id", "channel",
               "utm_source", "utm_medium", "utm_campaign", "utm_term", "landing_url", "last_url",
               "started_at", "last_seen_at", "page_views", "shared"]  # fmt: skip
    for lo in range(0, sessions, BATCH):
        hi = min(lo + BATCH, sessions)
        at, seen = _stamps(s_at[lo:hi]), _stamps(s_at[lo:hi] + 60 * s_views[lo:hi])
        rows = []
        for k in range(hi - lo):
            i = lo + k
            _, channel, _, utm_source, medium = WEB_SOURCES[s_source[i]]
            paid = medium is not None
            rows.append(
                (first_session_id + i, t.account_id, f"{t.account_id}s{i}", t.site_id,
                 f"v{t.account_id}-{s_visitor[i]}", t.web[s_source[i]], channel, utm_source,
                 medium, CAMPAIGNS[s_campaign[i]] if paid else None,
                 KEYWORDS[s_term[i]] if medium == "cpc" else None, "https://big.example/",
                 "https://big.example/contact", at[k], seen[k], int(s_views[lo + k]), False)
            )  # fmt: skip
        yield "visitor_sessions", columns, rows

    # Calls: 60% follow a session (shortly after it), 40% dial a static number.
    web = rng.random(calls) < 0.6
    c_session = rng.integers(0, sessions, calls)
    c_static = rng.choice(len(STATIC_SOURCES), calls, p=_weights([s[2] for s in STATIC_SOURCES]))
    c_at = np.where(web, s_at[c_session] + rng.integers(30, 1800, calls),
                    rng.integers(start, end - 3600, calls))  # fmt: skip
    # Callers: a visitor's own phone mostly; offline callers often are web visitors too, or
    # come from a pool of their own; 5% anonymous.
    own = rng.random(calls) < 0.85
    c_person = np.where(web & own, s_visitor[c_session], rng.integers(0, visitors * 2, calls))
    anonymous = rng.random(calls) < 0.05
    order = np.argsort(c_at, kind="stable")
    web, c_session, c_static, c_at = web[order], c_session[order], c_static[order], c_at[order]
    c_person, anonymous = c_person[order], anonymous[order]
    status = rng.choice(len(STATUSES), calls, p=STATUS_P)
    talk = np.minimum(rng.lognormal(np.log(120), 0.9, calls).astype(np.int64), 3600)
    ring = rng.integers(3, 30, calls)
    outbound = rng.random(calls) < 0.03
    location = rng.integers(0, len(LOCATIONS), calls)
    agent = location * 5 + rng.integers(0, 5, calls)
    region = rng.integers(0, len(REGIONS), calls)
    analysed = rng.random(calls) < 0.95
    category = rng.choice(len(BUILTIN_CATEGORIES), calls)
    sentiment = rng.choice(3, calls, p=[0.5, 0.35, 0.15])
    n_phrases = rng.integers(1, 5, calls)
    phrase = rng.zipf(1.4, (calls, 4)) % len(PHRASES)
    lead_score = rng.integers(0, 101, calls)
    seen_callers: set[int] = set()
    call_columns = ["id", "account_id", "provider", "provider_call_id", "direction", "status",
                    "caller", "caller_country", "caller_region", "tracking_number", "started_at",
                    "answered_at", "ended_at", "ring_seconds", "talk_seconds", "agent",
                    "location", "attribution", "source_id", "session_id",
                    "attribution_confidence", "first_time_caller", "qualified",
                    "recording_attempts", "tags", "created_at"]  # fmt: skip
    insight_columns = ["account_id", "call_id", "category", "confidence", "needs_review",
                       "method", "scores", "sentiment", "sentiment_confidence", "lead_score",
                       "lead_factors", "topics", "key_phrases", "model_version", "created_at",
                       "updated_at"]  # fmt: skip
    for lo in range(0, calls, BATCH):
        hi = min(lo + BATCH, calls)
        at = _stamps(c_at[lo:hi])
        answered_at = _stamps(c_at[lo:hi] + ring[lo:hi])
        ended = _stamps(c_at[lo:hi] + ring[lo:hi] + talk[lo:hi])
        rows, insights = [], []
        for k in range(hi - lo):
            i = lo + k
            answered = status[i] == 0
            caller = None if anonymous[i] else f"+1{5120000000 + int(c_person[i]) % 4_000_000_000}"
            first: bool | None = None
            if caller is not None:
                first = int(c_person[i]) not in seen_callers
                seen_callers.add(int(c_person[i]))
            secs = int(talk[i]) if answered else 0
            qualified = bool(answered and secs >= 60 and first)
            if web[i]:
                source, session_id, how = t.web[s_source[c_session[i]]], first_session_id + int(
                    c_session[i]), "session"  # fmt: skip
            else:
                source, session_id, how = t.static[c_static[i]], None, "static"
            call_id = first_call_id + i
            rows.append(
                (call_id, t.account_id, "generic", f"{t.account_id}c{i}",
                 "outbound" if outbound[i] else "inbound", STATUSES[status[i]], caller, "US",
                 REGIONS[region[i]], f"+1512555{1000 + (source % 9000):04d}", at[k],
                 answered_at[k] if answered else None, ended[k], int(ring[i]), secs,
                 AGENTS[agent[i]] if answered else None, LOCATIONS[location[i]], how, source,
                 session_id, 0.9 if session_id else None, first, qualified, 0, "[]", at[k])
            )  # fmt: skip
            if answered and analysed[i]:
                phrases = sorted({PHRASES[p] for p in phrase[i, : n_phrases[i]]})
                insights.append(
                    (t.account_id, call_id, BUILTIN_CATEGORIES[category[i]].key, 0.8, False,
                     "model", "{}", SENTIMENTS[sentiment[i]], 0.7, int(lead_score[i]), "[]",
                     "[]", _json(phrases), "bench", ended[k], ended[k])
                )  # fmt: skip
        yield "calls", call_columns, rows
        yield "call_insights", insight_columns, insights


def setup_accounts(engine: Engine) -> list[Tenant]:
    """100 accounts through the real service (the big one first), a site and the sources."""
    tenants = []
    with make_sessionmaker(engine)() as s:
        for n in range(ACCOUNTS):
            made = create_account(
                s,
                AccountCreate(
                    name="Big Plumbing" if n == 0 else f"Small {n}",
                    email=BIG_EMAIL if n == 0 else f"owner{n}@small.example",
                    timezone="America/Chicago",
                    password="bench-password-1",
                ),
            )
            a = made.account.id
            site = Site(account_id=a, name="site", domains=["big.example"], site_key=f"k{a}x")
            web = [Source(account_id=a, name=w[0], channel=w[1]) for w in WEB_SOURCES]
            static = [
                Source(account_id=a, name=st[0], channel=st[1], is_offline=True)
                for st in STATIC_SOURCES
            ]
            s.add_all([site, *web, *static])
            s.flush()
            tenants.append(Tenant(a, site.id, [w.id for w in web], [x.id for x in static]))
        s.commit()
    return tenants


def batches(calls: int, sessions: int, tenants: list[Tenant]) -> Iterator[Any]:
    next_session, next_call = 1, 1
    for n, t in enumerate(tenants):
        c, ss = (calls, sessions) if n == 0 else (max(calls // 1000, 10), max(sessions // 1000, 20))
        yield from generate(t, c, ss, next_session, next_call, seed=n)
        next_session, next_call = next_session + ss, next_call + c


def load_sqlite(path: Path, batches: Iterator[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    con.execute("BEGIN")
    for table, columns, rows in batches:
        marks = ", ".join("?" * len(columns))
        con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        counts[table] = counts.get(table, 0) + len(rows)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return counts


def load_postgres(url: str, batches: Iterator[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as con:
        con.execute("SET TIME ZONE 'UTC'")
        for table, columns, rows in batches:
            with con.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            counts[table] = counts.get(table, 0) + len(rows)
        for table in ("calls", "visitor_sessions", "call_insights"):
            con.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        con.commit()
        con.autocommit = True
        con.execute("VACUUM ANALYZE")
    return counts
