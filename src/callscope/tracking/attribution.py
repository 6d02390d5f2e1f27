"""Which visitor session made a call: the sessions that held the number at the call's start.

Calls are matched on the call's own start time, never the time a webhook arrived. When one
session held the number then, it gets the call with confidence 1. When the pool was
exhausted and the number was lent to several live sessions, each is a candidate with
confidence 1/n, the most recently active first. When no session held it (the caller rang
after the hold ended), the last session to hold it is the only candidate, with a
confidence that decays with the time since its hold ended (e^(-gap / hold)): the policy of
lending numbers least-recently-released first is what makes that guess usually right.

A caller who rings the same number again (a redial from the phone's call log, often well
after the hold) is the visitor of their earlier call, not whoever holds the number now:
when the caller's earlier call to the number, within `REDIAL_WINDOW`, was attributed to a
session, that session goes first with that call's confidence (`with_caller`). Only when
the session holding the number now is the same visitor's (a newer visit) does it stay
first. A caller's earlier call that arrives after a later one does not re-attribute it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from callscope.calls.models import Call
from callscope.numbers.models import Pool
from callscope.tracking.models import VisitorSession

FALLBACK_WINDOW = timedelta(days=1)
REDIAL_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Candidate:
    session: VisitorSession
    confidence: float


def candidates(db: Session, account_id: int, number_id: int, at: datetime) -> list[Candidate]:
    return candidates_many(db, account_id, [(number_id, at)])[0]


def candidates_many(
    db: Session, account_id: int, calls: Sequence[tuple[int, datetime]]
) -> list[list[Candidate]]:
    """Candidates for many (number id, call start) pairs, read with one query per chunk."""
    if not calls:
        return []
    rows: list[VisitorSession] = []
    numbers = sorted({n for n, _ in calls})
    earliest = min(at for _, at in calls) - FALLBACK_WINDOW
    latest = max(at for _, at in calls)
    for start in range(0, len(numbers), 500):
        rows.extend(
            db.scalars(
                select(VisitorSession).where(
                    VisitorSession.account_id == account_id,
                    VisitorSession.number_id.in_(numbers[start : start + 500]),
                    VisitorSession.leased_at <= latest,
                    VisitorSession.lease_expires_at >= earliest,
                )
            )
        )
    by_number: dict[int, list[VisitorSession]] = defaultdict(list)
    for row in rows:
        by_number[row.number_id or 0].append(row)
    pools = {row.pool_id for row in rows if row.pool_id is not None}
    holds = dict(db.execute(select(Pool.id, Pool.hold_seconds).where(Pool.id.in_(pools))).all())
    return [_pick(by_number.get(number_id, []), at, holds) for number_id, at in calls]


def _pick(rows: list[VisitorSession], at: datetime, holds: dict[int, int]) -> list[Candidate]:
    live = [
        r
        for r in rows
        if r.leased_at is not None
        and r.lease_expires_at is not None
        and r.leased_at <= at <= r.lease_expires_at
    ]
    if live:
        live.sort(key=lambda r: (r.last_seen_at, r.id), reverse=True)
        return [Candidate(row, round(1 / len(live), 4)) for row in live]
    past = [
        r
        for r in rows
        if r.lease_expires_at is not None and at - FALLBACK_WINDOW <= r.lease_expires_at < at
    ]
    if not past:
        return []
    last = max(past, key=lambda r: (r.lease_expires_at, r.id))
    assert last.lease_expires_at is not None
    hold = holds.get(last.pool_id or 0) or 1800
    gap = (at - last.lease_expires_at).total_seconds()
    return [Candidate(last, round(math.exp(-gap / hold), 4))]


@dataclass(frozen=True)
class Earlier:
    """A caller's earlier call to the same number, and the session it was attributed to."""

    started_at: datetime
    session: VisitorSession
    confidence: float


def with_caller(found: list[Candidate], earlier: Earlier | None) -> list[Candidate]:
    """The candidates of a call whose caller rang this number before (`earlier`)."""
    if earlier is None or (found and found[0].session.visitor_id == earlier.session.visitor_id):
        return found
    rest = [c for c in found if c.session.id != earlier.session.id]
    return [Candidate(earlier.session, earlier.confidence), *rest]


class Redials:
    """Callers' earlier calls to the same numbers: the stored ones, read with one query
    per chunk of callers, and those of the batch being built (`add`)."""

    def __init__(self, db: Session, account_id: int, calls: Sequence[tuple[str, int, datetime]]):
        self._by: dict[tuple[str, int], list[Earlier]] = defaultdict(list)
        if not calls:
            return
        callers = sorted({caller for caller, _, _ in calls})
        numbers = sorted({number for _, number, _ in calls})
        earliest = min(at for _, _, at in calls) - REDIAL_WINDOW
        latest = max(at for _, _, at in calls)
        for start in range(0, len(callers), 500):
            for caller, number, at, confidence, row in db.execute(
                select(
                    Call.caller,
                    Call.number_id,
                    Call.started_at,
                    Call.attribution_confidence,
                    VisitorSession,
                )
                .join(VisitorSession, VisitorSession.id == Call.session_id)
                .where(
                    Call.account_id == account_id,
                    Call.caller.in_(callers[start : start + 500]),
                    Call.attribution == "session",
                    Call.number_id.in_(numbers),
                    Call.started_at >= earliest,
                    Call.started_at < latest,
                )
            ):
                if caller is not None and number is not None:
                    self.add(caller, number, Earlier(at, row, confidence or 0.0))

    def add(self, caller: str, number_id: int, call: Earlier) -> None:
        self._by[(caller, number_id)].append(call)

    def before(self, caller: str, number_id: int, at: datetime) -> Earlier | None:
        """The caller's latest call to the number before `at`, within the window."""
        found = [
            e
            for e in self._by.get((caller, number_id), ())
            if at - REDIAL_WINDOW <= e.started_at < at
        ]
        return max(found, key=lambda e: e.started_at) if found else None
