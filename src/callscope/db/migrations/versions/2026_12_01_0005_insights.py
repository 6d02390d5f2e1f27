"""call insights and category corrections

Revision ID: 0005_insights
Revises: 0004_jobs
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_insights"
down_revision: str | None = "0004_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
Time = sa.DateTime(timezone=True)
JSONValue = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _account() -> sa.Column[int]:
    return sa.Column(
        "account_id", BigId, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "category_corrections",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _account(),
        sa.Column("call_id", BigId, sa.ForeignKey("calls.id", ondelete="SET NULL"), nullable=True),
        sa.Column("from_category", sa.String(64), nullable=True),
        sa.Column("to_category", sa.String(64), nullable=False),
        sa.Column(
            "token_id", BigId, sa.ForeignKey("api_tokens.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("turns", JSONValue, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index("ix_category_corrections_account_id", "category_corrections", ["account_id"])
    op.create_index("ix_category_corrections_call_id", "category_corrections", ["call_id"])

    op.create_table(
        "call_insights",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _account(),
        sa.Column("call_id", BigId, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("scores", JSONValue, nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("sentiment_confidence", sa.Float(), nullable=False),
        sa.Column("lead_score", sa.Integer(), nullable=False),
        sa.Column("lead_factors", JSONValue, nullable=False),
        sa.Column("topics", JSONValue, nullable=False),
        sa.Column("key_phrases", JSONValue, nullable=False),
        sa.Column("lost_reason", sa.String(32), nullable=True),
        sa.Column("lost_phrase", sa.String(200), nullable=True),
        sa.Column("heard_from", sa.String(32), nullable=True),
        sa.Column("heard_phrase", sa.String(200), nullable=True),
        sa.Column(
            "heard_source_id",
            BigId,
            sa.ForeignKey("sources.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("model_version", sa.String(300), nullable=False),
        sa.Column("llm", JSONValue, nullable=True),
        sa.Column(
            "corrected_by",
            BigId,
            sa.ForeignKey("category_corrections.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.UniqueConstraint("call_id", name="uq_call_insights_call_id"),
    )
    op.create_index("ix_call_insights_account_id", "call_insights", ["account_id"])
    op.create_index(
        "ix_call_insights_account_category", "call_insights", ["account_id", "category"]
    )


def downgrade() -> None:
    op.drop_table("call_insights")
    op.drop_table("category_corrections")
