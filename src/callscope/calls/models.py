"""CallEvent (the raw inbox) and Call (the merged, attributed record).

Every provider message is stored as a `CallEvent` before anything else happens: its raw
payload, who sent it, when it arrived, and a dedupe key, unique per account and provider,
so a replay inserts nothing. A `Call` is always rebuilt from *all* the events of its call
(see `merge.py`): the result does not depend on the order they arrived in, and processing an
event twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, CreatedMixin, IdMixin, JSONValue, TenantMixin, utcnow


class Provider(StrEnum):
    twilio = "twilio"
    generic = "generic"
    asterisk = "asterisk"
    demo = "demo"


class CallStatus(StrEnum):
    ringing = "ringing"  # not ended yet, not answered yet
    answered = "answered"
    missed = "missed"
    busy = "busy"
    failed = "failed"
    voicemail = "voicemail"


class RecordingStatus(StrEnum):
    pending = "pending"  # a URL is known, the file is not here yet
    stored = "stored"
    failed = "failed"  # gave up: the reason is in recording_error


class CallEvent(IdMixin, TenantMixin, Base):
    __tablename__ = "call_events"
    __table_args__ = (
        UniqueConstraint("account_id", "provider", "event_key"),
        Index("ix_call_events_call", "account_id", "provider", "call_key"),
        Index("ix_call_events_pending", "processed_at", "id"),
    )

    provider: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(128))
    call_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)


class Call(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("account_id", "provider", "provider_call_id"),
        # Every column a report reads from a call (see reports/facts.py): a report walks one
        # range of this index. It starts with (account_id, started_at) for the call log too.
        Index(
            "ix_calls_reports",
            "account_id",
            "started_at",
            "direction",
            "status",
            "qualified",
            "first_time_caller",
            "talk_seconds",
            "source_id",
            "session_id",
            "location",
            "agent",
            "caller_country",
            "caller_region",
            "id",  # implicit on SQLite; PostgreSQL needs it for an index-only scan
        ),
        # Caller history, and attribution's journeys (a caller's calls with their sessions).
        Index("ix_calls_callers", "account_id", "caller", "started_at", "session_id"),
        Index("ix_calls_recording_status", "recording_status"),
        # What changed since the reports' rollups were last brought up to date.
        Index("ix_calls_account_id_updated_at", "account_id", "updated_at"),
    )

    provider: Mapped[str] = mapped_column(String(16))
    provider_call_id: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    status: Mapped[str] = mapped_column(String(16))
    caller: Mapped[str | None] = mapped_column(String(16), default=None)  # E.164, None: unknown
    caller_raw: Mapped[str | None] = mapped_column(String(64), default=None)
    caller_name: Mapped[str | None] = mapped_column(String(100), default=None)
    caller_country: Mapped[str | None] = mapped_column(String(2), default=None)
    caller_region: Mapped[str | None] = mapped_column(String(100), default=None)
    caller_city: Mapped[str | None] = mapped_column(String(100), default=None)
    caller_state: Mapped[str | None] = mapped_column(String(100), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(16), default=None)
    number_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tracking_numbers.id", ondelete="SET NULL"), default=None
    )
    forward_to: Mapped[str | None] = mapped_column(String(16), default=None)
    started_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    ring_seconds: Mapped[int | None] = mapped_column(default=None)
    talk_seconds: Mapped[int] = mapped_column(default=0)
    agent: Mapped[str | None] = mapped_column(String(100), default=None)
    location: Mapped[str | None] = mapped_column(String(200), default=None)
    # Attribution: how the call was tied to its origin, and how sure that is.
    attribution: Mapped[str] = mapped_column(String(16), default="none")  # static|session|none
    source_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sources.id", ondelete="SET NULL"), index=True, default=None
    )
    session_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("visitor_sessions.id", ondelete="SET NULL"), index=True, default=None
    )
    attribution_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    # Caller history: None when the caller is unknown (anonymous): it cannot be told apart.
    first_time_caller: Mapped[bool | None] = mapped_column(default=None)
    qualified: Mapped[bool] = mapped_column(default=False)
    # The recording: where the provider has it, and where it is kept here.
    recording_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    recording_channels: Mapped[int | None] = mapped_column(default=None)
    recording_status: Mapped[str | None] = mapped_column(String(16), default=None)
    recording_path: Mapped[str | None] = mapped_column(String(1000), default=None)
    recording_bytes: Mapped[int | None] = mapped_column(BigId, default=None)
    recording_attempts: Mapped[int] = mapped_column(default=0)
    recording_retry_at: Mapped[datetime | None] = mapped_column(default=None)
    recording_error: Mapped[str | None] = mapped_column(String(500), default=None)
    # People's annotations from the call log: short labels.
    tags: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    # Every write sets it (ORM and Core statements alike); None on rows older than the
    # column (migration 0008), which the reports' first full build covers.
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)


class CallNote(IdMixin, CreatedMixin, TenantMixin, Base):
    """A note someone wrote on a call in the call log."""

    __tablename__ = "call_notes"

    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(String(2000))
