"""Local dates, hours and weekdays of stored UTC instants, computed inside the database.

Neither backend can be trusted to know the account's zone the same way (SQLite has no time
zone support at all), so the zone's UTC offsets are worked out here with zoneinfo, for the
span a report covers, and handed to SQL as a CASE over the offset changes: within a span
where the offset is constant, `local seconds = epoch seconds + offset`. A 400-day report
crosses a handful of changes at most. This is exact for DST and for half- and quarter-hour
zones (India, Nepal, Chatham), and lets GROUP BY run on local buckets directly, so a report
fetches a few hundred rows whatever the number of calls.

`epoch(column)` is whole seconds since 1970-01-01 UTC on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, literal, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

DAY = 86_400
_EPOCH_DATE = date(1970, 1, 1)  # a Thursday: weekday 3 when Monday is 0
_STEP = timedelta(hours=1)  # offsets never change twice within an hour


class epoch(FunctionElement[int]):  # lower case: it reads as a SQL function
    """Whole seconds since the Unix epoch of a UTC datetime column."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as naive UTC text ("YYYY-MM-DD HH:MM:SS.ffffff"); strftime reads it as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch)
def _epoch_default(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    # FLOOR, not a bare cast: a cast rounds 59.7 s up into the next minute.
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


def _offset(zone: ZoneInfo, at: datetime) -> int:
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """[(from epoch second, UTC offset in seconds)] covering [start, end), in order."""
    segments = [(_seconds(start), _offset(zone, start))]
    at = start
    while at < end:
        nxt = min(at + _STEP, end)
        if _offset(zone, nxt) != segments[-1][1]:
            lo, hi = _seconds(at), _seconds(nxt)  # the change happens in (lo, hi]
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, datetime.fromtimestamp(mid, UTC)) == segments[-1][1]:
                    lo = mid
                else:
                    hi = mid
            segments.append((hi, _offset(zone, datetime.fromtimestamp(hi, UTC))))
        at = nxt
    return segments


@dataclass(frozen=True)
class LocalClock:
    """SQL expressions for the local time of a UTC column, valid within [start, end)."""

    segments: tuple[tuple[int, int], ...]

    @classmethod
    def covering(cls, zone: ZoneInfo, start: datetime, end: datetime) -> LocalClock:
        return cls(tuple(offset_segments(zone, start, end)))

    def seconds(self, column: Any) -> ColumnElement[int]:
        """Local wall-clock seconds since 1970-01-01 00:00 local."""
        if len(self.segments) == 1:
            return epoch(column) + literal(self.segments[0][1], Integer)
        # The CASE compares the stored column itself (an index-friendly, cheap comparison on
        # both backends) rather than computing the epoch once more per branch.
        whens = [
            (column < datetime.fromtimestamp(nxt, UTC), literal(offset, Integer))
            for (_, offset), (nxt, _) in zip(self.segments, self.segments[1:], strict=False)
        ]
        return epoch(column) + case(*whens, else_=literal(self.segments[-1][1], Integer))


def _const(value: int) -> ColumnElement[int]:
    # Inline, not a bound parameter: GROUP BY must repeat the SELECT's expression verbatim
    # on PostgreSQL, and two copies with parameters $1 and $2 do not count as the same.
    return literal_column(str(int(value)), Integer)


def day_number(local_seconds: Any) -> ColumnElement[int]:
    """Local date as days since 1970-01-01 (reports cover 2000-2100: never negative)."""
    return cast(local_seconds // _const(DAY), BigInteger)


def hour(local_seconds: Any) -> ColumnElement[int]:
    return cast((local_seconds % _const(DAY)) // _const(3600), Integer)


def weekday(local_seconds: Any) -> ColumnElement[int]:
    """0 = Monday ... 6 = Sunday, as Python's date.weekday()."""
    return cast((local_seconds // _const(DAY) + _const(3)) % _const(7), Integer)


def day_from_number(number: int) -> date:
    return _EPOCH_DATE + timedelta(days=int(number))
