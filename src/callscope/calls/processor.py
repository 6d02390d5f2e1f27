"""Turn stored events into call records: merge, attribute, and keep caller history right.

`process_pending` takes a batch of unprocessed events and, in one transaction:
1. locks each call the batch touches (PostgreSQL advisory locks, so two workers never
   build the same call from half its events; SQLite has one writer anyway);
2. re-reads *every* stored event of those calls and merges them (facts.merge): the record
   depends on the set of events only, so a replay or an out-of-order arrival changes nothing;
3. attributes the call by its own start time: a static number gives its source; a pool
   number gives the visitor session that held it then (tracking.attribution), with that
   session's source and a confidence; a caller who rang the same number before goes to
   that call's session (attribution.with_caller); an unknown number leaves the call
   unattributed; the number of a session that called goes first once free
   (leases.holder_called);
4. recomputes first-time / repeat and qualified for every caller it touched, since a call
   imported late can make a later call a repeat;
5. marks the events processed. An event its adapter cannot read is marked with the error
   and skipped, so one bad event never blocks the queue.
Nothing here commits; the caller does.
"""

from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.orm import Session

from callscope.accounts.models import Account
from callscope.calls.facts import Facts, merge, parse_phone, region_of
from callscope.calls.models import Call, CallEvent, CallStatus, RecordingStatus
from callscope.calls.providers import NORMALIZERS
from callscope.db.base import utcnow
from callscope.jobs.service import schedule_calls
from callscope.numbers.models import TrackingNumber
from callscope.tracking.attribution import Earlier, Redials, candidates_many, with_caller
from callscope.tracking.leases import holder_called

log = logging.getLogger("callscope.calls")

Key = tuple[int, str, str]  # account_id, provider, call key
IN_CHUNK = 500
# Columns an insert may leave out; every row of one executemany needs the same keys.
INSERT_DEFAULTS: dict[str, Any] = {
    "recording_url": None,
    "recording_path": None,
    "recording_status": None,
    "first_time_caller": None,
    "qualified": False,
}


@dataclass
class Result:
    events: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0


@dataclass(frozen=True)
class NumberInfo:
    id: int
    source_id: int | None
    pool_id: int | None
    forward_to: str | None
    location: str | None


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock(session: Session, keys: Iterable[Key]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted({zlib.crc32(repr(k).encode()) for k in keys})
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(CAST(:ids AS bigint[])) AS k ORDER BY 1) s"
        ),
        {"ids": ids},
    )


def claim(session: Session, limit: int, account_id: int | None = None) -> list[int]:
    query = select(CallEvent.id).where(CallEvent.processed_at.is_(None))
    if account_id is not None:
        query = query.where(CallEvent.account_id == account_id)
    query = query.order_by(CallEvent.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def process_pending(session: Session, limit: int = 500, account_id: int | None = None) -> Result:
    ids = claim(session, limit, account_id)
    return process_events(session, ids) if ids else Result()


def process_events(session: Session, event_ids: Sequence[int]) -> Result:
    result = Result(events=len(event_ids))
    claimed = session.execute(
        select(CallEvent.account_id, CallEvent.provider, CallEvent.call_key).where(
            CallEvent.id.in_(event_ids)
        )
    ).all()
    keys: set[Key] = {(a, p, c) for a, p, c in claimed}
    _lock(session, keys)

    events_by_key: dict[Key, list[tuple[int, Facts]]] = defaultdict(list)
    errors: dict[int, str] = {}
    by_group: dict[tuple[int, str], list[str]] = defaultdict(list)
    for account, provider, call_key in keys:
        by_group[(account, provider)].append(call_key)
    for (account, provider), call_keys in by_group.items():
        normalize = NORMALIZERS[provider]
        for part in _chunks(sorted(call_keys)):
            rows = session.execute(
                select(
                    CallEvent.id, CallEvent.call_key, CallEvent.payload, CallEvent.received_at
                ).where(
                    CallEvent.account_id == account,
                    CallEvent.provider == provider,
                    CallEvent.call_key.in_(part),
                    CallEvent.error.is_(None),
                )
            ).all()
            for event_id, call_key, payload, received_at in rows:
                try:
                    events_by_key[(account, provider, call_key)].append(
                        (event_id, normalize(payload, received_at))
                    )
                except Exception as exc:  # one unreadable event must not block the rest
                    log.warning("call event %s unreadable: %r", event_id, exc)
                    errors[event_id] = f"{type(exc).__name__}: {exc}"[:500]

    accounts = {
        a.id: a
        for a in session.scalars(select(Account).where(Account.id.in_({k[0] for k in keys})))
    }
    numbers = _numbers(session, accounts)
    built: dict[int, list[tuple[Call | None, dict[str, Any]]]] = defaultdict(list)
    callers: dict[int, set[str]] = defaultdict(set)
    for (account, provider), call_keys in by_group.items():
        existing = _existing(session, account, provider, call_keys)
        pool_calls: list[tuple[int, dict[str, Any]]] = []
        for call_key in call_keys:
            facts = events_by_key.get((account, provider, call_key))
            if not facts:
                continue
            values = _values(merge(facts), numbers[account])
            row = existing.get(call_key)
            if row is None:
                values.update(account_id=account, provider=provider, provider_call_id=call_key)
            elif row.caller:
                callers[account].add(row.caller)
            moved = row is not None and (
                row.number_id != values["number_id"] or row.started_at != values["started_at"]
            )
            if row is None or moved or row.attribution == "none":
                pool_number = _attribute(values, numbers[account])
                if pool_number is not None:
                    pool_calls.append((pool_number, values))
            if values["caller"]:
                callers[account].add(values["caller"])
            built[account].append((row, values))
        _attribute_sessions(session, account, pool_calls)

    for account, calls in built.items():
        updates = _history(session, accounts[account], callers[account], calls)
        inserts: list[dict[str, Any]] = []
        recorded: dict[str, list[str]] = defaultdict(list)  # provider -> calls with a file
        for row, values in calls:
            if row is None:
                inserts.append(INSERT_DEFAULTS | values)
                if values.get("recording_path"):
                    recorded[values["provider"]].append(values["provider_call_id"])
                continue
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            _keep_stored_recording(row, changed)
            if changed:
                updates.append({"id": row.id, **changed})
                if changed.get("recording_path"):
                    recorded[row.provider].append(row.provider_call_id)
        if inserts:
            # Core executemany: the ORM's bulk path costs more than the insert itself.
            session.connection().execute(insert(cast(Table, Call.__table__)), inserts)
            result.created += len(inserts)
        if updates:
            session.execute(update(Call), updates)
            result.updated += len(updates)
        for provider, call_keys in recorded.items():
            for part in _chunks(sorted(call_keys)):
                schedule_calls(
                    session,
                    select(Call.id).where(
                        Call.account_id == account,
                        Call.provider == provider,
                        Call.provider_call_id.in_(part),
                    ),
                )

    now = utcnow()
    session.execute(
        update(CallEvent)
        .where(CallEvent.id.in_([i for i in event_ids if i not in errors]))
        .values(processed_at=now)
    )
    for event_id, message in errors.items():
        session.execute(
            update(CallEvent)
            .where(CallEvent.id == event_id)
            .values(processed_at=now, error=message)
        )
    result.failed = len(errors)
    return result


def _numbers(session: Session, accounts: dict[int, Account]) -> dict[int, dict[str, NumberInfo]]:
    out: dict[int, dict[str, NumberInfo]] = {a: {} for a in accounts}
    rows = session.scalars(
        select(TrackingNumber)
        .where(TrackingNumber.account_id.in_(accounts))
        .order_by(TrackingNumber.active, TrackingNumber.id)  # the active one wins below
    )
    for n in rows:
        out[n.account_id][n.number] = NumberInfo(
            n.id, n.source_id, n.pool_id, n.forward_to, n.location
        )
    return out


def _values(f: Facts, numbers: dict[str, NumberInfo]) -> dict[str, Any]:
    tracking = parse_phone(f.tracking_number_raw, f.region).e164
    number = numbers.get(tracking) if tracking else None
    region = f.region or region_of(tracking)
    caller = parse_phone(f.caller_raw, region)
    forward_to = parse_phone(f.forward_to_raw, region).e164 if f.forward_to_raw else None
    started = f.started_at or f.answered_at or f.seen_at or utcnow()
    status = f.status or CallStatus.ringing
    if status is CallStatus.ringing and f.ended_at is not None:
        status = CallStatus.missed  # it ended and nobody said it was answered
    if f.talk_seconds is not None:
        talk = f.talk_seconds
    elif f.answered_at and f.ended_at:
        talk = max(0, int((f.ended_at - f.answered_at).total_seconds()))
    else:
        talk = 0
    if f.ring_seconds is not None:
        ring: int | None = f.ring_seconds
    elif f.answered_at or f.ended_at:
        ring = max(0, int(((f.answered_at or f.ended_at) - started).total_seconds()))  # type: ignore[operator]
    else:
        ring = None
    values: dict[str, Any] = {
        "direction": f.direction or "inbound",
        "status": status.value,
        "caller": caller.e164,
        "caller_raw": (f.caller_raw or "")[:64] or None,
        "caller_name": (f.caller_name or "")[:100] or None,
        "caller_country": caller.country or (f.caller_country or "")[:2] or None,
        "caller_region": (caller.region or "")[:100] or None,
        "caller_city": (f.caller_city or "")[:100] or None,
        "caller_state": (f.caller_state or "")[:100] or None,
        "tracking_number": tracking,
        "number_id": number.id if number else None,
        "forward_to": forward_to or (number.forward_to if number else None),
        "started_at": started,
        "answered_at": f.answered_at,
        "ended_at": f.ended_at,
        "ring_seconds": ring,
        "talk_seconds": talk,
        "agent": (f.agent or "")[:100] or None,
        "location": (f.location or (number.location if number else None) or "")[:200] or None,
        "recording_channels": f.recording_channels,
    }
    if f.recording_path:
        values.update(
            recording_path=f.recording_path, recording_status=RecordingStatus.stored.value
        )
    elif f.recording_url:
        values.update(
            recording_url=f.recording_url[:2000], recording_status=RecordingStatus.pending.value
        )
    return values


def _keep_stored_recording(call: Call, changed: dict[str, Any]) -> None:
    """A recording already fetched stays; only a new URL asks for it again."""
    if call.recording_status == RecordingStatus.stored.value and "recording_url" not in changed:
        changed.pop("recording_status", None)
    if "recording_url" in changed:
        changed.update(recording_attempts=0, recording_retry_at=None, recording_error=None)


def _attribute(values: dict[str, Any], numbers: dict[str, NumberInfo]) -> int | None:
    """Attribute by the number; a pool number's id is returned for `_attribute_sessions`."""
    values.update(attribution="none", source_id=None, session_id=None, attribution_confidence=None)
    number = numbers.get(values["tracking_number"] or "")
    if number is None:
        return None
    if number.source_id is not None:
        values.update(attribution="static", source_id=number.source_id, attribution_confidence=1.0)
        return None
    return number.id


def _attribute_sessions(
    session: Session, account_id: int, pending: list[tuple[int, dict[str, Any]]]
) -> None:
    """Give calls to pool numbers the session that held the number at the call's start."""
    found = candidates_many(session, account_id, [(n, v["started_at"]) for n, v in pending])
    redials = Redials(
        session, account_id, [(v["caller"], n, v["started_at"]) for n, v in pending if v["caller"]]
    )
    called = []
    for i in sorted(range(len(pending)), key=lambda i: pending[i][1]["started_at"]):
        number, values = pending[i]
        options, caller, at = found[i], values["caller"], values["started_at"]
        if caller:
            options = with_caller(options, redials.before(caller, number, at))
        if options:
            best = options[0]
            values.update(
                attribution="session",
                session_id=best.session.id,
                source_id=best.session.source_id,
                attribution_confidence=best.confidence,
            )
            called.append(best.session)
            if caller:
                redials.add(caller, number, Earlier(at, best.session, best.confidence))
    holder_called(session, called)


def _existing(session: Session, account: int, provider: str, keys: list[str]) -> dict[str, Call]:
    found: dict[str, Call] = {}
    for part in _chunks(sorted(keys)):
        for call in session.scalars(
            select(Call).where(
                Call.account_id == account,
                Call.provider == provider,
                Call.provider_call_id.in_(part),
            )
        ):
            found[call.provider_call_id] = call
    return found


def _history(
    session: Session,
    account: Account,
    callers: set[str],
    calls: list[tuple[Call | None, dict[str, Any]]],
) -> list[dict[str, Any]]:
    """First-time and qualified flags, in call order, for every call of these callers.

    The calls being built are set in their values; stored calls of the same callers whose
    flags change are returned as updates. A call imported late can make later calls repeats.
    """
    cycle = timedelta(days=account.sales_cycle_days)
    building = {row.id: values for row, values in calls if row is not None}
    # (caller, started_at, order, status, talk seconds, where the flags go)
    entries: list[tuple[str, datetime, int, str, int, Any]] = []
    for part in _chunks(sorted(callers)):
        for row in session.execute(
            select(
                Call.id,
                Call.caller,
                Call.started_at,
                Call.status,
                Call.talk_seconds,
                Call.first_time_caller,
                Call.qualified,
            ).where(Call.account_id == account.id, Call.caller.in_(part))
        ):
            if row.id not in building:
                entries.append(
                    (row.caller, row.started_at, row.id, row.status, row.talk_seconds, row)
                )
    for order, (_, values) in enumerate(calls):
        if values["caller"] is None:  # anonymous: no history to read, judged on its own
            values["first_time_caller"] = None
            values["qualified"] = _qualifies(
                account, values["status"], values["talk_seconds"], None
            )
            continue
        entries.append(
            (
                values["caller"],
                values["started_at"],
                2**62 + order,
                values["status"],
                values["talk_seconds"],
                values,
            )
        )
    entries.sort()  # by caller, time, then order: unique, so the rest is never compared
    updates: list[dict[str, Any]] = []
    previous: tuple[str, datetime] | None = None
    for caller, started, _, status, talk, target in entries:
        first = previous is None or previous[0] != caller or started - previous[1] > cycle
        previous = (caller, started)
        qualified = _qualifies(account, status, talk, first)
        if isinstance(target, dict):
            target["first_time_caller"], target["qualified"] = first, qualified
        elif (first, qualified) != (target.first_time_caller, target.qualified):
            updates.append({"id": target.id, "first_time_caller": first, "qualified": qualified})
    return updates


def _qualifies(account: Account, status: str, talk: int, first: bool | None) -> bool:
    """Answered, long enough, and (by default) a first-time caller.

    A voicemail is not answered by a person. An anonymous caller cannot be shown to be a
    repeat caller, so it counts as new.
    """
    if status != CallStatus.answered.value or talk < account.qualified_call_seconds:
        return False
    return first is not False or not account.qualified_requires_first_time
