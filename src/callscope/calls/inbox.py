"""Store raw call events first: one INSERT that a replay turns into nothing.

The insert and its commit are all a webhook does before it answers the provider; turning
events into calls happens after (processor.py), so a slow or failing step never makes a
provider retry, and a crash after the commit loses nothing: pending events are picked up
again on restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from callscope.calls.models import CallEvent

MAX_KEY_CHARS = 128


@dataclass(frozen=True)
class RawEvent:
    account_id: int
    provider: str
    event_key: str
    call_key: str
    payload: dict[str, Any]
    received_at: datetime


def _insert_ignoring_duplicates(session: Session) -> Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(CallEvent).on_conflict_do_nothing(
            index_elements=["account_id", "provider", "event_key"]
        )
    return sqlite.insert(CallEvent).on_conflict_do_nothing(
        index_elements=["account_id", "provider", "event_key"]
    )


def store(session: Session, event: RawEvent) -> bool:
    """Insert one event; False when it was stored before (a replay). Caller commits."""
    statement = _insert_ignoring_duplicates(session).values(**_row(event))
    return session.connection().execute(statement.returning(CallEvent.id)).first() is not None


def store_many(session: Session, events: Sequence[RawEvent]) -> int:
    """Insert many events in one statement batch; the number that were new."""
    if not events:
        return 0
    statement = _insert_ignoring_duplicates(session).returning(CallEvent.id)
    return len(session.connection().execute(statement, [_row(e) for e in events]).all())


def _row(event: RawEvent) -> dict[str, Any]:
    if (
        not 0 < len(event.event_key) <= MAX_KEY_CHARS
        or not 0 < len(event.call_key) <= MAX_KEY_CHARS
    ):
        raise ValueError("event and call keys are 1 to 128 characters")
    return {
        "account_id": event.account_id,
        "provider": event.provider,
        "event_key": event.event_key,
        "call_key": event.call_key,
        "payload": event.payload,
        "received_at": event.received_at,
    }
