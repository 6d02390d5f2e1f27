"""report places: the when-and-where report's daily counts by location, agent and region;
the changes a refresh has already counted

Revision ID: 0009_report_places
Revises: 0008_report_rollups
Create Date: 2026-12-02

The new table starts empty, so every account's `report_state` is removed: the next refresh
(`callscope reports refresh`, or the first report asked for of an account of at most
5,000 calls) builds all of its precomputed tables in full, this one included. Until then
reports read the calls, as before 0008.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_report_places"
down_revision: str | None = "0008_report_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSONValue = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "report_places",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            BigId,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(8), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("agent", sa.String(100), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("answered_talk", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_report_places_account_id_day", "report_places", ["account_id", "day"])
    op.execute("DELETE FROM report_state")
    with op.batch_alter_table("report_state") as batch:
        batch.add_column(sa.Column("seen", JSONValue, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_state") as batch:
        batch.drop_column("seen")
    op.drop_table("report_places")
