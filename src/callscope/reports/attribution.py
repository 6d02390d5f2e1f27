"""Multi-touch attribution of qualified calls to sources, six models side by side.

A qualified call's journey is the visitor sessions of its caller within the account's sales
cycle before the call: the sessions of the visitor behind the call's own session, and of
every visitor behind this caller's earlier calls in the cycle (one person, several devices
or cookies). A call that came without a session (a static number: flyer, listing) adds its
own source as the last touch; a call with no journey at all credits its own source in full.

Each call hands out exactly 1 credit over its touches (ordered by time, at most the last
`MAX_TOUCHES`); credits are summed per touch source. Models, for touches 1..n at times t_i
and the call at time T:
- first_touch: touch 1 gets 1.   last_touch: touch n gets 1.
- last_non_direct: the last touch whose channel is not `direct` gets 1 (touch n if all are).
- linear: 1/n each.
- time_decay: weight 2^(-(T - t_i) / half-life), half-life 7 days, normalised to sum to 1.
- position_based (U-shaped 40/20/40): 1 touch: 1; 2 touches: 0.5 each; else 0.4 to the
  first, 0.4 to the last and 0.2 split evenly over the ones between.

Few queries: the qualified calls (one pass over the period), then their callers' calls with
sessions and those visitors' sessions, looked up through the caller and visitor indexes in
chunks of `CHUNK`, and the source names; the folding is in Python, linear in the touches.
Times are read as whole epoch seconds (cheaper than datetimes by the hundred thousand): a
touch in the same second as the call counts as before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from callscope.accounts.models import Account
from callscope.calls.models import Call
from callscope.numbers.models import Source
from callscope.reports.facts import NONE, report_settings, source_names
from callscope.reports.filters import ReportFilter, conditions
from callscope.reports.localtime import epoch
from callscope.reports.models import CallCredit
from callscope.reports.schemas import AttributionReport, AttributionRow, FilterEcho
from callscope.tracking.models import VisitorSession

HALF_LIFE_DAYS = 7.0
MAX_TOUCHES = 100
CHUNK = 2000  # ids per IN list: well under SQLite's 32766 bound parameters
MODELS = ("first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based")


class Touch(NamedTuple):
    at: int  # epoch seconds
    source_id: int | None
    channel: str | None
    key: int  # a session id; 0 for the call's own (sessionless) touch


def credits(touches: Sequence[Touch], call_at: int) -> dict[str, list[float]]:
    """Per model, the credit of each touch (each list sums to 1)."""
    n = len(touches)

    def one_at(i: int) -> list[float]:
        return [1.0 if j == i else 0.0 for j in range(n)]

    non_direct = [i for i, t in enumerate(touches) if t.channel != "direct"]
    half_life = timedelta(days=HALF_LIFE_DAYS).total_seconds()
    decay = [0.5 ** (max(call_at - t.at, 0) / half_life) for t in touches]
    if n == 1:
        position = [1.0]
    elif n == 2:
        position = [0.5, 0.5]
    else:
        position = [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    return {
        "first_touch": one_at(0),
        "last_touch": one_at(n - 1),
        "last_non_direct": one_at(non_direct[-1] if non_direct else n - 1),
        "linear": [1.0 / n] * n,
        "time_decay": [w / sum(decay) for w in decay],
        "position_based": position,
    }


def call_rows(session: Session, account_id: int, *where: ColumnElement[bool]) -> Sequence[Any]:
    """The calls matching `where`, with what their journeys need, in time order."""
    own = aliased(VisitorSession)
    # Core rows and epoch seconds: tens of thousands of rows, not worth ORM rows or datetimes.
    return (
        session.connection()
        .execute(
            select(
                Call.id,
                epoch(Call.started_at).label("started_at"),
                Call.caller,
                Call.source_id,
                Call.session_id,
                Source.channel.label("source_channel"),
                own.visitor_id,
                epoch(own.started_at).label("session_at"),
                own.source_id.label("session_source_id"),
                own.channel.label("session_channel"),
            )
            .outerjoin(Source, and_(Source.id == Call.source_id, Source.account_id == account_id))
            .outerjoin(own, and_(own.id == Call.session_id, own.account_id == account_id))
            .where(Call.account_id == account_id, *where)
            .order_by(Call.started_at, Call.id)
        )
        .all()
    )


def _chunks(values: set[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i : i + CHUNK]


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _lookups(
    session: Session, account_id: int, calls: Sequence[Any], cycle: int
) -> tuple[dict[str, list[tuple[int, str]]], dict[str, list[Touch]]]:
    """(caller -> [(call time, visitor id)], visitor id -> sessions as touches) in the window
    from the first call less the sales cycle to the last call.

    Looked up by caller and by visitor id through their indexes (each covers what is read),
    in chunks, rather than by scanning the window's calls again: the qualified calls are
    usually a small part of them.
    """
    db = session.connection()
    since = _at(min(c.started_at for c in calls) - cycle)
    until = _at(max(c.started_at for c in calls) + 1)  # times are whole seconds: all of it
    links: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for callers in _chunks({c.caller for c in calls if c.caller}):
        for caller, at, visitor in db.execute(
            select(Call.caller, epoch(Call.started_at), VisitorSession.visitor_id)
            .join(
                VisitorSession,
                and_(
                    VisitorSession.id == Call.session_id,
                    VisitorSession.account_id == account_id,
                ),
            )
            .where(
                Call.account_id == account_id,
                Call.caller.in_(callers),
                Call.started_at >= since,
                Call.started_at < until,
            )
        ):
            if caller:
                links[caller].append((at, visitor))
    visitors = {c.visitor_id for c in calls if c.visitor_id}
    visitors |= {v for pairs in links.values() for _, v in pairs}
    by_visitor: dict[str, list[Touch]] = defaultdict(list)
    for chunk in _chunks(visitors):
        for sid, visitor, at, source_id, channel in db.execute(
            select(
                VisitorSession.id,
                VisitorSession.visitor_id,
                epoch(VisitorSession.started_at),
                VisitorSession.source_id,
                VisitorSession.channel,
            ).where(
                VisitorSession.account_id == account_id,
                VisitorSession.visitor_id.in_(chunk),
                VisitorSession.started_at >= since,
                VisitorSession.started_at < until,
            )
        ):
            by_visitor[visitor].append(Touch(at, source_id, channel, sid))
    return links, by_visitor


def _touches(
    call: Any,
    cycle: int,
    links: dict[str, list[tuple[int, str]]],
    by_visitor: dict[str, list[Touch]],
) -> list[Touch]:
    at, since = call.started_at, call.started_at - cycle
    visitors = {call.visitor_id} if call.visitor_id else set()
    for linked_at, visitor in links.get(call.caller, ()) if call.caller else ():
        if since <= linked_at <= at:
            visitors.add(visitor)
    found = {t.key: t for v in visitors for t in by_visitor.get(v, ()) if since <= t.at <= at}
    if call.session_id and call.session_id not in found:  # its own session always counts
        found[call.session_id] = Touch(
            call.session_at, call.session_source_id, call.session_channel, call.session_id
        )
    touches = sorted(found.values(), key=lambda t: (t.at, t.key))
    if not call.session_id:
        channel = str(call.source_channel) if call.source_channel else None
        touches.append(Touch(at, call.source_id, channel, 0))
    return touches[-MAX_TOUCHES:]


def journeys(
    session: Session, account_id: int, calls: Sequence[Any], cycle_days: int
) -> list[tuple[Any, list[Touch]]]:
    """Each of `calls` (rows of `call_rows`) with its journey's touches, in time order."""
    if not calls:
        return []
    cycle = int(timedelta(days=cycle_days).total_seconds())
    links, by_visitor = _lookups(session, account_id, calls, cycle)
    return [(call, _touches(call, cycle, links, by_visitor)) for call in calls]


def shares(touches: Sequence[Touch], call_at: int) -> list[tuple[int | None, list[float]]]:
    """(touch source, its credit in each of `MODELS`) per touch of one call's journey."""
    if len(touches) == 1:  # the common case: every model gives the one touch everything
        return [(touches[0].source_id, [1.0] * len(MODELS))]
    by_model = credits(touches, call_at)
    return [(touch.source_id, [by_model[m][i] for m in MODELS]) for i, touch in enumerate(touches)]


def _report(
    session: Session,
    f: ReportFilter,
    qualified: int,
    cycle_days: int,
    sums: Iterable[tuple[int | None, Sequence[float]]],
) -> AttributionReport:
    """Fold per-source credits into the report's rows (unknown or deleted sources: none)."""
    sums = list(sums)
    names = source_names(session, f.account_id, {s for s, _ in sums if s})
    totals: dict[int | None, list[float]] = defaultdict(lambda: [0.0] * len(MODELS))
    for source_id, values in sums:
        row = totals[source_id if source_id in names else None]
        for i, value in enumerate(values):
            row[i] += value
    rows = [
        AttributionRow(
            source_id=source_id,
            source=names[source_id].name if source_id is not None else NONE,
            channel=str(names[source_id].channel) if source_id is not None else None,
            **{m: round(v, 4) for m, v in zip(MODELS, values, strict=True)},
        )
        for source_id, values in totals.items()
    ]
    rows.sort(key=lambda r: (-r.linear, r.source))
    return AttributionReport(
        filter=FilterEcho.model_validate(f.echo()),
        qualified_calls=qualified,
        sales_cycle_days=cycle_days,
        half_life_days=HALF_LIFE_DAYS,
        models=list(MODELS),
        rows=rows,
    )


def _cycle_days(session: Session, account_id: int) -> int:
    account = session.get(Account, account_id)
    return account.sales_cycle_days if account else 30


def attribution_live(session: Session, f: ReportFilter) -> AttributionReport:
    """The report computed from the calls and sessions themselves: the reference the
    precomputed credits are tested against (and what they are computed with)."""
    report_settings(session)
    cycle_days = _cycle_days(session, f.account_id)
    calls = call_rows(session, f.account_id, *conditions(f), Call.qualified.is_(True))
    sums = [
        pair
        for call, touches in journeys(session, f.account_id, calls, cycle_days)
        for pair in shares(touches, call.started_at)
    ]
    return _report(session, f, len(calls), cycle_days, sums)


def from_credits(session: Session, f: ReportFilter) -> AttributionReport:
    """Sums of the qualified calls' precomputed credits (`call_credits`, which
    `rollups.fresh` brings up to date first), per touch source."""
    report_settings(session)
    qualified = select(Call.id).where(*conditions(f), Call.qualified.is_(True))
    query = select(CallCredit.source_id, *(func.sum(getattr(CallCredit, m)) for m in MODELS)).where(
        CallCredit.account_id == f.account_id,
        CallCredit.started_at >= f.period.start,
        CallCredit.started_at < f.period.end,
    )
    if f.narrowed:  # beyond the period, the filter needs the calls themselves
        query = query.where(CallCredit.call_id.in_(qualified))
    sums = [
        (source_id, [float(v or 0.0) for v in values])
        for source_id, *values in session.execute(query.group_by(CallCredit.source_id))
    ]
    count = session.scalar(select(func.count()).select_from(qualified.subquery())) or 0
    return _report(session, f, count, _cycle_days(session, f.account_id), sums)
