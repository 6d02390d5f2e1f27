"""API shapes of a call's analysis."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from callscope.api.types import OutputModel


class FactorPublic(OutputModel):
    factor: str
    points: int


class AnalysisPublic(OutputModel):
    category: str
    confidence: float
    needs_review: bool
    method: str = Field(
        description="model (shared), account (its own examples and corrections changed it), llm, rule or correction"
    )
    scores: dict[str, float] = Field(description="the three likeliest categories")
    language: str | None
    sentiment: str
    sentiment_confidence: float
    lead_score: int = Field(ge=0, le=100)
    lead_factors: list[FactorPublic]
    topics: list[str]
    key_phrases: list[str]
    lost_reason: str | None
    lost_phrase: str | None
    heard_from: str | None
    heard_phrase: str | None
    heard_source_id: int | None
    model_version: str
    llm: dict[str, object] | None
    corrected_by: int | None = Field(description="the correction that set the category")
    updated_at: datetime
