"""The fixed dataset of tests/test_reports.py: every expected number there is worked out by
hand from this story.

The account is in America/Chicago and the report week is 2026-11-01 .. 2026-11-07 local,
which starts on the day US daylight time ends (CDT, UTC-5, until 2026-11-01 07:00 UTC; CST,
UTC-6, after). Local midnights: 11-01 00:00 CDT = 05:00 UTC; 11-08 00:00 CST = 06:00 UTC.
The previous period is 2026-10-25 .. 2026-10-31.

Acme's calls (UTC time -> local time):
  c0  10-15 15:00 -> Thu 10-15 10:00 CDT  Yelp, session E (v3), caller 7001; before both periods
  c8  10-28 15:00 -> Wed 10:00 CDT        Google, no session, answered 300 s, qualified, first, sale
  c9  11-01 04:30 -> Sat 10-31 23:30 CDT  Flyer, missed, first          (previous period's last day)
  c7  11-01 05:30 -> Sun 11-01 00:30 CDT  no source, busy, anonymous    (the week's first half hour)
  c1  11-02 14:10 -> Mon 08:10 CST        Google, session B (v1), caller 7001, answered 120 s,
                                          qualified, repeat (c0), Maria, Austin, TX, appointment
  c2  11-03 16:05 -> Tue 10:05 CST        Google, session C (v2, direct), answered 200 s,
                                          qualified, first, Maria, Austin, TX, quote
  c11 11-04 15:00                         outbound: never in a report
  c3  11-04 20:00 -> Wed 14:00 CST        Flyer, missed, first, Dallas, TX, not analysed
  c4  11-05 18:30 -> Thu 12:30 CST        Flyer, caller 7001, answered 40 s, repeat, Joe, Dallas,
                                          TX, customer_service
  c5  11-08 05:30 -> Sat 11-07 23:30 CST  Flyer, voicemail, first, Austin, IL, voicemail (included)
  c6  11-08 06:30 -> Sun 11-08 00:30 CST  Google, answered, qualified, sale           (excluded)
Sessions: E v3 referral/Yelp 10-15 14:50; A v1 organic/Organic 10-20 15:00; B v1 paid/Google
11-02 14:00 (cpc, brand, a formula as keyword); D v2 paid/Google 11-03 15:00 (cpc, spring,
emergency); C v2 direct 11-03 16:00. The account counts repeat callers as qualified too
(`qualified_requires_first_time` off), so c1 qualifies. Rival (another account, in UTC) has a
call on 11-01 from Acme's caller 7001, with a session in campaign "brand"; it must never show
up in Acme's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import update

from callscope.accounts.models import Account
from callscope.calls.models import Call
from callscope.intel.models import CallInsight
from callscope.tracking.models import VisitorSession
from tests.factories import Tenant

WEEK = "from=2026-11-01&to=2026-11-07"
FORMULA = "=cmd|' /C calc'!A0"
FLYER_NUMBER = "+15125550111"


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Data:
    google: int
    flyer: int
    organic: int
    yelp: int
    rival_source: int


def add(app: FastAPI, rows: list[Any]) -> list[int]:
    with app.state.sessionmaker() as s:
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def visit(account_id: int, site_id: int, key: str, visitor: str, at: datetime, **kw: Any) -> Any:
    return VisitorSession(
        account_id=account_id,
        public_id=f"{account_id}-{key}",
        site_id=site_id,
        visitor_id=visitor,
        landing_url="https://example.com/",
        last_url="https://example.com/",
        started_at=at,
        last_seen_at=at,
        **kw,
    )


def call(account_id: int, key: str, at: datetime, status: str = "answered", **kw: Any) -> Any:
    return Call(
        account_id=account_id,
        provider="generic",
        provider_call_id=key,
        status=status,
        started_at=at,
        **kw,
    )


def insight(account_id: int, call_id: int, category: str, sentiment: str, *phrases: str) -> Any:
    return CallInsight(
        account_id=account_id,
        call_id=call_id,
        category=category,
        confidence=0.9,
        method="model",
        sentiment=sentiment,
        sentiment_confidence=0.8,
        lead_score=50,
        key_phrases=list(phrases),
        model_version="test",
    )


def seed(app: FastAPI, tenant: Tenant, other: Tenant) -> Data:
    a = tenant.account_id
    with app.state.sessionmaker.begin() as s:
        s.execute(
            update(Account)
            .where(Account.id == a)
            .values(timezone="America/Chicago", qualified_requires_first_time=False)
        )
    google = tenant.source(name="Google Ads", channel="paid_search")["id"]
    flyer = tenant.source(name="Flyer", channel="offline", is_offline=True)["id"]
    organic = tenant.source(name="Organic", channel="organic_search")["id"]
    yelp = tenant.source(name="Yelp", channel="referral")["id"]
    site = tenant.site()["id"]
    paid = {"channel": "paid_search", "source_id": google, "utm_medium": "cpc"}
    e, _a, b, _d, c = add(
        app,
        [
            visit(a, site, "E", "v3", utc(10, 15, 14, 50), channel="referral", source_id=yelp),
            visit(a, site, "A", "v1", utc(10, 20, 15), channel="organic_search", source_id=organic),
            visit(
                a, site, "B", "v1", utc(11, 2, 14), utm_campaign="brand", utm_term=FORMULA, **paid
            ),
            visit(
                a,
                site,
                "D",
                "v2",
                utc(11, 3, 15),
                utm_campaign="spring",
                utm_term="emergency",
                **paid,
            ),
            visit(a, site, "C", "v2", utc(11, 3, 16), channel="direct"),
        ],
    )
    texas = {"caller_country": "US", "caller_region": "Texas"}
    at_flyer = {"source_id": flyer, "tracking_number": FLYER_NUMBER}
    ids = add(app, [
        call(a, "c0", utc(10, 15, 15), caller="+15125557001", source_id=yelp, session_id=e,
             talk_seconds=100, qualified=True, first_time_caller=True),
        call(a, "c8", utc(10, 28, 15), caller="+15125557008", source_id=google,
             talk_seconds=300, qualified=True, first_time_caller=True, location="Austin"),
        call(a, "c9", utc(11, 1, 4, 30), "missed", caller="+15125557009", first_time_caller=True,
             **at_flyer),
        call(a, "c7", utc(11, 1, 5, 30), "busy"),
        call(a, "c1", utc(11, 2, 14, 10), caller="+15125557001", source_id=google, session_id=b,
             talk_seconds=120, qualified=True, first_time_caller=False, agent="Maria",
             location="Austin", **texas),
        call(a, "c2", utc(11, 3, 16, 5), caller="+15125557002", source_id=google, session_id=c,
             talk_seconds=200, qualified=True, first_time_caller=True, agent="Maria",
             location="Austin", **texas),
        call(a, "c11", utc(11, 4, 15), direction="outbound", caller="+15125557003",
             talk_seconds=500, qualified=True, location="Dallas"),
        call(a, "c3", utc(11, 4, 20), "missed", caller="+15125557003", first_time_caller=True,
             location="Dallas", **texas, **at_flyer),
        call(a, "c4", utc(11, 5, 18, 30), caller="+15125557001", talk_seconds=40,
             first_time_caller=False, agent="Joe", location="Dallas", **texas, **at_flyer),
        call(a, "c5", utc(11, 8, 5, 30), "voicemail", caller="+13125557005",
             first_time_caller=True, location="Austin", caller_country="US",
             caller_region="Illinois", **at_flyer),
        call(a, "c6", utc(11, 8, 6, 30), caller="+15125557006", source_id=google,
             talk_seconds=500, qualified=True, first_time_caller=True, agent="Maria",
             location="Austin", **texas),
    ])  # fmt: skip
    by_key = dict(
        zip(["c0", "c8", "c9", "c7", "c1", "c2", "c11", "c3", "c4", "c5", "c6"], ids, strict=True)
    )
    add(
        app,
        [
            insight(a, by_key["c8"], "sale", "positive", "water heater"),
            insight(a, by_key["c1"], "appointment", "positive", "water heater", "tomorrow morning"),
            insight(a, by_key["c2"], "quote", "positive", "water heater", "price"),
            insight(a, by_key["c4"], "customer_service", "negative", "refund"),
            insight(a, by_key["c5"], "voicemail", "neutral"),
            insight(a, by_key["c6"], "sale", "positive", "water heater"),
        ],
    )
    # Rival: one qualified sale in the week from a session in campaign "brand", by the caller
    # of Acme's c1 and before c1: it must not join c1's journey either.
    r = other.account_id
    rival = other.source(name="Rival Ads", channel="paid_search")["id"]
    [rs] = add(app, [visit(r, other.site()["id"], "R", "rv", utc(11, 1, 16),
                                   channel="paid_search", source_id=rival, utm_campaign="brand")])  # fmt: skip
    [rc] = add(app, [call(r, "r1", utc(11, 1, 17), caller="+15125557001", source_id=rival,
                                  session_id=rs, talk_seconds=300, qualified=True,
                                  first_time_caller=True, agent="Maria", location="Austin",
                                  tracking_number=FLYER_NUMBER, **texas)])  # fmt: skip
    add(app, [insight(r, rc, "sale", "positive", "water heater")])
    return Data(google, flyer, organic, yelp, rival)
