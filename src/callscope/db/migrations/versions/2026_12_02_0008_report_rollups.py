"""report rollups: daily counts, key-phrase counts, attribution credits, change stamps

Revision ID: 0008_report_rollups
Revises: 0007_report_indexes
Create Date: 2026-12-02

`calls.updated_at` is added without a default, so existing rows stay NULL rather than being
rewritten: the rollups are built in full the first time (no `report_state` row yet), and
from then on only what changed after their last build is redone (see reports/rollups.py).
The tables are filled by `callscope reports refresh` or by the first report asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_report_rollups"
down_revision: str | None = "0007_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
Time = sa.DateTime(timezone=True)


def _account(primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "account_id",
        BigId,
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.add_column("calls", sa.Column("updated_at", Time, nullable=True))
    op.create_index("ix_calls_account_id_updated_at", "calls", ["account_id", "updated_at"])
    op.create_index(
        "ix_call_insights_account_id_updated_at", "call_insights", ["account_id", "updated_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        # Until autovacuum samples the new column, the planner guesses a third of the calls
        # changed and scans them all to find none (0.5 s at a million calls, every report).
        op.execute("ANALYZE calls, call_insights")
    op.create_table(
        "report_state",
        _account(primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("sales_cycle_days", sa.Integer(), nullable=True),
        sa.Column("days_through", Time, nullable=True),
        sa.Column("credits_through", Time, nullable=True),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_table(
        "report_days",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _account(),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("sentiment", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("first_time_caller", sa.Boolean(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("answered_talk", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_report_days_account_id_day", "report_days", ["account_id", "day"])
    op.create_table(
        "report_phrases",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _account(),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.Column("phrase", sa.Text(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_phrases_account_id_day", "report_phrases", ["account_id", "day"])
    op.create_table(
        "call_credits",
        sa.Column(
            "call_id",
            BigId,
            sa.ForeignKey("calls.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        _account(),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        *(
            sa.Column(name, sa.Float(), nullable=False)
            for name in (
                "first_touch",
                "last_touch",
                "last_non_direct",
                "linear",
                "time_decay",
                "position_based",
            )
        ),
    )
    op.create_index(
        "ix_call_credits_account_id_started_at", "call_credits", ["account_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_table("call_credits")
    op.drop_table("report_phrases")
    op.drop_table("report_days")
    op.drop_table("report_state")
    op.drop_index("ix_call_insights_account_id_updated_at", table_name="call_insights")
    op.drop_index("ix_calls_account_id_updated_at", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("updated_at")
