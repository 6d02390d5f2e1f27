"""lend first: a pool number whose last holder has called is lent before the others

Revision ID: 0010_lend_first
Revises: 0009_report_places
Create Date: 2026-12-03

`tracking_numbers.lend_first` starts false for every number: no call so far marks one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_lend_first"
down_revision: str | None = "0009_report_places"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tracking_numbers",
        sa.Column("lend_first", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("tracking_numbers") as batch:
        batch.drop_column("lend_first")
