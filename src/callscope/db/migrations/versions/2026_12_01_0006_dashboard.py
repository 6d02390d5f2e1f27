"""dashboard logins, call notes and tags

Revision ID: 0006_dashboard
Revises: 0005_insights
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_dashboard"
down_revision: str | None = "0005_insights"
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
        "web_sessions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _account(),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("last_seen_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_web_sessions_token_hash"),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"])

    op.create_table(
        "call_notes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _account(),
        sa.Column("call_id", BigId, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index("ix_call_notes_account_id", "call_notes", ["account_id"])
    op.create_index("ix_call_notes_call_id", "call_notes", ["call_id"])

    op.add_column(
        "calls", sa.Column("tags", JSONValue, nullable=False, server_default=sa.text("'[]'"))
    )


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("tags")
    op.drop_table("call_notes")
    op.drop_table("web_sessions")
