"""Number lease stores: which pool number a new visitor session gets.

The policy, the same in both stores:
- a free number (not held by any live session) is picked least-recently-released first,
  so the last holder of a number has had the longest time to call it; except that a free
  number whose last holder has already called (`lend_first`, set by `holder_called` when
  the call processor attributes a call) goes before the others: that visitor has used it;
- when every number is held and the pool may be reused, the least-recently-active hold is
  taken over (the answer says `shared`; attribution confidence drops for calls then);
- a pick marks the number held until the given time; each heartbeat extends it.
  Extensions wait for the commit (later.py) and go out together; a pick sends the
  waiting ones first, so it never lends a number whose extension is still waiting.

Both stores are safe under concurrent requests: the SQL store locks the picked row
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite writers are serialised by BEGIN
IMMEDIATE), the Redis store picks inside one Lua script. The visitor session row, in SQL
either way, keeps the lease window that attribution reads, and the `lend_first` marks are
in SQL either way too (the Redis store reads them at most once a second per pool).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from callscope.numbers.models import TrackingNumber
from callscope.tracking.later import flush, later
from callscope.tracking.models import VisitorSession


@dataclass(frozen=True)
class Pick:
    number_id: int
    shared: bool


class LeaseStore(Protocol):
    name: str

    def pick(
        self,
        db: Session,
        pool_id: int,
        numbers: Sequence[int],
        now: datetime,
        until: datetime,
        reuse: bool,
    ) -> Pick | None:
        """Lend a number of the pool until `until`; None when the pool has no number to
        lend (empty, or all held and `reuse` is false). Send this store's waiting
        extensions first (`later.flush`), or a held number can look free."""

    def extend(self, db: Session, pool_id: int, number_id: int, until: datetime) -> None:
        """Keep the number held at least until `until`."""


_NUMBERS = cast(Table, TrackingNumber.__table__)
_N = _NUMBERS.c
# Built once: this is the hottest path of the product, and building statements costs more
# than running them on SQLite.
_LRU_FIRST = (_N.held_until.asc().nulls_first(), _N.id)
_CALLED_FIRST = (_N.lend_first.desc(), *_LRU_FIRST)
_IN_POOL = (_N.pool_id == bindparam("in_pool"), _N.active)
# Free numbers first, with the "free" test in WHERE: on PostgreSQL a row that another
# transaction took meanwhile is re-checked when locked, fails the test and is passed over
# (ORDER BY alone would be judged on the old snapshot and hand the same number out twice).
_FREE = or_(_N.held_until.is_(None), _N.held_until <= bindparam("now"))


def _take(order: tuple[Any, ...], *where: Any) -> Any:
    """UPDATE ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id."""
    chosen = (
        select(_N.id)
        .where(*_IN_POOL, *where)
        .order_by(*order)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(_NUMBERS)
        .where(_N.id == chosen)
        .values(held_until=bindparam("until"), lend_first=False)
        .returning(_N.id)
    )


_TAKE_FREE = _take(_CALLED_FIRST, _FREE)
_TAKE_OLDEST = _take(_LRU_FIRST)  # all held: the least recently active hold is shared
_EXTEND = (
    update(_NUMBERS)
    .where(_N.id == bindparam("number_id"))
    .where(or_(_N.held_until.is_(None), _N.held_until < bindparam("until")))
    .values(held_until=bindparam("until"))
)
_V = cast(Table, VisitorSession.__table__).c
# Only while the calling session is the number's last holder: once it has been lent again,
# the mark would speak for a visitor who has not called.
_MARK = (
    update(_NUMBERS)
    .where(_N.id == bindparam("called_number"))
    .where(
        ~exists().where(
            _V.number_id == bindparam("called_number"), _V.leased_at > bindparam("called_lease")
        )
    )
    .values(lend_first=True)
)
_UNMARK = update(_NUMBERS).where(_N.id == bindparam("lent")).values(lend_first=False)
_MARKED = select(_N.id).where(*_IN_POOL, _N.lend_first)


def holder_called(db: Session, callers: Sequence[VisitorSession]) -> None:
    """These sessions' visitors called the number they were lent: mark each number
    `lend_first`, unless it has been lent to another session since. Both stores read it."""
    latest: dict[int, datetime] = {}
    for row in callers:
        if row.number_id is None or row.leased_at is None:
            continue
        if row.number_id not in latest or latest[row.number_id] < row.leased_at:
            latest[row.number_id] = row.leased_at
    if latest:
        db.connection().execute(
            _MARK,
            [{"called_number": n, "called_lease": at} for n, at in sorted(latest.items())],
        )


class SqlLeaseStore:
    """Holds live in `tracking_numbers.held_until`, in the request's transaction."""

    name = "sql"

    def pick(
        self,
        db: Session,
        pool_id: int,
        numbers: Sequence[int],
        now: datetime,
        until: datetime,
        reuse: bool,
    ) -> Pick | None:
        flush(db, self._send_extends)
        connection = db.connection()
        params = {"in_pool": pool_id, "now": now, "until": until}
        taken = connection.execute(_TAKE_FREE, params).scalar()
        if taken is not None:
            return Pick(number_id=taken, shared=False)
        if not reuse:
            return None
        taken = connection.execute(_TAKE_OLDEST, params).scalar()
        return None if taken is None else Pick(number_id=taken, shared=True)

    def extend(self, db: Session, pool_id: int, number_id: int, until: datetime) -> None:
        later(db, self._send_extends, {"number_id": number_id, "until": until})

    def _send_extends(self, db: Session, rows: list[dict[str, Any]]) -> None:
        db.connection().execute(_EXTEND, rows)


# The pool's members live in Redis too, under a version (a hash of the sorted ids). A pick
# sends only the version; when Redis holds another one, the script answers "sync" and the
# store sends the members once (_SYNC), then picks again. Sending 200 ids with every pick
# was a third of the writer thread's time on PostgreSQL + Redis.
# KEYS: slots (zset number_id -> held-until ms), members version
# ARGV: now ms, until ms, reuse (0/1), version, then the numbers marked lend_first
_PICK = """
if redis.call('GET', KEYS[2]) ~= ARGV[4] then return 'sync' end
local marked, released = nil, nil
for i = 5, #ARGV do
  local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i]))
  if score and score <= tonumber(ARGV[1]) and (released == nil or score < released) then
    marked, released = ARGV[i], score
  end
end
if marked then
  redis.call('ZADD', KEYS[1], ARGV[2], marked)
  return {marked, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return false end
local held = tonumber(first[2]) > tonumber(ARGV[1])
if held and ARGV[3] == '0' then return false end
redis.call('ZADD', KEYS[1], ARGV[2], first[1])
return {first[1], held and 1 or 0}
"""
# KEYS: as _PICK; ARGV: version, number ids... New members start free (score 0), the
# holds of members that stay are kept, members no longer in the pool are dropped.
_SYNC = """
local want = {}
for i = 2, #ARGV do
  want[ARGV[i]] = true
  redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[i])
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not want[member] then redis.call('ZREM', KEYS[1], member) end
end
redis.call('SET', KEYS[2], ARGV[1])
return 1
"""


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _version(numbers: Sequence[int]) -> tuple[str, list[str]]:
    members = [str(n) for n in sorted(numbers)]
    return hashlib.sha1(",".join(members).encode(), usedforsecurity=False).hexdigest(), members


class RedisLeaseStore:
    """Holds live in Redis, shared by every API node; `CALLSCOPE_REDIS_URL` turns it on."""

    name = "redis"

    def __init__(self, client: Any, prefix: str = "callscope") -> None:
        self.client = client
        self.prefix = prefix
        self._pick = client.register_script(_PICK)
        self._sync = client.register_script(_SYNC)
        self._versions: dict[tuple[int, ...], tuple[str, list[str]]] = {}
        self._marks: dict[int, tuple[float, frozenset[int]]] = {}  # pool -> (read at, marks)

    def _keys(self, pool_id: int) -> tuple[str, str]:
        base = f"{self.prefix}:pool:{pool_id}"
        return f"{base}:slots", f"{base}:members"

    def pick(
        self,
        db: Session,
        pool_id: int,
        numbers: Sequence[int],
        now: datetime,
        until: datetime,
        reuse: bool,
    ) -> Pick | None:
        flush(db, self._send_extends)
        ids = tuple(numbers)
        found = self._versions.get(ids)
        if found is None:
            if len(self._versions) > 1024:  # pools edited often: no unbounded growth
                self._versions.clear()
            found = self._versions[ids] = _version(ids)
        version, members = found
        read_at, marks = self._marked(db, pool_id)
        keys = list(self._keys(pool_id))
        args = [_ms(now), _ms(until), int(reuse), version, *sorted(marks)]
        answer = self._pick(keys=keys, args=args)
        if answer == b"sync":
            self._sync(keys=keys, args=[version, *members])
            answer = self._pick(keys=keys, args=args)
        if not answer or answer == b"sync":  # another node re-synced its own list meanwhile
            return None
        taken = int(answer[0])
        if taken in marks:  # lent again: the mark spoke for the last holder
            self._marks[pool_id] = (read_at, marks - {taken})
            later(db, _send_unmarks, {"lent": taken})
        return Pick(number_id=taken, shared=bool(int(answer[1])))

    def _marked(self, db: Session, pool_id: int) -> tuple[float, frozenset[int]]:
        """When the pool's lend_first numbers were read from SQL (at most once a second),
        and those numbers."""
        read = self._marks.get(pool_id)
        if read is None or time.monotonic() - read[0] > 1.0:
            if len(self._marks) > 1024:
                self._marks.clear()
            ids = frozenset(db.connection().execute(_MARKED, {"in_pool": pool_id}).scalars())
            read = self._marks[pool_id] = (time.monotonic(), ids)
        return read

    def extend(self, db: Session, pool_id: int, number_id: int, until: datetime) -> None:
        later(db, self._send_extends, (self._keys(pool_id)[0], str(number_id), _ms(until)))

    def _send_extends(self, db: Session, holds: list[tuple[str, str, int]]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for slots, member, until in holds:
            pipe.zadd(slots, {member: until}, xx=True, gt=True)
        pipe.execute()


def _send_unmarks(db: Session, rows: list[dict[str, Any]]) -> None:
    db.connection().execute(_UNMARK, rows)
