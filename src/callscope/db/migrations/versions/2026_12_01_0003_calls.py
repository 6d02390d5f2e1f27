"""calls: raw call events, call records, account call settings

Revision ID: 0003_calls
Revises: 0002_dni_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_calls"
down_revision: str | None = "0002_dni_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
Time = sa.DateTime(timezone=True)
JSONValue = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column(
                "qualified_requires_first_time",
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            )
        )
        batch.add_column(sa.Column("webhook_secret", sa.String(64), nullable=True))
        batch.add_column(sa.Column("twilio_account_sid", sa.String(34), nullable=True))
        batch.add_column(sa.Column("twilio_auth_token", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("record_calls", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("recording_disclosure", sa.String(500), nullable=True))
    accounts = sa.table("accounts", sa.column("id", BigId), sa.column("webhook_secret", sa.String))
    connection = op.get_bind()
    for (account_id,) in connection.execute(sa.select(accounts.c.id)).all():
        connection.execute(
            accounts.update()
            .where(accounts.c.id == account_id)
            .values(webhook_secret="whsec_" + secrets.token_hex(24))
        )

    op.create_table(
        "call_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("event_key", sa.String(128), nullable=False),
        sa.Column("call_key", sa.String(128), nullable=False),
        sa.Column("payload", JSONValue, nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.Column("processed_at", Time, nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_call_events_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_call_events"),
        sa.UniqueConstraint(
            "account_id",
            "provider",
            "event_key",
            name="uq_call_events_account_id_provider_event_key",
        ),
    )
    op.create_index("ix_call_events_account_id", "call_events", ["account_id"])
    op.create_index("ix_call_events_call", "call_events", ["account_id", "provider", "call_key"])
    op.create_index("ix_call_events_pending", "call_events", ["processed_at", "id"])

    op.create_table(
        "calls",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("provider_call_id", sa.String(128), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("caller", sa.String(16), nullable=True),
        sa.Column("caller_raw", sa.String(64), nullable=True),
        sa.Column("caller_name", sa.String(100), nullable=True),
        sa.Column("caller_country", sa.String(2), nullable=True),
        sa.Column("caller_region", sa.String(100), nullable=True),
        sa.Column("caller_city", sa.String(100), nullable=True),
        sa.Column("caller_state", sa.String(100), nullable=True),
        sa.Column("tracking_number", sa.String(16), nullable=True),
        sa.Column("number_id", BigId, nullable=True),
        sa.Column("forward_to", sa.String(16), nullable=True),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("answered_at", Time, nullable=True),
        sa.Column("ended_at", Time, nullable=True),
        sa.Column("ring_seconds", sa.Integer(), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(100), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("attribution", sa.String(16), nullable=False),
        sa.Column("source_id", BigId, nullable=True),
        sa.Column("session_id", BigId, nullable=True),
        sa.Column("attribution_confidence", sa.Float(), nullable=True),
        sa.Column("first_time_caller", sa.Boolean(), nullable=True),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("recording_url", sa.String(2000), nullable=True),
        sa.Column("recording_channels", sa.Integer(), nullable=True),
        sa.Column("recording_status", sa.String(16), nullable=True),
        sa.Column("recording_path", sa.String(1000), nullable=True),
        sa.Column("recording_bytes", BigId, nullable=True),
        sa.Column("recording_attempts", sa.Integer(), nullable=False),
        sa.Column("recording_retry_at", Time, nullable=True),
        sa.Column("recording_error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_calls_account_id_accounts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["number_id"],
            ["tracking_numbers.id"],
            name="fk_calls_number_id_tracking_numbers",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_calls_source_id_sources", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["visitor_sessions.id"],
            name="fk_calls_session_id_visitor_sessions",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
        sa.UniqueConstraint(
            "account_id",
            "provider",
            "provider_call_id",
            name="uq_calls_account_id_provider_provider_call_id",
        ),
    )
    op.create_index("ix_calls_account_id", "calls", ["account_id"])
    op.create_index("ix_calls_account_id_started_at", "calls", ["account_id", "started_at"])
    op.create_index(
        "ix_calls_account_id_caller_started_at", "calls", ["account_id", "caller", "started_at"]
    )
    op.create_index("ix_calls_recording_status", "calls", ["recording_status"])
    op.create_index("ix_calls_source_id", "calls", ["source_id"])
    op.create_index("ix_calls_session_id", "calls", ["session_id"])


def downgrade() -> None:
    op.drop_table("calls")
    op.drop_table("call_events")
    with op.batch_alter_table("accounts") as batch:
        for column in (
            "recording_disclosure",
            "record_calls",
            "twilio_auth_token",
            "twilio_account_sid",
            "webhook_secret",
            "qualified_requires_first_time",
        ):
            batch.drop_column(column)
