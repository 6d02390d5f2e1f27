"""Months of believable calls for the demo business, made through the real call pipeline.

Each call is a raw event of the `demo` provider (the generic webhook's payload), processed
by the same code as a webhook, so attribution, caller history and qualified calls are what
the product computes, not what the seed claims. Calls to the website pool come with the
visitor session that was shown the number a few minutes before. A call lasts as long as
its script (demo_scripts.py, picked by the call's id) takes to say, so the transcripts
stored later fit the talk time. Seeded random: the same demo every time.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callscope.calls.inbox import RawEvent, store_many
from callscope.calls.models import Call
from callscope.calls.processor import process_pending
from callscope.db.base import utcnow
from callscope.demo_scripts import natural_seconds, script
from callscope.numbers.models import Source, TrackingNumber
from callscope.tracking.models import VisitorSession

DAYS = 90
# (source name, calls a day, utm_source, utm_medium, campaign, click id kind)
ONLINE = (
    ("Google Ads", 3.0, "google", "cpc", "emergency-plumber", "gclid"),
    ("Facebook Ads", 0.8, "facebook", "paid_social", "water-heater-fall", "fbclid"),
    ("Google Organic", 1.6, None, None, None, None),
    ("Yelp", 0.6, None, None, None, None),
    ("Direct", 0.7, None, None, None, None),
)
STATIC_RATES = {"Flyer": 0.5, "Van wrap": 0.3, "Google Business Profile": 1.2}
KEYWORDS = ("emergency plumber austin", "water heater repair", "drain cleaning near me", None)
REFERRERS = {"Google Organic": "https://www.google.com/", "Yelp": "https://www.yelp.com/biz/rr"}


def seed_calls(session: Session, account_id: int, site_id: int, pool_id: int) -> int:
    """Seed the calls once; the number of calls the account has after."""
    have = session.scalar(select(func.count()).where(Call.account_id == account_id)) or 0
    if have:
        return have
    rng = random.Random(20261201)  # noqa: S311 - demo data, not security
    zone = ZoneInfo("America/Chicago")
    sources = {
        s.name: s for s in session.scalars(select(Source).where(Source.account_id == account_id))
    }
    numbers = session.scalars(
        select(TrackingNumber).where(TrackingNumber.account_id == account_id, TrackingNumber.active)
    ).all()
    statics = {n.source_id: n.number for n in numbers if n.source_id}
    pool = [n for n in numbers if n.pool_id == pool_id]
    callers = [f"+1512{rng.randint(200, 999)}{rng.randint(0, 9999):04d}" for _ in range(400)]
    events: list[RawEvent] = []
    today = utcnow().astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(DAYS, 0, -1):
        date = today - timedelta(days=day)
        weekend = date.weekday() >= 5
        plan = [(name, rate, True) for name, rate, *_ in ONLINE]
        plan += [(name, rate, False) for name, rate in STATIC_RATES.items()]
        for name, rate, online in plan:
            for _ in range(_poisson(rng, rate * (0.6 if weekend else 1.0))):
                start = date + timedelta(hours=rng.triangular(7, 20, 11))
                caller = rng.choice(callers)
                if online:
                    number = pool[rng.randrange(len(pool))]
                    _visit(session, rng, account_id, site_id, pool_id, number, sources[name], start)
                    dialled = number.number
                else:
                    dialled = statics[sources[name].id]
                events.append(_call_event(rng, account_id, caller, dialled, start, name))
    store_many(session, events)
    while process_pending(session, limit=2000, account_id=account_id).events:
        pass
    return len(events)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _visit(
    session: Session,
    rng: random.Random,
    account_id: int,
    site_id: int,
    pool_id: int,
    number: TrackingNumber,
    source: Source,
    call_at: datetime,
) -> None:
    online = next(o for o in ONLINE if o[0] == source.name)
    _, _, utm_source, utm_medium, campaign, click_kind = online
    started = call_at - timedelta(minutes=rng.uniform(1, 25))
    term = rng.choice(KEYWORDS) if utm_medium == "cpc" else None
    landing = "https://rapidrooter.example/" + ("emergency" if term else "")
    session.add(
        VisitorSession(
            account_id=account_id,
            public_id=secrets.token_urlsafe(16),
            site_id=site_id,
            visitor_id=secrets.token_urlsafe(16),
            source_id=source.id,
            channel=source.channel,
            utm_source=utm_source,
            utm_medium=utm_medium,
            utm_campaign=campaign,
            utm_term=term,
            click_id_kind=click_kind,
            click_id=secrets.token_urlsafe(24) if click_kind else None,
            referrer=REFERRERS.get(source.name),
            landing_url=landing,
            last_url=landing,
            started_at=started,
            last_seen_at=call_at,
            page_views=rng.randint(1, 6),
            pool_id=pool_id,
            number_id=number.id,
            leased_at=started,
            # Each demo visit holds its number alone, so the demo shows clean attribution.
            lease_expires_at=call_at + timedelta(seconds=1),
        )
    )
    session.flush()


def _call_event(
    rng: random.Random, account_id: int, caller: str, dialled: str, start: datetime, source: str
) -> RawEvent:
    call_id = f"demo-{rng.getrandbits(64):016x}"
    outcome = rng.random()
    ring = rng.randint(3, 25)
    agent = rng.choice(("Maria", "Dave", "Luis"))
    payload: dict[str, object] = {
        "event_id": call_id,
        "call_id": call_id,
        "from": caller,
        "to": dialled,
        "direction": "inbound",
        "started_at": start.isoformat(),
        "agent": agent,
        "location": "Austin",
    }
    if outcome < 0.18:
        payload |= {"status": "missed", "ended_at": (start + timedelta(seconds=ring)).isoformat()}
    elif outcome < 0.24:
        # the greeting, then the message the transcript will hold
        message = natural_seconds(script(call_id, source, agent, voicemail_box=True))
        ended = start + timedelta(seconds=ring + 8 + message)
        payload |= {"status": "voicemail", "ended_at": ended.isoformat()}
    else:
        # as long as the call's words take to say, with the pauses of a real call
        words = natural_seconds(script(call_id, source, agent, voicemail_box=False))
        talk = int(words * rng.uniform(1.4, 2.4))
        answered = start + timedelta(seconds=ring)
        payload |= {
            "status": "completed",
            "answered_at": answered.isoformat(),
            "ended_at": (answered + timedelta(seconds=talk)).isoformat(),
        }
    return RawEvent(account_id, "demo", call_id, call_id, payload, start)
