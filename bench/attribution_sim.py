"""How often is a call attributed to the right visitor session, for each pool size and policy?

    python bench/attribution_sim.py [--visitors 4000] [--seed 7] [--hold 900]
        [--factors 0.5,...,2.0] [--policies callscope,lru,lowest-id,random] [--no-needed]

A simulated day in virtual time on the real code path: `Tracker` (the service behind
POST /t/{key}/sessions and /ping), a lease store, SQLite, and `attribution.candidates` for
each call. Visitors arrive as a Poisson process whose rate follows a daily curve (quiet at
night, three times the average at midday); they stay for a log-normal time (median 2.5 min),
pinging every `ping_seconds`, and leave. A share of them call (25% by default): half while on
the site, half after leaving (exponential delay, mean 15 min, `--late-mean`); with
`--repeat-share`, that share of callers call once more (exponential delay after the first
call, mean `--repeat-mean`). A call is right when the top candidate is the session that
really showed the visitor the number they dialled. Each visitor calls from a number of
their own, so a second call goes to the session of the first (`attribution.with_caller`)
as it would in the product.

Each call is attributed when it starts, as the call processor would, and its top
candidate's number is marked with `leases.holder_called`: the product lends a free number
whose last holder has called before the others. That candidate is the product's guess, not
the truth, so a wrong attribution marks the wrong number here as it would in production.

"Peak concurrent sessions" is measured in the same run, with a pool too big to run out: the
most sessions holding a number at once (their visit plus the hold time), the figure pool
health reports. Pools of 0.5x to 2x that peak are then simulated with each policy:
- callscope: least-recently-released first, a number whose last holder called first
  (SqlLeaseStore, told of each call);
- lru: least-recently-released first only (the same store, never told of a call: callscope
  until 2026-12-03);
- lowest-id: the first free number by id (a naive store: reuses a number as soon as it is free);
- random: any free number.
Virtual time compresses the day to seconds of computing; a hold time of seconds in real time
would measure the same thing more slowly and less exactly.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from callscope.accounts.schemas import AccountCreate  # noqa: E402
from callscope.accounts.service import create_account  # noqa: E402
from callscope.db import migrate  # noqa: E402
from callscope.db.engine import make_engine, make_sessionmaker  # noqa: E402
from callscope.numbers.models import Pool, TrackingNumber  # noqa: E402
from callscope.sites.models import Site  # noqa: E402
from callscope.tracking.attribution import Earlier, candidates, with_caller  # noqa: E402
from callscope.tracking.health import peak_overlap  # noqa: E402
from callscope.tracking.later import flush  # noqa: E402
from callscope.tracking.leases import Pick, SqlLeaseStore, holder_called  # noqa: E402
from callscope.tracking.models import VisitorSession  # noqa: E402
from callscope.tracking.schemas import Ping, SessionStart  # noqa: E402
from callscope.tracking.service import Tracker  # noqa: E402
from callscope.tracking.siteconfig import load  # noqa: E402

DAY0 = datetime(2026, 12, 1, tzinfo=UTC)
HOLD = 900  # seconds a number stays with a visitor after the last ping (--hold)
UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"
TARGET = 0.99
POLICIES = ("callscope", "lru", "lowest-id", "random")


class ChoiceStore(SqlLeaseStore):
    """A bench policy: `choose` one of the free numbers (rows of id and held-until, in id
    order); with none free and reuse allowed, the least recently active hold is shared."""

    def choose(self, free: list[Any]) -> Any:
        raise NotImplementedError

    def pick(self, db, pool_id, want, reuse):  # type: ignore[no-untyped-def]
        now, until = want.now, want.until
        n = TrackingNumber
        rows = db.execute(
            select(n.id, n.held_until).where(n.pool_id == pool_id, n.active).order_by(n.id)
        ).all()
        free = [r for r in rows if r[1] is None or r[1] <= now]
        if not free and not reuse:
            return None
        row = self.choose(free) if free else min(rows, key=lambda r: (r[1], r[0]))
        db.execute(update(n).where(n.id == row[0]).values(held_until=until))
        return Pick(row[0], shared=row[1] is not None and row[1] > now)


class LowestIdStore(ChoiceStore):
    """The first free number by id (a naive store: reuses a number as soon as it is free)."""

    name = "lowest-id"

    def choose(self, free: list[Any]) -> Any:
        return free[0]


class RandomStore(ChoiceStore):
    name = "random"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choose(self, free: list[Any]) -> Any:
        return self.rng.choice(free)


class ToldOfCalls(SqlLeaseStore):
    """callscope's store; the simulation tells it of each call (`holder_called`)."""


@dataclass
class Visitor:
    arrive: float  # seconds into the day
    stay: float
    calls: list[float]  # seconds into the day
    session: str | None = None
    number: int | None = None


def day(
    visitors: int,
    call_share: float,
    late_mean: float,
    rng: random.Random,
    repeat_share: float = 0.0,
    repeat_mean: float = 1800.0,
    repeats: random.Random | None = None,
) -> list[Visitor]:
    """A day of visitors: nonhomogeneous Poisson arrivals by thinning."""
    average = visitors / 86_400

    def rate(t: float) -> float:  # 0.15x at night up to 3x at midday, mean 1x
        return average * (0.15 + 2.85 * math.sin(math.pi * t / 86_400) ** 4) / 1.219

    peak = average * 3.0 / 1.219 * 1.05
    out: list[Visitor] = []
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= 86_400:
            return out
        if rng.random() * peak > rate(t):
            continue
        stay = min(3600.0, rng.lognormvariate(math.log(150), 1.0))
        calls = []
        if rng.random() < call_share:
            calls.append(
                t
                + (
                    rng.uniform(0, stay)
                    if rng.random() < 0.5
                    else stay + rng.expovariate(1 / late_mean)
                )
            )
            # repeats from a generator of their own: the day is the same with or without them
            if repeats is not None and repeats.random() < repeat_share:
                calls.append(calls[0] + repeats.expovariate(1 / repeat_mean))
        out.append(Visitor(t, stay, calls))


def simulate(
    visitors: list[Visitor], pool_size: int, store: SqlLeaseStore, hold: int = HOLD
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/sim.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        maker = make_sessionmaker(engine)
        with maker() as db:
            account = create_account(db, AccountCreate(name="Sim", email="sim@sim.example")).account
            site = Site(
                account_id=account.id,
                name="s",
                domains=["sim.example"],
                site_key="simsite",
                business_number="+15125550100",
            )
            db.add(site)
            db.flush()
            pool = Pool(account_id=account.id, site_id=site.id, name="p", hold_seconds=hold)
            db.add(pool)
            db.flush()
            for i in range(pool_size):
                db.add(
                    TrackingNumber(
                        account_id=account.id,
                        number=f"+1512{5550000 + i:07d}",
                        pool_id=pool.id,
                        active=True,
                    )
                )
            db.commit()
            config = load(db, "simsite")
            account_id = account.id
        assert config is not None
        assert config.pool is not None
        ping_every = max(1, min(60, hold // 3))
        # (time, kind, visitor): 0 start, 1 ping, 2 call (told to stores that listen)
        events: list[tuple[float, int, int]] = []
        listens = isinstance(store, ToldOfCalls)
        told: dict[int, Earlier] = {}  # each visitor's last call, as attributed then
        for i, v in enumerate(visitors):
            events.append((v.arrive, 0, i))
            if listens:
                events.extend((at, 2, i) for at in v.calls)
            k = 1
            while k * ping_every < v.stay:
                events.append((v.arrive + k * ping_every, 1, i))
                k += 1
        events.sort()
        with maker() as db:
            tracker = Tracker(db=db, store=store, config=config)
            for at, kind, i in events:
                v = visitors[i]
                now = DAY0 + timedelta(seconds=at)
                if kind == 0:
                    answer = tracker.start(
                        SessionStart(url="https://sim.example/", user_agent=UA), now
                    )
                    v.session = answer.session_id
                    if answer.swaps:
                        v.number = int(
                            next(
                                k for k, e in config.pool.numbers.items() if e == answer.swaps[0].to
                            )
                        )
                elif kind == 2:
                    if v.number is not None:  # attributed as the call processor would
                        flush(db)
                        db.expire_all()
                        found = with_caller(candidates(db, account_id, v.number, now), told.get(i))
                        if found:
                            told[i] = Earlier(now, found[0].session, found[0].confidence)
                            holder_called(db, [found[0].session])
                        db.expunge_all()
                else:
                    assert v.session is not None
                    tracker.ping(v.session, Ping(), now)
            db.commit()
        calls = right = 0
        with Session(engine) as db:
            for v in visitors:
                if v.number is None:
                    continue
                earlier = None  # each visitor is a caller of their own
                for at in v.calls:
                    calls += 1
                    when = DAY0 + timedelta(seconds=at)
                    found = with_caller(candidates(db, account_id, v.number, when), earlier)
                    if found:
                        earlier = Earlier(when, found[0].session, found[0].confidence)
                    right += bool(found) and found[0].session.public_id == v.session
            windows = db.execute(
                select(VisitorSession.leased_at, VisitorSession.lease_expires_at).where(
                    VisitorSession.number_id.is_not(None)
                )
            ).all()
            shared = db.scalar(select(VisitorSession.id).where(VisitorSession.shared).limit(1))
        engine.dispose()
    return {
        "calls": calls,
        "correct": right / calls if calls else 0.0,
        "peak_holding": peak_overlap([(a, b) for a, b in windows]),
        "exhausted": shared is not None,
    }


def needed(visitors: list[Visitor], make_store, low: int, high: int, hold: int) -> int | None:  # type: ignore[no-untyped-def]
    """The smallest pool with >= 99% correct attribution (bisection; correctness ~ monotone),
    or None when even `high` numbers are not enough."""
    if simulate(visitors, high, make_store(), hold)["correct"] < TARGET:
        return None
    while low < high:
        mid = (low + high) // 2
        if simulate(visitors, mid, make_store(), hold)["correct"] >= TARGET:
            high = mid
        else:
            low = mid + 1
    return low


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=4000, help="visitors in the day")
    parser.add_argument("--call-share", type=float, default=0.25, help="share of visitors who call")
    parser.add_argument(
        "--late-mean",
        type=float,
        default=900,
        help="mean seconds after leaving for those who call later",
    )
    parser.add_argument(
        "--hold", type=int, default=HOLD, help="the pool's hold_seconds (the product's is 1800)"
    )
    parser.add_argument(
        "--repeat-share", type=float, default=0.0, help="share of callers who call once more"
    )
    parser.add_argument(
        "--repeat-mean", type=float, default=1800, help="mean seconds from first call to second"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--factors",
        default="0.5,0.75,0.9,1.0,1.1,1.2,1.5,2.0",
        help="pool sizes to simulate, as multiples of the peak",
    )
    parser.add_argument(
        "--policies", default="callscope,lru,lowest-id,random", help="the columns, in order"
    )
    parser.add_argument(
        "--no-needed", action="store_true", help="skip the search for the pool 99%% needs"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.policies.split(",")) - set(POLICIES))
    if unknown:
        parser.error(f"unknown policies {', '.join(unknown)}; known: {', '.join(POLICIES)}")
    try:
        factors = [float(f) for f in args.factors.split(",")]
    except ValueError:
        parser.error(f"--factors takes numbers separated by commas, not {args.factors!r}")
    rng = random.Random(args.seed)
    visitors = day(
        args.visitors,
        args.call_share,
        args.late_mean,
        rng,
        args.repeat_share,
        args.repeat_mean,
        random.Random(args.seed + 1),
    )
    started = time.perf_counter()
    unlimited = simulate(visitors, 2000, SqlLeaseStore(), args.hold)
    peak = int(unlimited["peak_holding"])
    print(
        f"{len(visitors)} visitors, {sum(len(v.calls) for v in visitors)} calls "
        f"({args.repeat_share:.0%} of callers call again), hold {args.hold} s, "
        f"late callers {args.late_mean:.0f} s after leaving on average; "
        f"peak concurrent sessions holding a number: {peak}"
    )
    policies = {
        "callscope": ToldOfCalls,
        "lru": SqlLeaseStore,
        "lowest-id": LowestIdStore,
        "random": lambda: RandomStore(random.Random(args.seed)),
    }
    stores = {name: policies[name] for name in args.policies.split(",")}
    table: dict[str, dict[str, float]] = {}
    print(f"{'pool':>6} {'x peak':>7} " + " ".join(f"{name:>10}" for name in stores))
    for factor in factors:
        size = max(1, round(peak * factor))
        row = {
            name: simulate(visitors, size, make(), args.hold)["correct"]
            for name, make in stores.items()
        }
        table[str(factor)] = row | {"size": size}
        print(f"{size:6d} {factor:7.2f} " + " ".join(f"{row[n]:10.4f}" for n in stores))
    need: dict[str, int | None] = {}
    if not args.no_needed:
        need = {n: needed(visitors, make, 1, 3 * peak, args.hold) for n, make in stores.items()}
        print(
            "pool needed for 99% correct: "
            + ", ".join(
                f"{n} {v} ({v / peak:.2f}x peak)" if v else f"{n} more than 3x peak"
                for n, v in need.items()
            )
        )
    print(
        json.dumps(
            {
                "visitors": len(visitors),
                "hold_seconds": args.hold,
                "peak": peak,
                "late_mean": args.late_mean,
                "repeat_share": args.repeat_share,
                "repeat_mean": args.repeat_mean,
                "by_factor": table,
                "needed_for_99": need,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
