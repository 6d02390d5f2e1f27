"""Keeping the reports' precomputed tables (reports/models.py) current, and reading them.

**What changed.** Every write to a call or an insight stamps its `updated_at` (the columns'
`onupdate` covers ORM and Core statements alike: the webhook processor, the CDR import,
recordings, insight storage and corrections, the demo seed), so no writer has to know
about reports. `refresh` asks what was stamped since the account's `days_through` /
`credits_through`, less `MARGIN` (a transaction stamps its rows before it commits, so a
change can become visible a little after its stamp), and redoes only that:

- **Daily rollups.** Each local day holding a changed call or insight is deleted and
  counted again from the calls (one `INSERT ... SELECT` per table and run of consecutive days), so a
  day's rows are always what the live query gives for that day. The day before and after
  are counted again too: a call's start time can move when an earlier event of it arrives
  late (by seconds to minutes, never by a day), and may cross midnight.
- **Attribution credits.** A call's journey is built from its caller's calls up to it
  (see attribution.py), so a changed call can change the journeys of the same caller's
  later calls within the sales cycle: those are credited again too (a day wider on each
  side, for a start time that moved), with the very code the live report uses. Deleting a
  source or changing its channel stamps its calls (numbers/service.py).
- **Full builds.** The first time (no state yet), when the account's time zone changed
  (local days move) or its sales cycle changed (journeys change), everything is built again;
  likewise when more than `FULL_ABOVE` calls changed at once (a large import), as a full
  build is then cheaper than looking up each call's caller.

**When.** Each report that reads these tables calls `fresh` first: nothing changed is one
cheap indexed query; otherwise the refresh runs in its own write transaction and commits
before the report reads, so a report is never behind the calls. A full build of a large
account takes minutes (about 3 on SQLite at a million calls), too long for a request: the
report then reads the calls instead (correct, slower), and `callscope reports refresh` does
the build (after an upgrade; the CDR import runs it at its end).

**Concurrency.** A refresh holds the account's `report_state` row (`FOR UPDATE` on
PostgreSQL; SQLite has a single writer anyway) and reads the state again once it holds it,
so two refreshes never rebuild the same rows at once. A request does not queue behind
another refresh (`NOWAIT`), and if its refresh fails for any reason the report reads the
calls instead: a report never fails or waits minutes because of these tables.

**Counted once.** A change stays within `MARGIN` for two minutes, and a refresh cannot
tell it from one committed late; so each refresh keeps the changes stamped within the
margin that it saw (`report_state.seen`, row and stamp, read before its counting) and the
next one skips them: a busy account's reads do not redo the last two minutes' calls every
time. Beyond `SEEN_MAX` such changes (an import), none are kept and they are redone.

**Known limits.** Stamps come
from the writing process's clock: hosts must agree on the
time to well within `MARGIN`, and a write transaction must commit within it. A changed
call's previous caller is not known, so if a rebuild changes a call's caller, that caller's
later calls keep their credits until a full build. Deleted calls (only an account deletion
does that) are not seen: `callscope reports refresh --full`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Engine,
    Table,
    and_,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callscope.accounts.models import Account
from callscope.calls.models import Call, CallStatus
from callscope.db.base import utcnow
from callscope.db.engine import is_writer, make_sessionmaker
from callscope.intel.models import CallInsight
from callscope.reports import attribution
from callscope.reports.facts import MISSED, phrases_of, report_settings
from callscope.reports.filters import Period, ReportFilter, local_period
from callscope.reports.localtime import LocalClock, day_number, epoch
from callscope.reports.models import (
    CallCredit,
    ReportDay,
    ReportPhrase,
    ReportPlace,
    ReportState,
)

log = logging.getLogger(__name__)

MARGIN = timedelta(minutes=2)
WINDOW_DAYS = 31  # a full build counts and credits a month per statement
FULL_ABOVE = 50_000  # changed calls beyond which a full build is cheaper
INLINE_FULL = 5_000  # calls beyond which a request leaves a full build to the CLI (a
# request holds SQLite's write lock while it refreshes: at most a second or two)
SLACK = 86_400  # seconds: a changed call's start may have moved by up to this much
CHUNK = 2000
SEEN_MAX = 1000  # changes within the margin a refresh remembers as counted
_EPOCH = date(1970, 1, 1)


@dataclass
class Refreshed:
    """What one refresh did: for the CLI and the benchmark."""

    full_days: bool = False
    full_credits: bool = False
    days: int = 0  # local days counted again
    credited: int = 0  # qualified calls credited again
    seconds: float = 0.0


def day_of(at: datetime, zone: ZoneInfo) -> int:
    return (at.astimezone(zone).date() - _EPOCH).days


def _date(day: int) -> date:
    return _EPOCH + timedelta(days=day)


# ---------------------------------------------------------------------------------------
# Freshness


def _key(kind: str, row_id: int, at: datetime | None) -> str:
    """A change as `ReportState.seen` keeps it: the row and the stamp it had."""
    return f"{kind}:{row_id}:{at.isoformat() if at else ''}"


def _recent(session: Session, account_id: int, since: datetime) -> list[str] | None:
    """The changes stamped since `since`; None if more than `SEEN_MAX`."""
    keys: list[str] = []
    for kind, model in (("c", Call), ("i", CallInsight)):
        rows = session.execute(
            select(model.id, model.updated_at)
            .where(model.account_id == account_id, model.updated_at >= since)
            .limit(SEEN_MAX + 1)
        ).all()
        keys.extend(_key(kind, row_id, at) for row_id, at in rows)
        if len(keys) > SEEN_MAX:
            return None
    return keys


def _stale(session: Session, account: Account, state: ReportState | None) -> bool:
    if _full_due(account, state):
        return True
    assert state is not None
    assert state.days_through
    assert state.credits_through
    since = min(state.days_through, state.credits_through) - MARGIN
    if state.seen:
        recent = _recent(session, account.id, since)
        return recent is None or not set(recent) <= set(state.seen)
    changed_call = select(Call.id).where(Call.account_id == account.id, Call.updated_at >= since)
    changed_insight = select(CallInsight.id).where(
        CallInsight.account_id == account.id, CallInsight.updated_at >= since
    )
    return bool(session.scalar(select(or_(changed_call.exists(), changed_insight.exists()))))


def _full_due(account: Account, state: ReportState | None) -> bool:
    return (
        state is None
        or state.days_through is None
        or state.credits_through is None
        or state.timezone != account.timezone
        or state.sales_cycle_days != account.sales_cycle_days
    )


def _heavy(session: Session, account: Account, state: ReportState | None) -> bool:
    """Whether bringing the tables up to date means reading most of a large account."""
    if not _full_due(account, state):
        assert state is not None
        assert state.credits_through is not None
        changed = select(Call.id).where(
            Call.account_id == account.id, Call.updated_at >= state.credits_through - MARGIN
        )
        count = session.scalar(
            select(func.count()).select_from(changed.limit(FULL_ABOVE + 1).subquery())
        )
        if (count or 0) <= FULL_ABOVE:
            return False
    calls = select(Call.id).where(Call.account_id == account.id, Call.direction == "inbound")
    inbound = session.scalar(
        select(func.count()).select_from(calls.limit(INLINE_FULL + 1).subquery())
    )
    return (inbound or 0) > INLINE_FULL


def stale(session: Session, account_id: int) -> bool:
    """Whether the account's precomputed tables are behind its calls."""
    account = session.get(Account, account_id, populate_existing=True)
    state = session.get(ReportState, account_id, populate_existing=True)
    return account is not None and _stale(session, account, state)


def fresh(session: Session, account_id: int) -> bool:
    """Whether a report may read the precomputed tables with `session`: they are up to date,
    or were just brought up to date. False when that means a full build (or a catch-up of
    more than `FULL_ABOVE` changed calls) of an account of more than `INLINE_FULL` calls:
    too long for a request, it is left to `callscope reports refresh` (which the CDR import
    runs at its end); until then reports read the calls, correct but slower."""
    account = session.get(Account, account_id, populate_existing=True)
    state = session.get(ReportState, account_id, populate_existing=True)
    if account is None:
        return False
    if not _stale(session, account, state):
        return True
    if _heavy(session, account, state):
        return False
    bind = session.get_bind()
    if not isinstance(bind, Engine) or is_writer(bind):
        # A session on one connection, or one that writes anyway (on SQLite it may already
        # hold the write lock): in it, for its caller to commit.
        refresh(session, account_id)
        session.flush()
        return True
    try:
        with make_sessionmaker(bind, write=True)() as writer:
            refresh(writer, account_id, wait=False)
            writer.commit()
    except SQLAlchemyError:
        # Another refresh holds the account (PostgreSQL), the write lock was not free in
        # time (SQLite), or the refresh failed: this report reads the calls instead.
        log.warning("reports: refreshing account %s failed; read live", account_id, exc_info=True)
        session.rollback()
        return False
    # End the request's transaction: on SQLite a transaction reads the database as it was
    # when it began, before this refresh.
    session.commit()
    return True


def _lock_state(session: Session, account_id: int, wait: bool) -> ReportState:
    dialect = session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        make(ReportState)
        .values(account_id=account_id, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    state = session.scalars(
        select(ReportState)
        .where(ReportState.account_id == account_id)
        .with_for_update(nowait=not wait)
        .execution_options(populate_existing=True)
    ).one()
    return state


def refresh(
    session: Session, account_id: int, *, full: bool = False, wait: bool = True
) -> Refreshed:
    """Bring one account's rollups and credits up to date in `session` (not committed);
    `wait=False`: fail at once (PostgreSQL) when another refresh holds the account."""
    began = time.perf_counter()
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"account {account_id} does not exist")
    state = _lock_state(session, account_id, wait)
    report_settings(session)  # custom plans above all: the journeys' lookups repeat
    now = utcnow()
    zone = ZoneInfo(account.timezone)
    done = Refreshed()
    # Read before counting: whatever is visible now is in the counts that follow.
    recent = _recent(session, account_id, now - MARGIN)
    seen = set(state.seen or ())
    changed_calls = _changed_calls(session, account_id, state.credits_through, full, seen)
    if changed_calls is not None and len(changed_calls) > FULL_ABOVE:
        full = True
    if full or state.days_through is None or state.timezone != account.timezone:
        done.full_days = True
        done.days = _build_days(session, account_id, zone)
    else:
        days, with_insight = _changed_days(
            session, account_id, zone, state.days_through - MARGIN, seen
        )
        done.days = _count_days(session, account_id, zone, days, (ReportDay, ReportPlace))
        _count_days(session, account_id, zone, with_insight, (ReportPhrase,))
    if full or state.credits_through is None or state.sales_cycle_days != account.sales_cycle_days:
        done.full_credits = True
        done.credited = _build_credits(session, account_id, account.sales_cycle_days)
    else:
        done.credited = _credit_changed(
            session, account_id, account.sales_cycle_days, changed_calls or []
        )
    if (done.full_days or done.full_credits) and session.get_bind().dialect.name == "postgresql":
        # A full build can add most of a table's rows at once: plan on what is there now
        # (an estimate of a few rows sorted 50,000 on disk), not on what autovacuum saw last.
        session.execute(text("ANALYZE report_days, report_phrases, report_places, call_credits"))
    state.timezone = account.timezone
    state.sales_cycle_days = account.sales_cycle_days
    state.days_through = now
    state.credits_through = now
    state.seen = recent
    done.seconds = round(time.perf_counter() - began, 3)
    return done


# ---------------------------------------------------------------------------------------
# Daily rollups


def _changed_days(
    session: Session, account_id: int, zone: ZoneInfo, since: datetime, seen: set[str]
) -> tuple[set[int], set[int]]:
    """The local days to count again for the changes since `since` not in `seen`, and of
    those the days of changed calls with an insight or changed insights: a call without one
    has no key phrases, so a new call's phrase counts stay as they are."""
    calls = (
        select(
            literal("c"),
            Call.id,
            Call.updated_at,
            Call.started_at,
            CallInsight.id.is_not(None),
        )
        .outerjoin(CallInsight, _insight_of_call(account_id))
        .where(Call.account_id == account_id, Call.updated_at >= since)
    )
    insights = (
        select(literal("i"), CallInsight.id, CallInsight.updated_at, Call.started_at, true())
        .join(CallInsight, CallInsight.call_id == Call.id)
        .where(
            CallInsight.account_id == account_id,
            CallInsight.updated_at >= since,
            Call.account_id == account_id,
        )
    )
    days: set[int] = set()
    with_insight: set[int] = set()
    for query in (calls, insights):
        for kind, row_id, stamp, at, has_insight in session.execute(query):
            if _key(kind, row_id, stamp) not in seen:
                day = day_of(at, zone)
                days.update((day - 1, day, day + 1))
                if has_insight:
                    with_insight.update((day - 1, day, day + 1))
    return days, with_insight


def _runs(days: set[int]) -> Iterator[tuple[int, int]]:
    """Consecutive days as (first, last) runs, at most `WINDOW_DAYS` long."""
    ordered = sorted(days)
    i = 0
    while i < len(ordered):
        j = i
        while (
            j + 1 < len(ordered)
            and ordered[j + 1] == ordered[j] + 1
            and ordered[j + 1] - ordered[i] < WINDOW_DAYS
        ):
            j += 1
        yield ordered[i], ordered[j]
        i = j + 1


def _period(first: int, last: int, zone: ZoneInfo) -> Period:
    return local_period(_date(first), _date(last), zone)


def _inbound_in(account_id: int, period: Period) -> list[ColumnElement[bool]]:
    return [
        Call.account_id == account_id,
        Call.direction == "inbound",
        Call.started_at >= period.start,
        Call.started_at < period.end,
    ]


def _insight_of_call(account_id: int) -> ColumnElement[bool]:
    return and_(CallInsight.call_id == Call.id, CallInsight.account_id == account_id)


def _inbound_facts(account_id: int, period: Period, *columns: Any) -> Any:
    """`columns` of the account's inbound calls in `period`, each with its insight if any,
    as the subquery a rollup's counts group."""
    return (
        select(*columns)
        .select_from(Call)
        .outerjoin(CallInsight, _insight_of_call(account_id))
        .where(*_inbound_in(account_id, period))
        .subquery("facts")
    )


def _day_counts(account_id: int, zone: ZoneInfo, period: Period) -> Any:
    """The rollup rows of the days of `period`, as a SELECT for INSERT ... SELECT."""
    clock = LocalClock.covering(zone, period.start, period.end)
    answered = Call.status == CallStatus.answered
    facts = _inbound_facts(
        account_id,
        period,
        Call.account_id,
        day_number(clock.seconds(Call.started_at)).label("day"),
        Call.source_id,
        CallInsight.category,
        CallInsight.sentiment,
        case(
            (answered, literal("answered")),
            (Call.status.in_(MISSED), literal("missed")),
            else_=literal("other"),
        ).label("outcome"),
        Call.qualified,
        Call.first_time_caller,
        case((answered, Call.talk_seconds), else_=0).label("talk"),
    )
    c = facts.c
    keys = (
        c.account_id,
        c.day,
        c.source_id,
        c.category,
        c.sentiment,
        c.outcome,
        c.qualified,
        c.first_time_caller,
    )
    return select(*keys, func.count(), func.coalesce(func.sum(c.talk), 0)).group_by(*keys)


def _phrase_counts(dialect: str, account_id: int, zone: ZoneInfo, period: Period) -> Any:
    clock = LocalClock.covering(zone, period.start, period.end)
    facts = (
        select(
            Call.account_id,
            day_number(clock.seconds(Call.started_at)).label("day"),
            CallInsight.category,
            Call.source_id,
            CallInsight.key_phrases,
            Call.id.label("call_id"),
        )
        .join(CallInsight, _insight_of_call(account_id))
        .where(*_inbound_in(account_id, period))
        .subquery("facts")
    )
    c = facts.c
    phrase = phrases_of(dialect, c.key_phrases)
    keys = (c.account_id, c.day, c.category, c.source_id, phrase.c.value)
    return (
        select(*keys, func.count(distinct(c.call_id)))
        .select_from(facts)
        .join(phrase, true())
        .group_by(*keys)
    )


def _place_counts(account_id: int, zone: ZoneInfo, period: Period) -> list[Any]:
    """The `report_places` rows of the days of `period`: one SELECT by location and agent,
    one by caller region."""
    clock = LocalClock.covering(zone, period.start, period.end)
    answered = Call.status == CallStatus.answered
    facts = _inbound_facts(
        account_id,
        period,
        Call.account_id,
        day_number(clock.seconds(Call.started_at)).label("day"),
        CallInsight.category,
        case((answered, True), else_=False).label("answered"),
        Call.location,
        Call.agent,
        Call.caller_country.label("country"),
        Call.caller_region.label("region"),
        case((answered, Call.talk_seconds), else_=0).label("talk"),
    )
    c = facts.c
    common = (c.account_id, c.day, c.category, c.answered)
    counts = (func.count(), func.coalesce(func.sum(c.talk), 0))
    return [
        select(*common, literal("agent"), c.location, c.agent, null(), null(), *counts).group_by(
            *common, c.location, c.agent
        ),
        select(*common, literal("region"), null(), null(), c.country, c.region, *counts).group_by(
            *common, c.country, c.region
        ),
    ]


_DAY_COLUMNS = [
    "account_id",
    "day",
    "source_id",
    "category",
    "sentiment",
    "outcome",
    "qualified",
    "first_time_caller",
    "calls",
    "answered_talk",
]
_PHRASE_COLUMNS = ["account_id", "day", "category", "source_id", "phrase", "calls"]
_PLACE_COLUMNS = [
    "account_id",
    "day",
    "category",
    "answered",
    "by",
    "location",
    "agent",
    "country",
    "region",
    "calls",
    "answered_talk",
]
_DAILY = (ReportDay, ReportPhrase, ReportPlace)  # the tables counted per local day


def _count_run(
    session: Session,
    account_id: int,
    zone: ZoneInfo,
    first: int,
    last: int,
    tables: Sequence[type[Any]] = _DAILY,
) -> None:
    period = _period(first, last, zone)
    dialect = session.get_bind().dialect.name
    if ReportDay in tables:
        session.execute(
            insert(ReportDay).from_select(_DAY_COLUMNS, _day_counts(account_id, zone, period))
        )
    if ReportPhrase in tables:
        session.execute(
            insert(ReportPhrase).from_select(
                _PHRASE_COLUMNS, _phrase_counts(dialect, account_id, zone, period)
            )
        )
    if ReportPlace in tables:
        for counts in _place_counts(account_id, zone, period):
            session.execute(insert(ReportPlace).from_select(_PLACE_COLUMNS, counts))


def _count_days(
    session: Session,
    account_id: int,
    zone: ZoneInfo,
    days: set[int],
    tables: Sequence[type[Any]] = _DAILY,
) -> int:
    for first, last in _runs(days):
        for table in tables:
            session.execute(
                delete(table).where(
                    table.account_id == account_id, table.day >= first, table.day <= last
                )
            )
        _count_run(session, account_id, zone, first, last, tables)
    return len(days)


def _build_days(session: Session, account_id: int, zone: ZoneInfo) -> int:
    for table in _DAILY:
        session.execute(delete(table).where(table.account_id == account_id))
    first_at, last_at = session.execute(
        select(func.min(Call.started_at), func.max(Call.started_at)).where(
            Call.account_id == account_id, Call.direction == "inbound"
        )
    ).one()
    if first_at is None:
        return 0
    first, last = day_of(first_at, zone), day_of(last_at, zone)
    for start in range(first, last + 1, WINDOW_DAYS):
        _count_run(session, account_id, zone, start, min(start + WINDOW_DAYS - 1, last))
    return last - first + 1


# ---------------------------------------------------------------------------------------
# Attribution credits


def _changed_calls(
    session: Session, account_id: int, through: datetime | None, full: bool, seen: set[str]
) -> list[tuple[int, str | None, int]] | None:
    """(id, caller, start in epoch seconds) of the calls stamped since `through` less the
    margin and not in `seen`; None when a full build is due anyway."""
    if full or through is None:
        return None
    rows = session.execute(
        select(Call.id, Call.caller, epoch(Call.started_at), Call.updated_at).where(
            Call.account_id == account_id, Call.updated_at >= through - MARGIN
        )
    ).all()
    return [
        (int(i), caller, int(at))
        for i, caller, at, stamp in rows
        if _key("c", i, stamp) not in seen
    ]


def _credit_rows(
    session: Session, account_id: int, cycle_days: int, calls: Sequence[Any]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for call, touches in attribution.journeys(session, account_id, calls, cycle_days):
        started = datetime.fromtimestamp(call.started_at, UTC)
        for position, (source_id, values) in enumerate(
            attribution.shares(touches, call.started_at)
        ):
            row: dict[str, Any] = dict(zip(attribution.MODELS, values, strict=True))
            row.update(
                call_id=call.id,
                position=position,
                account_id=account_id,
                started_at=started,
                source_id=source_id,
            )
            rows.append(row)
    return rows


def _insert_credits(session: Session, rows: list[dict[str, Any]]) -> None:
    table = CallCredit.__table__
    assert isinstance(table, Table)
    for i in range(0, len(rows), 10_000):
        session.connection().execute(insert(table), rows[i : i + 10_000])


def _qualified() -> list[ColumnElement[bool]]:
    """Credits are kept for the calls attribution reports on: inbound and qualified."""
    return [Call.direction == "inbound", Call.qualified.is_(True)]


def _build_credits(session: Session, account_id: int, cycle_days: int) -> int:
    session.execute(delete(CallCredit).where(CallCredit.account_id == account_id))
    first_at, last_at = session.execute(
        select(func.min(Call.started_at), func.max(Call.started_at)).where(
            Call.account_id == account_id, *_qualified()
        )
    ).one()
    credited = 0
    if first_at is None:
        return 0
    start = first_at
    while start <= last_at:
        end = start + timedelta(days=WINDOW_DAYS)
        calls = attribution.call_rows(
            session,
            account_id,
            *_qualified(),
            Call.started_at >= start,
            Call.started_at < end,
        )
        _insert_credits(session, _credit_rows(session, account_id, cycle_days, calls))
        credited += len(calls)
        start = end
    return credited


def _credit_changed(
    session: Session,
    account_id: int,
    cycle_days: int,
    changed: list[tuple[int, str | None, int]],
) -> int:
    """Credit again the changed calls and the same callers' later calls within the cycle."""
    if not changed:
        return 0
    cycle = int(timedelta(days=cycle_days).total_seconds())
    affected = {call_id for call_id, _, _ in changed}
    windows: dict[str, list[int]] = defaultdict(list)
    for _, caller, at in changed:
        if caller:
            windows[caller].append(at)
    callers = sorted(windows)
    for i in range(0, len(callers), CHUNK):
        chunk = callers[i : i + CHUNK]
        earliest = datetime.fromtimestamp(min(min(windows[c]) for c in chunk) - SLACK, UTC)
        for call_id, caller, at in session.execute(
            select(Call.id, Call.caller, epoch(Call.started_at)).where(
                Call.account_id == account_id,
                Call.caller.in_(chunk),
                Call.started_at >= earliest,
            )
        ):
            if caller and any(
                start - SLACK <= at <= start + cycle + SLACK for start in windows[caller]
            ):
                affected.add(int(call_id))
    ids = sorted(affected)
    credited = 0
    for i in range(0, len(ids), CHUNK):
        chunk_ids = ids[i : i + CHUNK]
        session.execute(delete(CallCredit).where(CallCredit.call_id.in_(chunk_ids)))
        calls = attribution.call_rows(session, account_id, *_qualified(), Call.id.in_(chunk_ids))
        _insert_credits(session, _credit_rows(session, account_id, cycle_days, calls))
        credited += len(calls)
    return credited


# ---------------------------------------------------------------------------------------
# Reading the rollups


def _sum_if(condition: ColumnElement[bool], table: Any = ReportDay) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, table.calls), else_=0)), 0)


def measures(leads: list[str]) -> list[ColumnElement[Any]]:
    """The measures of `facts.measures`, summed over rollup rows instead of calls."""
    d = ReportDay
    is_lead = d.category.in_(leads) if leads else None
    return [
        func.coalesce(func.sum(d.calls), 0).label("calls"),
        _sum_if(d.outcome == "answered").label("answered"),
        _sum_if(d.outcome == "missed").label("missed"),
        _sum_if(d.qualified.is_(True)).label("qualified"),
        _sum_if(d.first_time_caller.is_(True)).label("first_time"),
        _sum_if(d.first_time_caller.is_(False)).label("repeat"),
        (_sum_if(is_lead) if is_lead is not None else literal(0)).label("leads"),
        func.coalesce(func.sum(d.answered_talk), 0).label("answered_talk"),
    ]


def place_measures(leads: list[str]) -> list[ColumnElement[Any]]:
    """calls, answered, leads and answered_talk summed over `report_places` rows."""
    p = ReportPlace
    return [
        func.coalesce(func.sum(p.calls), 0).label("calls"),
        _sum_if(p.answered.is_(True), p).label("answered"),
        (_sum_if(p.category.in_(leads), p) if leads else literal(0)).label("leads"),
        func.coalesce(func.sum(p.answered_talk), 0).label("answered_talk"),
    ]


def where(table: Any, f: ReportFilter, period: Period | None = None) -> list[ColumnElement[bool]]:
    """The filter's conditions on a rollup table (`f.rolled_up` must hold)."""
    period = period or f.period
    conditions = [
        table.account_id == f.account_id,
        table.day >= (period.first - _EPOCH).days,
        table.day <= (period.last - _EPOCH).days,
    ]
    if f.source_ids:
        conditions.append(table.source_id.in_(f.source_ids))
    if f.category:
        conditions.append(table.category == f.category)
    return conditions
