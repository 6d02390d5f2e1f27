"""The CDR importer's bulk path: a batch of rows stored, then built into calls, in few statements.

`store` inserts the raw rows of a batch and gives back the ones that were new (PostgreSQL:
COPY into a temporary table, then one INSERT ... SELECT that skips rows stored before;
SQLite: one executemany through the driver). The caller commits that before `build`, so the
raw rows are kept whatever happens next.

`build` turns the new rows into calls in the caller's transaction. It claims them first
(marks them processed, skipping any a call worker has claimed meanwhile), then takes the
processor's lock on their calls. A call whose key already has a record or other stored
events (the same uniqueid with another sequence imported before, events a crash left
pending) goes through `processor.process_events`, which re-reads every event of the call.
The rest, nearly every row of a CDR file, are built from the rows in memory with the
processor's own steps (normalize, merge, values, attribution, caller history), so the
record is the one the processor would have built; the importer hands over the Facts it
read with each row (`store`'s `facts`), the same `normalize` gives for the stored payload.

Rows are written through the driver rather than SQLAlchemy (the statements name columns from
the table metadata, hence the `noqa: S608`; values are always parameters): its per-row parameter
processing was most of the import's time. Values are converted per column type, and
columns the import does not set get their defaults from the table (`_defaults`), so a
column added to the model later is filled as a Core insert would fill it.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple, cast

from sqlalchemy import Column, Table, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON, Boolean, Float, Integer, String

from callscope.accounts.models import Account
from callscope.calls import processor
from callscope.calls.facts import Facts, merge
from callscope.calls.inbox import RawEvent
from callscope.calls.models import Call, CallEvent
from callscope.calls.providers import NORMALIZERS
from callscope.db.base import UTCDateTime, utcnow
from callscope.jobs.service import schedule_calls

log = logging.getLogger("callscope.calls")

PROVIDER = "asterisk"
EVENTS = cast(Table, CallEvent.__table__)
CALLS = cast(Table, Call.__table__)
Convert = Callable[[Any], Any]
NATIVE = (Boolean, Float, Integer, String)


class Stored(NamedTuple):
    """A row of the batch that was new: its event id, the event, and its facts if read already."""

    id: int
    event: RawEvent
    facts: Facts | None = None


def store(
    session: Session, events: Sequence[RawEvent], facts: Sequence[Facts] | None = None
) -> list[Stored]:
    """Insert the events that are not stored yet; the new ones, in batch order. Caller commits.

    `facts`, one per event when given, are what the adapter reads from each event's payload:
    the importer has them from parsing the row, and `build` then need not read them again.
    """
    if not events:
        return []
    read = facts if facts is not None else [None] * len(events)
    cursor = _driver(session).cursor()
    given = ["account_id", "provider", "event_key", "call_key", "payload", "received_at"]
    rows = [
        (e.account_id, e.provider, e.event_key, e.call_key, e.payload, e.received_at)
        for e in events
    ]
    by_key: dict[str, tuple[RawEvent, Facts | None]] = {}
    for event, known in zip(events, read, strict=True):
        by_key.setdefault(event.event_key, (event, known))
    dialect = session.get_bind().dialect
    writer = _Writer(EVENTS, given, dialect)
    columns = ", ".join(writer.columns)
    if dialect.name == "postgresql":
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS cdr_stage ON COMMIT DELETE ROWS"  # noqa: S608
            f" AS SELECT {columns} FROM call_events WITH NO DATA"
        )
        with cursor.copy(f"COPY cdr_stage ({columns}) FROM STDIN") as copy:
            for row in writer.rows(rows):
                copy.write_row(row)
        # The staging table is emptied at each commit, so ctid order is the order COPY wrote:
        # new events get their ids in file order, as the processor's merge expects.
        cursor.execute(
            f"INSERT INTO call_events ({columns}) SELECT {columns} FROM cdr_stage ORDER BY ctid"  # noqa: S608
            " ON CONFLICT (account_id, provider, event_key) DO NOTHING RETURNING id, event_key"
        )
        new = cursor.fetchall()
    else:
        (before,) = cursor.execute("SELECT coalesce(max(id), 0) FROM call_events").fetchone()
        marks = ", ".join("?" for _ in writer.columns)
        cursor.executemany(
            f"INSERT INTO call_events ({columns}) VALUES ({marks})"  # noqa: S608
            " ON CONFLICT (account_id, provider, event_key) DO NOTHING",
            writer.rows(rows),
        )
        # SQLite gives a new row a rowid above every existing one, and the transaction holds
        # the write lock: the rows above the old maximum are this batch's new ones.
        new = cursor.execute(
            "SELECT id, event_key FROM call_events WHERE id > ? AND account_id = ?"
            " AND provider = ? ORDER BY id",
            (before, events[0].account_id, events[0].provider),
        ).fetchall()
    return [Stored(i, *by_key[k]) for i, k in new if k in by_key]


def build(session: Session, account_id: int, stored: Sequence[Stored]) -> processor.Result:
    """Build the calls of these newly stored events; the caller commits."""
    result = processor.Result()
    claimed = _claim(session, [s.id for s in stored])
    mine = [s for s in stored if s.id in claimed]
    if not mine:
        return result
    processor._lock(session, {(account_id, PROVIDER, s.event.call_key) for s in mine})
    per_key: dict[str, list[Stored]] = defaultdict(list)
    for s in mine:
        per_key[s.event.call_key].append(s)
    known = _known(session, account_id, {k: len(v) for k, v in per_key.items()})
    facts: dict[str, list[tuple[int, Facts]]] = defaultdict(list)
    errors: dict[int, str] = {}
    normalize = NORMALIZERS[PROVIDER]
    for call_key, items in per_key.items():
        if call_key in known:
            continue
        for s in items:
            if s.facts is not None:
                facts[call_key].append((s.id, s.facts))
                continue
            try:
                facts[call_key].append((s.id, normalize(s.event.payload, s.event.received_at)))
            except Exception as exc:  # one unreadable event must not block the rest
                log.warning("call event %s unreadable: %r", s.id, exc)
                errors[s.id] = f"{type(exc).__name__}: {exc}"[:500]
    result.events = len(mine)
    result.failed = len(errors)
    result.created = _build_new(session, account_id, facts)
    if errors:
        session.execute(
            update(CallEvent),
            [{"id": i, "processed_at": utcnow(), "error": m} for i, m in errors.items()],
        )
    if known:
        again = processor.process_events(session, [s.id for k in sorted(known) for s in per_key[k]])
        result.created += again.created
        result.updated += again.updated
        result.failed += again.failed
    return result


def _build_new(session: Session, account_id: int, facts: dict[str, list[tuple[int, Facts]]]) -> int:
    """Calls for keys with no record and no other events: the processor's steps, in memory."""
    if not facts:
        return 0
    account = session.get_one(Account, account_id)
    numbers = processor._numbers(session, {account_id: account})[account_id]
    built: list[tuple[Call | None, dict[str, Any]]] = []
    pool_calls: list[tuple[int, dict[str, Any]]] = []
    for call_key, items in facts.items():
        values = processor._values(merge(items), numbers)
        values.update(account_id=account_id, provider=PROVIDER, provider_call_id=call_key)
        pool_number = processor._attribute(values, numbers)
        if pool_number is not None:
            pool_calls.append((pool_number, values))
        built.append((None, values))
    processor._attribute_sessions(session, account_id, pool_calls)
    updates = _history(session, account, [values for _, values in built])
    inserts = [processor.INSERT_DEFAULTS | values for _, values in built]
    _insert_calls(session, inserts)
    if updates:
        session.execute(update(Call), updates)
    recorded = sorted(v["provider_call_id"] for v in inserts if v.get("recording_path"))
    for part in processor._chunks(recorded):
        schedule_calls(
            session,
            select(Call.id).where(
                Call.account_id == account_id,
                Call.provider == PROVIDER,
                Call.provider_call_id.in_(part),
            ),
        )
    return len(inserts)


def _history(
    session: Session, account: Account, calls: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`processor._history` for calls not stored yet, reading stored calls through the driver.

    Only stored calls from one sales cycle before the earliest new call are read: an older
    call cannot make a new call a repeat, and a stored call's flags depend only on the call
    before it, so those before the earliest new call cannot change and are never updated.
    """
    known = [v for v in calls if v["caller"] is not None]
    for values in calls:
        if values["caller"] is None:  # anonymous: no history to read, judged on its own
            values["first_time_caller"] = None
            values["qualified"] = processor._qualifies(
                account, values["status"], values["talk_seconds"], None
            )
    if not known:
        return []
    cycle = timedelta(days=account.sales_cycle_days)
    earliest = min(v["started_at"] for v in known)
    dialect = session.get_bind().dialect
    since = _converter(CALLS.c.started_at, dialect)(earliest - cycle)
    callers = sorted({v["caller"] for v in known})
    cursor = _driver(session).cursor()
    if dialect.name == "postgresql":
        cursor.execute(
            "SELECT id, caller, started_at, status, talk_seconds, first_time_caller, qualified"
            " FROM calls WHERE account_id = %s AND caller = ANY(%s) AND started_at >= %s",
            (account.id, callers, since),
        )
        stored = cursor.fetchall()
    else:
        cursor.execute(
            "SELECT id, caller, started_at, status, talk_seconds, first_time_caller, qualified"
            " FROM calls WHERE account_id = ? AND caller IN (SELECT value FROM json_each(?))"
            " AND started_at >= ?",
            (account.id, json.dumps(callers), since),
        )
        stored = [
            (i, c, _from_sqlite(t), st, talk, None if f is None else bool(f), bool(q))
            for i, c, t, st, talk, f, q in cursor.fetchall()
        ]
    # (caller, started_at, order, status, talk seconds, where the flags go)
    entries: list[tuple[str, datetime, int, str, int, Any]] = [
        (caller, started, i, status, talk, (i, first, qualified))
        for i, caller, started, status, talk, first, qualified in stored
    ]
    entries.extend(
        (v["caller"], v["started_at"], 2**62 + n, v["status"], v["talk_seconds"], v)
        for n, v in enumerate(known)
    )
    entries.sort()  # by caller, time, then order: unique, so the rest is never compared
    updates: list[dict[str, Any]] = []
    previous: tuple[str, datetime] | None = None
    for caller, started, _, status, talk, target in entries:
        first = previous is None or previous[0] != caller or started - previous[1] > cycle
        previous = (caller, started)
        qualified = processor._qualifies(account, status, talk, first)
        if isinstance(target, dict):
            target["first_time_caller"], target["qualified"] = first, qualified
        elif started >= earliest and (first, qualified) != target[1:]:
            updates.append({"id": target[0], "first_time_caller": first, "qualified": qualified})
    return updates


def _from_sqlite(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _insert_calls(session: Session, inserts: list[dict[str, Any]]) -> None:
    given = list(inserts[0])
    dialect = session.get_bind().dialect
    writer = _Writer(CALLS, given, dialect)
    rows = list(map(itemgetter(*given), inserts))
    cursor = _driver(session).cursor()
    columns = ", ".join(writer.columns)
    if dialect.name == "postgresql":
        with cursor.copy(f"COPY calls ({columns}) FROM STDIN") as copy:
            for row in writer.rows(rows):
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in writer.columns)
        cursor.executemany(f"INSERT INTO calls ({columns}) VALUES ({marks})", writer.rows(rows))  # noqa: S608


def _claim(session: Session, ids: list[int]) -> set[int]:
    """Mark these events processed, except those a call worker built meanwhile; the ids marked."""
    cursor = _driver(session).cursor()
    dialect = session.get_bind().dialect
    now = _converter(EVENTS.c.processed_at, dialect)(utcnow())
    if dialect.name == "postgresql":
        # A worker that claimed some of these first makes this wait for its commit, then
        # finds them processed; it never waits for us, since the call locks come after this.
        cursor.execute(
            "UPDATE call_events SET processed_at = %s WHERE id = ANY(%s)"
            " AND processed_at IS NULL RETURNING id",
            (now, ids),
        )
    else:
        cursor.execute(
            "UPDATE call_events SET processed_at = ? WHERE id IN (SELECT value FROM json_each(?))"
            " AND processed_at IS NULL RETURNING id",
            (now, json.dumps(ids)),
        )
    return {i for (i,) in cursor.fetchall()}


def _known(session: Session, account_id: int, counts: dict[str, int]) -> set[str]:
    """Keys that already have a call record, or stored events besides the `counts` new ones."""
    cursor = _driver(session).cursor()
    params = (account_id, PROVIDER, account_id, PROVIDER)
    if session.get_bind().dialect.name == "postgresql":
        cursor.execute(
            "SELECT b.k FROM unnest(%s::text[], %s::int[]) AS b(k, n) WHERE EXISTS (SELECT 1"
            " FROM calls c WHERE c.account_id = %s AND c.provider = %s AND c.provider_call_id"
            " = b.k) OR (SELECT count(*) FROM call_events e WHERE e.account_id = %s"
            " AND e.provider = %s AND e.call_key = b.k) > b.n",
            (list(counts), list(counts.values()), *params),
        )
    else:
        cursor.execute(
            "SELECT b.k FROM (SELECT json_extract(value, '$[0]') AS k, json_extract(value,"
            " '$[1]') AS n FROM json_each(?)) b WHERE EXISTS (SELECT 1 FROM calls c"
            " WHERE c.account_id = ? AND c.provider = ? AND c.provider_call_id = b.k)"
            " OR (SELECT count(*) FROM call_events e WHERE e.account_id = ?"
            " AND e.provider = ? AND e.call_key = b.k) > b.n",
            (json.dumps(list(counts.items())), *params),
        )
    return {k for (k,) in cursor.fetchall()}


def _driver(session: Session) -> Any:
    """The DBAPI connection under the session's transaction."""
    return session.connection().connection.dbapi_connection


class _Writer:
    """Rows for one table as the driver takes them: given columns, then the table's defaults."""

    def __init__(self, table: Table, given: list[str], dialect: Dialect) -> None:
        defaults = _defaults(table, set(given))
        self.columns = [*given, *defaults]
        self.defaults = tuple(
            _converter(table.c[name], dialect)(value) for name, value in defaults.items()
        )
        converters = [(i, _converter(table.c[name], dialect)) for i, name in enumerate(given)]
        self.converters = [(i, c) for i, c in converters if c is not _same]

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Converted column by column: a few columns need it, and rows are many."""
        if not rows:
            return []
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, convert in self.converters:
            columns[i] = [None if v is None else convert(v) for v in columns[i]]
        columns.extend([value] * len(rows) for value in self.defaults)
        return list(zip(*columns, strict=True))


def _defaults(table: Table, given: set[str]) -> dict[str, Any]:
    """Python-side defaults of the columns not given; the database fills the others."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or column.server_default is not None:
            continue
        if getattr(default, "is_scalar", False):
            value = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            value = default.arg(None)  # type: ignore[attr-defined]
        else:
            raise NotImplementedError(f"{table.name}.{column.name}: a SQL default")
        if value is not None:
            out[column.name] = value
    return out


def _same(value: Any) -> Any:
    return value


def _converter(column: Column[Any], dialect: Dialect) -> Convert:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_time if dialect.name == "sqlite" else _aware
    impl = kind.dialect_impl(dialect)
    if isinstance(impl, JSON):
        return json.dumps
    if isinstance(impl, NATIVE):  # both drivers take these Python values as they are
        return _same
    return impl.bind_processor(dialect) or _same


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; callscope stores aware UTC datetimes only")
    return value


def _sqlite_time(value: datetime) -> str:
    """What UTCDateTime and SQLite's DATETIME store: naive UTC, always with microseconds."""
    if value.tzinfo is not UTC:
        value = _aware(value).astimezone(UTC)
    return value.isoformat(sep=" ", timespec="microseconds")[:26]
