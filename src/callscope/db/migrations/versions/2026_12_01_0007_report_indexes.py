"""covering indexes for the reports

Revision ID: 0007_report_indexes
Revises: 0006_dashboard
Create Date: 2026-12-01

Every report reads the account's inbound calls in a time range and, for most, their
insight. These indexes hold every column those reads need, so a report walks one index
range (an index-only scan on PostgreSQL once vacuumed) instead of fetching each call's
and each insight's wide row. `ix_calls_reports` starts with (account_id, started_at), so it
also serves everything `ix_calls_account_id_started_at` did, which it replaces; likewise
`ix_calls_callers` replaces `ix_calls_account_id_caller_started_at`, with the session added.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_report_indexes"
down_revision: str | None = "0006_dashboard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALL_COLUMNS = [
    "account_id",
    "started_at",
    "direction",
    "status",
    "qualified",
    "first_time_caller",
    "talk_seconds",
    "source_id",
    "session_id",
    "location",
    "agent",
    "caller_country",
    "caller_region",
    "id",  # implicit on SQLite (the rowid); PostgreSQL needs it for an index-only scan
]
INSIGHT_COLUMNS = ["call_id", "account_id", "category", "sentiment"]
# Attribution's journeys: a caller's calls with their sessions, a visitor's sessions.
CALLER_COLUMNS = ["account_id", "caller", "started_at", "session_id"]
JOURNEY_COLUMNS = ["account_id", "visitor_id", "started_at", "source_id", "channel", "id"]


def upgrade() -> None:
    op.create_index("ix_calls_reports", "calls", CALL_COLUMNS)
    op.drop_index("ix_calls_account_id_started_at", table_name="calls")
    op.create_index("ix_call_insights_reports", "call_insights", INSIGHT_COLUMNS)
    op.create_index("ix_calls_callers", "calls", CALLER_COLUMNS)
    op.drop_index("ix_calls_account_id_caller_started_at", table_name="calls")
    op.create_index("ix_visitor_sessions_journeys", "visitor_sessions", JOURNEY_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_visitor_sessions_journeys", table_name="visitor_sessions")
    op.create_index(
        "ix_calls_account_id_caller_started_at", "calls", ["account_id", "caller", "started_at"]
    )
    op.drop_index("ix_calls_callers", table_name="calls")
    op.drop_index("ix_call_insights_reports", table_name="call_insights")
    op.create_index("ix_calls_account_id_started_at", "calls", ["account_id", "started_at"])
    op.drop_index("ix_calls_reports", table_name="calls")
