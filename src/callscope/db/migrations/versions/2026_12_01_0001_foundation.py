"""foundation: accounts, users, API tokens, sites, sources, pools, tracking numbers, categories

Revision ID: 0001_foundation
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSONValue = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", BigId, autoincrement=True, nullable=False)


def _created_at() -> sa.Column[Any]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def _account_id(table: str) -> list[Any]:
    return [
        sa.Column("account_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=f"fk_{table}_account_id_accounts",
            ondelete="CASCADE",
        ),
    ]


def _tenant_table(name: str, *items: Any) -> None:
    op.create_table(
        name,
        _id(),
        *items,
        _created_at(),
        *_account_id(name),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_account_id", name, ["account_id"])


def upgrade() -> None:
    op.create_table(
        "accounts",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("sales_cycle_days", sa.Integer(), nullable=False),
        sa.Column("qualified_call_seconds", sa.Integer(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
    )
    _tenant_table(
        "users",
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    _tenant_table(
        "api_tokens",
        sa.Column("user_id", BigId, nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    _tenant_table(
        "sites",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("domains", JSONValue, nullable=False),
        sa.Column("site_key", sa.String(32), nullable=False),
        sa.Column("business_number", sa.String(16), nullable=True),
        sa.UniqueConstraint("site_key", name="uq_sites_site_key"),
    )
    _tenant_table(
        "sources",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("medium", sa.String(100), nullable=True),
        sa.Column("is_offline", sa.Boolean(), nullable=False),
        sa.Column("rules", JSONValue, nullable=False),
        sa.UniqueConstraint("account_id", "name", name="uq_sources_account_id_name"),
    )
    _tenant_table(
        "pools",
        sa.Column("site_id", BigId, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("hold_seconds", sa.Integer(), nullable=False),
        sa.Column("exhaustion_policy", sa.String(32), nullable=False),
        sa.Column("overflow_number", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name="fk_pools_site_id_sites", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_pools_site_id", "pools", ["site_id"])
    _tenant_table(
        "tracking_numbers",
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("forward_to", sa.String(16), nullable=True),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("source_id", BigId, nullable=True),
        sa.Column("pool_id", BigId, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(source_id IS NULL) <> (pool_id IS NULL)", name="ck_tracking_numbers_source_or_pool"
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pools.id"], name="fk_tracking_numbers_pool_id_pools", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name="fk_tracking_numbers_source_id_sources",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_tracking_numbers_pool_id", "tracking_numbers", ["pool_id"])
    op.create_index("ix_tracking_numbers_source_id", "tracking_numbers", ["source_id"])
    op.create_index(
        "uq_tracking_numbers_active_number",
        "tracking_numbers",
        ["number"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    _tenant_table(
        "categories",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("examples", JSONValue, nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("account_id", "key", name="uq_categories_account_id_key"),
    )


def downgrade() -> None:
    for table in (
        "categories",
        "tracking_numbers",
        "pools",
        "sources",
        "sites",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
    op.drop_table("accounts")
