"""Migrations: upgrade and downgrade cleanly on both engines; the models match the scripts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from callscope.accounts.schemas import AccountCreate
from callscope.accounts.service import create_account
from callscope.db import migrate
from callscope.db.engine import make_engine
from callscope.models import Base
from tests.conftest import scratch_postgresql
from tests.reports_data import call, insight


@pytest.fixture
def blank_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same engine as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    with scratch_postgresql("callscope_blank") as url:
        yield url


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(blank_url: str) -> None:
    engine = make_engine(blank_url)
    try:
        migrate.upgrade(blank_url)
        assert tables(engine) == set(Base.metadata.tables)
        assert migrate.current_revision(engine) == migrate.head_revision()
        migrate.downgrade(blank_url, "base")
        assert tables(engine) == set()
        assert migrate.current_revision(engine) is None
        migrate.upgrade(blank_url)
        assert tables(engine) == set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_models_match_migrations(engine: Engine) -> None:
    """A model change without a migration fails here (what `alembic check` does)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert connection.execute(text("PRAGMA cache_size")).scalar() == -65_536
        assert connection.execute(text("PRAGMA temp_store")).scalar() == 2  # memory
    engine.dispose()


def test_database_enforces_one_binding(db: Engine) -> None:
    """Even a write that skips the service cannot bind a number to a pool and a source."""
    from sqlalchemy.exc import IntegrityError

    with db.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts (name, timezone, currency, sales_cycle_days, "
                "qualified_call_seconds, created_at) VALUES ('a', 'UTC', 'USD', 30, 60, CURRENT_TIMESTAMP)"
            )
        )
    with db.connect() as connection:
        account = connection.execute(text("SELECT id FROM accounts")).scalar()
        insert = text(
            "INSERT INTO tracking_numbers (account_id, number, active, created_at) "
            "VALUES (:a, '+15125550100', true, CURRENT_TIMESTAMP)"
        )
        with pytest.raises(IntegrityError):
            connection.execute(insert, {"a": account})


def test_rebuilding_a_table_keeps_the_rows_that_reference_it(blank_url: str) -> None:
    """Dropping `calls.updated_at` rebuilds `calls` on SQLite (batch mode): the insights
    that reference its rows must survive (foreign keys are off while it runs)."""
    engine = make_engine(blank_url)
    try:
        migrate.upgrade(blank_url)
        with Session(engine) as s:
            account = create_account(s, AccountCreate(name="A", email="a@a.example")).account
            [c] = [call(account.id, "c1", datetime(2026, 11, 2, tzinfo=UTC))]
            s.add(c)
            s.flush()
            s.add(insight(account.id, c.id, "sale", "positive", "boiler"))
            s.commit()
        migrate.downgrade(blank_url, "0005_insights")  # 0008 and 0006 rebuild `calls`
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM calls")) == 1
            assert connection.scalar(text("SELECT count(*) FROM call_insights")) == 1
        migrate.upgrade(blank_url)
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM call_insights")) == 1
    finally:
        engine.dispose()
