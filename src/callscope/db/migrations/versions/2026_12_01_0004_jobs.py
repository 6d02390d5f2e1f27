"""jobs and transcripts: the analysis job queue, transcripts, account speech settings

Revision ID: 0004_jobs
Revises: 0003_calls
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_jobs"
down_revision: str | None = "0003_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
Time = sa.DateTime(timezone=True)
JSONValue = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("languages", JSONValue, nullable=False, server_default=sa.text("'[\"en\"]'"))
        )
        batch.add_column(
            sa.Column("redact_audio", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("redact_phones", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    op.create_table(
        "jobs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id", BigId, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("call_id", BigId, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(1000), nullable=True),
        sa.Column("run_after", Time, nullable=False),
        sa.Column("enqueued_at", Time, nullable=True),
        sa.Column("started_at", Time, nullable=True),
        sa.Column("finished_at", Time, nullable=True),
        sa.Column("heartbeat_at", Time, nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.UniqueConstraint("kind", "call_id", name="uq_jobs_kind_call_id"),
    )
    op.create_index("ix_jobs_account_id", "jobs", ["account_id"])
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after"])

    op.create_table(
        "transcripts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id", BigId, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("call_id", BigId, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("language_probability", sa.Float(), nullable=True),
        sa.Column("language_source", sa.String(16), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("model_version", sa.String(300), nullable=False),
        sa.Column("device", sa.String(40), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("speech_seconds", sa.Float(), nullable=False),
        sa.Column("processing_seconds", sa.Float(), nullable=False),
        sa.Column("real_time_factor", sa.Float(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("turns", JSONValue, nullable=False),
        sa.Column("redactions", JSONValue, nullable=False),
        sa.Column("audio_redacted", sa.Boolean(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.UniqueConstraint("call_id", name="uq_transcripts_call_id"),
    )
    op.create_index("ix_transcripts_account_id", "transcripts", ["account_id"])


def downgrade() -> None:
    op.drop_table("transcripts")
    op.drop_table("jobs")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("redact_phones")
        batch.drop_column("redact_audio")
        batch.drop_column("languages")
