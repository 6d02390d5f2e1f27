"""Transcripts: one per call, replaced when the call is analysed again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, CreatedMixin, IdMixin, JSONValue, TenantMixin, utcnow


class TranscriptRecord(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "transcripts"

    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="CASCADE"), unique=True
    )
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    language_probability: Mapped[float | None] = mapped_column(Float, default=None)
    language_source: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(300))
    model_version: Mapped[str] = mapped_column(String(300))
    device: Mapped[str] = mapped_column(String(40))
    channels: Mapped[int] = mapped_column()
    duration_seconds: Mapped[float] = mapped_column(Float)
    speech_seconds: Mapped[float] = mapped_column(Float)
    processing_seconds: Mapped[float] = mapped_column(Float)
    real_time_factor: Mapped[float] = mapped_column(Float)
    truncated: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text)  # redacted, "speaker: text" per line
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue)
    redactions: Mapped[dict[str, int]] = mapped_column(JSONValue)
    audio_redacted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
