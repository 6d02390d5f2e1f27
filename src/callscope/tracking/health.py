"""Pool health: is the pool big enough for its traffic, before calls get misattributed?

From the sessions that asked the pool for a number in a window: the peak number of
sessions holding a number at once, how often the pool was exhausted, and a recommended
size. By Little's law the numbers in use at the busiest hour average L = arrival rate x
average hold time; arrivals are close to Poisson, so the recommendation is the smallest n
with P(Poisson(L) <= n) >= 99.9%, and never below the peak actually seen.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callscope.numbers.models import Pool, TrackingNumber
from callscope.tracking.models import VisitorSession
from callscope.tracking.schemas import PoolHealth

TARGET = 0.999


def poisson_quantile(mean: float, target: float = TARGET) -> int:
    if mean <= 0:
        return 0
    term = math.exp(-mean) if mean < 700 else 0.0
    if term == 0.0:  # large mean: the normal approximation is exact enough
        return math.ceil(mean + 3.1 * math.sqrt(mean))
    total, n = term, 0
    while total < target:
        n += 1
        term *= mean / n
        total += term
    return n


def peak_overlap(intervals: list[tuple[datetime, datetime]]) -> int:
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def pool_health(db: Session, pool: Pool, days: int, now: datetime) -> PoolHealth:
    since = now - timedelta(days=days)
    numbers = (
        db.scalar(
            select(func.count()).where(TrackingNumber.pool_id == pool.id, TrackingNumber.active)
        )
        or 0
    )
    rows = db.execute(
        select(
            VisitorSession.started_at,
            VisitorSession.leased_at,
            VisitorSession.lease_expires_at,
            VisitorSession.number_id,
            VisitorSession.shared,
        ).where(VisitorSession.pool_id == pool.id, VisitorSession.started_at >= since)
    ).all()
    held: list[tuple[datetime, datetime]] = []
    held_numbers: set[int] = set()
    exhausted = 0
    for _, leased, expires, number_id, shared in rows:
        if number_id is None or shared:
            exhausted += 1
        if number_id is not None and leased is not None and expires is not None:
            held.append((leased, min(expires, now)))
            if expires > now:
                held_numbers.add(number_id)
    per_hour = Counter(r[0].replace(minute=0, second=0, microsecond=0) for r in rows)
    busiest = max(per_hour.values(), default=0)
    average_hold = (
        sum((end - start).total_seconds() for start, end in held) / len(held) if held else 0.0
    )
    peak = peak_overlap(held)
    in_use = busiest / 3600 * max(average_hold, float(pool.hold_seconds))
    return PoolHealth(
        pool_id=pool.id,
        window_days=days,
        numbers=numbers,
        held_now=len(held_numbers),
        utilisation=round(len(held_numbers) / numbers, 4) if numbers else 0.0,
        sessions=len(rows),
        peak_concurrent=peak,
        exhausted=exhausted,
        busiest_hour_sessions=busiest,
        average_hold_seconds=round(average_hold, 1),
        recommended_size=max(peak, poisson_quantile(in_use)) if rows else numbers,
    )
