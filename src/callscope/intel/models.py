"""Insights (one per call, replaced on re-analysis) and category corrections (kept forever).

A correction records who changed a call's category, from what to what, and the redacted
words of the call at that moment: that copy is what the account's memory learns from, so
a correction still teaches after the call's transcript is replaced or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, CreatedMixin, IdMixin, JSONValue, TenantMixin, utcnow


class CallInsight(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "call_insights"
    __table_args__ = (
        Index("ix_call_insights_account_category", "account_id", "category"),
        # What a report reads of a call's insight, found by the call: no row fetch.
        Index("ix_call_insights_reports", "call_id", "account_id", "category", "sentiment"),
        Index("ix_call_insights_account_id_updated_at", "account_id", "updated_at"),
    )

    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="CASCADE"), unique=True
    )
    category: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    needs_review: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(String(16))  # model, account, llm, rule, correction
    scores: Mapped[dict[str, float]] = mapped_column(JSONValue, default=dict)
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    sentiment: Mapped[str] = mapped_column(String(16))
    sentiment_confidence: Mapped[float] = mapped_column(Float)
    lead_score: Mapped[int] = mapped_column()
    lead_factors: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue, default=list)
    topics: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    key_phrases: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    lost_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    lost_phrase: Mapped[str | None] = mapped_column(String(200), default=None)
    heard_from: Mapped[str | None] = mapped_column(String(32), default=None)
    heard_phrase: Mapped[str | None] = mapped_column(String(200), default=None)
    heard_source_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sources.id", ondelete="SET NULL"), default=None
    )
    model_version: Mapped[str] = mapped_column(String(300))
    llm: Mapped[dict[str, Any] | None] = mapped_column(JSONValue, default=None)
    corrected_by: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("category_corrections.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CategoryCorrection(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "category_corrections"

    call_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="SET NULL"), default=None, index=True
    )
    from_category: Mapped[str | None] = mapped_column(String(64), default=None)
    to_category: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("api_tokens.id", ondelete="SET NULL"), default=None
    )
    user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    turns: Mapped[list[dict[str, str]]] = mapped_column(JSONValue)  # speaker and text only
    text: Mapped[str] = mapped_column(Text, default="")
