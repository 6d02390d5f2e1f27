"""The jobs table: one row per piece of work, the source of truth for its state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, CreatedMixin, IdMixin, TenantMixin, utcnow


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("kind", "call_id"),
        Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="CASCADE"), default=None
    )
    state: Mapped[str] = mapped_column(String(16), default=JobState.queued.value)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    worker: Mapped[str | None] = mapped_column(String(200), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
