"""Which visitor session made a call: the sessions that held the number at the call's start.

Calls are matched on the call's own start time, never the time a webhook arrived. When one
session held the number then, it gets the call with confidence 1. When the pool was
exhausted and the number was lent to several live sessions, each is a candidate with
confidence 1/n, the most recently active first. When no session held it (the caller rang
after the hold ended), the last session to hold it is the only candidate, with a
confidence that decays with the time since its hold ended (e^(-gap / hold)): the policy of
lending numbers least-recently-released first is what makes that guess usually right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from callscope.numbers.models import Pool
from callscope.tracking.models import VisitorSession

FALLBACK_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Candidate:
    session: VisitorSession
    confidence: float


def candidates(db: Session, account_id: int, number_id: int, at: datetime) -> list[Candidate]:
    live = db.scalars(
        select(VisitorSession)
        .where(
            VisitorSession.account_id == account_id,
            VisitorSession.number_id == number_id,
            VisitorSession.leased_at <= at,
            VisitorSession.lease_expires_at >= at,
        )
        .order_by(VisitorSession.last_seen_at.desc(), VisitorSession.id.desc())
    ).all()
    if live:
        return [Candidate(row, round(1 / len(live), 4)) for row in live]
    last = db.scalars(
        select(VisitorSession)
        .where(
            VisitorSession.account_id == account_id,
            VisitorSession.number_id == number_id,
            VisitorSession.lease_expires_at < at,
            VisitorSession.lease_expires_at >= at - FALLBACK_WINDOW,
        )
        .order_by(VisitorSession.lease_expires_at.desc(), VisitorSession.id.desc())
        .limit(1)
    ).first()
    if last is None or last.lease_expires_at is None:
        return []
    hold = db.scalar(select(Pool.hold_seconds).where(Pool.id == last.pool_id)) or 1800
    gap = (at - last.lease_expires_at).total_seconds()
    return [Candidate(last, round(math.exp(-gap / hold), 4))]
