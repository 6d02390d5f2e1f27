"""dni: visitor sessions with their number lease, page views, tracking_numbers.held_until

Revision ID: 0002_dni_sessions
Revises: 0001_foundation
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_dni_sessions"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tracking_numbers") as batch:
        batch.add_column(sa.Column("held_until", Time, nullable=True))
    op.create_index(
        "ix_tracking_numbers_pool_id_held_until", "tracking_numbers", ["pool_id", "held_until"]
    )

    op.create_table(
        "visitor_sessions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("site_id", BigId, nullable=False),
        sa.Column("visitor_id", sa.String(64), nullable=False),
        sa.Column("source_id", BigId, nullable=True),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("utm_source", sa.String(200), nullable=True),
        sa.Column("utm_medium", sa.String(200), nullable=True),
        sa.Column("utm_campaign", sa.String(200), nullable=True),
        sa.Column("utm_term", sa.String(200), nullable=True),
        sa.Column("utm_content", sa.String(200), nullable=True),
        sa.Column("click_id_kind", sa.String(16), nullable=True),
        sa.Column("click_id", sa.String(200), nullable=True),
        sa.Column("referrer", sa.String(2000), nullable=True),
        sa.Column("referrer_domain", sa.String(255), nullable=True),
        sa.Column("landing_url", sa.String(2000), nullable=False),
        sa.Column("last_url", sa.String(2000), nullable=False),
        sa.Column("ga_client_id", sa.String(64), nullable=True),
        sa.Column("ym_uid", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("last_seen_at", Time, nullable=False),
        sa.Column("page_views", sa.Integer(), nullable=False),
        sa.Column("pool_id", BigId, nullable=True),
        sa.Column("number_id", BigId, nullable=True),
        sa.Column("leased_at", Time, nullable=True),
        sa.Column("lease_expires_at", Time, nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_visitor_sessions"),
        sa.UniqueConstraint("public_id", name="uq_visitor_sessions_public_id"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_visitor_sessions_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name="fk_visitor_sessions_site_id_sites", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name="fk_visitor_sessions_source_id_sources",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pools.id"], name="fk_visitor_sessions_pool_id_pools", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["number_id"],
            ["tracking_numbers.id"],
            name="fk_visitor_sessions_number_id_tracking_numbers",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_visitor_sessions_account_id", "visitor_sessions", ["account_id"])
    op.create_index("ix_visitor_sessions_visitor_id", "visitor_sessions", ["visitor_id"])
    op.create_index(
        "ix_visitor_sessions_number_id_leased_at", "visitor_sessions", ["number_id", "leased_at"]
    )
    op.create_index(
        "ix_visitor_sessions_pool_id_leased_at", "visitor_sessions", ["pool_id", "leased_at"]
    )

    op.create_table(
        "page_views",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("session_id", BigId, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("viewed_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_page_views"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_page_views_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["visitor_sessions.id"],
            name="fk_page_views_session_id_visitor_sessions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_page_views_account_id", "page_views", ["account_id"])
    op.create_index("ix_page_views_session_id", "page_views", ["session_id"])


def downgrade() -> None:
    op.drop_table("page_views")
    op.drop_table("visitor_sessions")
    op.drop_index("ix_tracking_numbers_pool_id_held_until", "tracking_numbers")
    with op.batch_alter_table("tracking_numbers") as batch:
        batch.drop_column("held_until")
