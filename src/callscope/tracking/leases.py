"""Number lease stores: which pool number a new visitor session gets.

The policy, the same in both stores:
- a free number (not held by any live session) is picked least-recently-released first,
  so the last holder of a number has had the longest time to call it; except that a free
  number whose last holder has already called (`lend_first`, set by `holder_called` when
  the call processor attributes a call) goes before the others: that visitor has used it,
  and later calls from their phone find their session by caller id (attribution.py);
- such a number may be lent before its hold ends, once its holder has stopped pinging (no
  ping for two intervals: the pick's `gone`); the holder's lease then ends (`Pick.called`,
  `end_leases`), so that visit cannot come back to a number someone else now holds. The
  hold is there so a visitor's call reaches their session; once they have called, it has
  done its work, and the number is worth more to the late callers of other visits;
- when every number is held and the pool may be reused, the least-recently-active hold is
  taken over (the answer says `shared`; attribution confidence drops for calls then);
- a pick marks the number held until the given time; each heartbeat extends it.
  Extensions wait for the commit (later.py) and go out together; a pick sends the
  waiting ones first, so it never lends a number whose extension is still waiting.

The tracker asks for a transaction's numbers together (`pick_many`, one `Want` per new
session, in the order the sessions came): the Redis store lends them all in one script
call, the SQL store one statement each, and either answers as if they had been asked one
after another.

Both stores are safe under concurrent requests: the SQL store locks the picked row
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite writers are serialised by BEGIN
IMMEDIATE), the Redis store picks inside one Lua script. The visitor session row, in SQL
either way, keeps the lease window that attribution reads, and the `lend_first` marks are
in SQL either way too. Each store reads a pool's marks at most once a second (`_Marks`);
only a number among those it read may be lent before its hold ends, so a store always
knows when it did so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from callscope.numbers.models import TrackingNumber
from callscope.tracking.later import flush, later
from callscope.tracking.models import VisitorSession


@dataclass(frozen=True)
class Pick:
    number_id: int
    shared: bool
    called: bool = False  # its last holder had called: end that lease now (`end_leases`)


@dataclass(frozen=True)
class Want:
    """One number wanted: lend it at `now` until `until`. A number held no later than
    `gone` is held for a visitor who has stopped pinging."""

    now: datetime
    until: datetime
    gone: datetime


class LeaseStore(Protocol):
    name: str

    def pick_many(
        self, db: Session, pool_id: int, numbers: Sequence[int], wants: Sequence[Want], reuse: bool
    ) -> list[Pick | None]:
        """Lend a number of the pool for each want, in order; None where the pool has no
        number to lend (empty, or all held and `reuse` is false). A number held for a
        visitor who has stopped pinging may be lent if that visitor has called. Send this
        store's waiting extensions first (`later.flush`), or a held number can look free."""

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
# ... or held for a visitor who has called and gone, among the marks the store has read.
_GONE_CALLER = and_(
    _N.lend_first,
    _N.id.in_(bindparam("marks", expanding=True)),
    _N.held_until <= bindparam("gone"),
)


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


_TAKE_FREE = _take(_CALLED_FIRST, or_(_FREE, _GONE_CALLER))
_TAKE_OLDEST = _take(_LRU_FIRST)  # all held: the least recently active hold is shared
_EXTEND = (
    update(_NUMBERS)
    .where(_N.id == bindparam("number_id"))
    .where(or_(_N.held_until.is_(None), _N.held_until < bindparam("until")))
    .values(held_until=bindparam("until"))
)
_SESSIONS = cast(Table, VisitorSession.__table__)
_V = _SESSIONS.c
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
# A called number lent before its hold ended: its earlier holders' leases end now. Those
# holders stopped pinging at least two intervals ago; a lease begun over a day before is
# not looked for (it would have to have pinged for a day and then gone quiet).
_END = (
    update(_SESSIONS)
    .where(
        _V.number_id == bindparam("relent"),
        _V.leased_at < bindparam("now"),
        _V.leased_at >= bindparam("since"),
        _V.lease_expires_at > bindparam("now"),
    )
    .values(lease_expires_at=bindparam("now"))
)


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


def end_leases(db: Session, number_id: int, now: datetime) -> None:
    """The number was lent at `now` as a called number (`Pick.called`): its earlier holders'
    leases end now, so attribution gives later calls to the new holder and a visit of
    theirs that comes back starts a new session instead of showing a number lent again."""
    params = {"relent": number_id, "now": now, "since": now - timedelta(days=1)}
    db.connection().execute(_END, params)


_MARKS_AGE = timedelta(seconds=1)


class _Marks:
    """Each pool's `lend_first` numbers as read from SQL, at most once a second of the
    picks' own clock (the request time: a simulation in virtual time sees what a server
    would; a clock set back reads them again)."""

    def __init__(self) -> None:
        self._read: dict[int, tuple[datetime, frozenset[int]]] = {}  # pool -> (read at, marks)

    def get(self, db: Session, pool_id: int, now: datetime) -> frozenset[int]:
        read = self._read.get(pool_id)
        if read is None or abs(now - read[0]) >= _MARKS_AGE:
            if len(self._read) > 1024:
                self._read.clear()
            ids = frozenset(db.connection().execute(_MARKED, {"in_pool": pool_id}).scalars())
            read = self._read[pool_id] = (now, ids)
        return read[1]

    def lent(self, pool_id: int, number_id: int) -> None:
        """The number was lent: the mark spoke for its last holder."""
        read = self._read.get(pool_id)
        if read is not None:
            self._read[pool_id] = (read[0], read[1] - {number_id})


class SqlLeaseStore:
    """Holds live in `tracking_numbers.held_until`, in the request's transaction."""

    name = "sql"

    def __init__(self) -> None:
        self._marks = _Marks()

    def pick_many(
        self, db: Session, pool_id: int, numbers: Sequence[int], wants: Sequence[Want], reuse: bool
    ) -> list[Pick | None]:
        flush(db, self._send_extends)
        return [self.pick(db, pool_id, want, reuse) for want in wants]

    def pick(self, db: Session, pool_id: int, want: Want, reuse: bool) -> Pick | None:
        """One number: one `UPDATE ... RETURNING` (two when all are held and may be shared)."""
        connection = db.connection()
        marks = self._marks.get(db, pool_id, want.now)
        params = {
            "in_pool": pool_id,
            "now": want.now,
            "until": want.until,
            "gone": want.gone,
            "marks": sorted(marks),
        }
        taken = connection.execute(_TAKE_FREE, params).scalar()
        if taken is not None:
            called = taken in marks
            if called:
                self._marks.lent(pool_id, taken)
            return Pick(number_id=taken, shared=False, called=called)
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
# ARGV: version, reuse (0/1), m, the m numbers marked lend_first, then for each pick its
# now, until and gone (ms). Answer: for each pick its number (0: none), shared, called.
_PICK = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 'sync' end
local m = tonumber(ARGV[3])
local marks = {}
for j = 1, m do marks[j] = ARGV[3 + j] end
local out = {}
for i = 4 + m, #ARGV, 3 do
  local now, untl, gone = tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2])
  local marked, released = nil, nil
  for j = 1, m do
    if marks[j] then
      local score = tonumber(redis.call('ZSCORE', KEYS[1], marks[j]))
      if score and score <= gone and (released == nil or score < released) then
        marked, released = j, score
      end
    end
  end
  if marked then
    redis.call('ZADD', KEYS[1], untl, marks[marked])
    table.insert(out, marks[marked]); table.insert(out, 0); table.insert(out, 1)
    marks[marked] = false
  else
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local held = #first > 0 and tonumber(first[2]) > now
    if #first == 0 or (held and ARGV[2] == '0') then
      table.insert(out, 0); table.insert(out, 0); table.insert(out, 0)
    else
      redis.call('ZADD', KEYS[1], untl, first[1])
      table.insert(out, first[1]); table.insert(out, held and 1 or 0); table.insert(out, 0)
    end
  end
end
return out
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
        self._marks = _Marks()

    def _keys(self, pool_id: int) -> tuple[str, str]:
        base = f"{self.prefix}:pool:{pool_id}"
        return f"{base}:slots", f"{base}:members"

    def pick_many(
        self, db: Session, pool_id: int, numbers: Sequence[int], wants: Sequence[Want], reuse: bool
    ) -> list[Pick | None]:
        """All the wants in one script call (one round trip for a batch of new sessions)."""
        flush(db, self._send_extends)
        if not wants:
            return []
        ids = tuple(numbers)
        found = self._versions.get(ids)
        if found is None:
            if len(self._versions) > 1024:  # pools edited often: no unbounded growth
                self._versions.clear()
            found = self._versions[ids] = _version(ids)
        version, members = found
        marks = self._marks.get(db, pool_id, wants[0].now)
        keys = list(self._keys(pool_id))
        args: list[Any] = [version, int(reuse), len(marks), *sorted(marks)]
        for want in wants:
            args += (_ms(want.now), _ms(want.until), _ms(want.gone))
        answer = self._pick(keys=keys, args=args)
        if answer == b"sync":
            self._sync(keys=keys, args=[version, *members])
            answer = self._pick(keys=keys, args=args)
        if answer == b"sync":  # another node re-synced its own list meanwhile
            return [None] * len(wants)
        picks: list[Pick | None] = []
        for i in range(0, len(answer), 3):
            taken, shared, called = (int(x) for x in answer[i : i + 3])
            if taken == 0:
                picks.append(None)
                continue
            if taken in marks:  # lent again: the mark spoke for the last holder
                self._marks.lent(pool_id, taken)
                later(db, _send_unmarks, {"lent": taken})
            picks.append(Pick(number_id=taken, shared=bool(shared), called=bool(called)))
        return picks

    def extend(self, db: Session, pool_id: int, number_id: int, until: datetime) -> None:
        later(db, self._send_extends, (self._keys(pool_id)[0], str(number_id), _ms(until)))

    def _send_extends(self, db: Session, holds: list[tuple[str, str, int]]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for slots, member, until in holds:
            pipe.zadd(slots, {member: until}, xx=True, gt=True)
        pipe.execute()


def _send_unmarks(db: Session, rows: list[dict[str, Any]]) -> None:
    db.connection().execute(_UNMARK, rows)
