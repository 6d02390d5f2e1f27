"""Writes a tracking transaction leaves for its commit, sent one round trip per kind.

The tracking writer runs many visits in one transaction (writer.py). Most of what a visit
writes is not read back by the visit itself: the new session row, `last_seen_at`, the
page view, the extended hold. Those wait in the database session and go out just before
it commits, each kind as one statement with many rows (SQL `executemany`, a Redis
pipeline), so a batch of sixteen pings costs one UPDATE instead of sixteen. Each request
is still answered only after the commit that holds its writes.

The numbers new sessions are lent wait too (`first`: sent before every other kind, since
the session rows carry them), so that a batch's picks go to the lease store in one call.
What a visit answers then depends on what was sent: it returns an `Answer`, which the
writer reads once the transaction has committed.

Reads in the same transaction still see every earlier write:
- a session whose own writes are waiting is flushed before it is looked up (`touched`);
- a lease store flushes its waiting extensions before it picks a number (`flush`).
Writes that a send adds (a pick that ends an old lease, say) go out in the same flush.
A rollback or a close drops what waits, with the rest of the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

Flush = Callable[[Session, list[Any]], None]
T = TypeVar("T")
_KEY = "callscope.tracking.later"


class Answer(Generic[T]):
    """What an action answers once the writes it left waiting have been sent."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make

    def result(self) -> T:
        return self._make()


def result(value: Any) -> Any:
    """`value`, or what it answers if it is an `Answer` (call after the commit)."""
    return value.result() if isinstance(value, Answer) else value


@dataclass
class _Waiting:
    first: dict[Flush, list[Any]] = field(default_factory=dict)
    writes: dict[Flush, list[Any]] = field(default_factory=dict)
    keys: set[Hashable] = field(default_factory=set)


def _waiting(db: Session) -> _Waiting:
    found = db.info.get(_KEY)
    if found is None:
        found = db.info[_KEY] = _Waiting()
    return found


def later(
    db: Session, send: Flush, item: Any, key: Hashable | None = None, first: bool = False
) -> None:
    """Send `item` with `send` before `db` commits; `key` names what a read must not miss;
    `first` kinds go out before all others."""
    waiting = _waiting(db)
    (waiting.first if first else waiting.writes).setdefault(send, []).append(item)
    if key is not None:
        waiting.keys.add(key)


def touched(db: Session, key: Hashable) -> None:
    """Before reading what `key` names: send everything waiting if it has writes waiting."""
    waiting = db.info.get(_KEY)
    if waiting is not None and key in waiting.keys:
        flush(db)


def flush(db: Session, only: Flush | None = None) -> None:
    """Send what waits (or only what waits for `only`): the `first` kinds, then the others,
    each in the order it first waited, until nothing waits."""
    waiting = db.info.get(_KEY)
    if waiting is None:
        return
    if only is not None:
        for kinds in (waiting.first, waiting.writes):
            items = kinds.pop(only, None)
            if items:
                only(db, items)
        return
    while waiting.first or waiting.writes:
        kinds = waiting.first or waiting.writes
        send = next(iter(kinds))
        send(db, kinds.pop(send))
    waiting.keys.clear()


@event.listens_for(Session, "before_commit")
def _before_commit(db: Session) -> None:
    flush(db)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(db: Session, transaction: Any) -> None:
    if transaction.parent is None:  # a rollback or a close: what waits goes with it
        db.info.pop(_KEY, None)
