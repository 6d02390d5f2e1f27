"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Migrations run once per backend per session (the real Alembic scripts, never create_all);
each test then starts from empty tables. PostgreSQL gets a throwaway database per run on
127.0.0.1:5432 (override with CALLSCOPE_TEST_POSTGRES_URL). Locally a missing server skips
the PostgreSQL half; under CI=true it is an error.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from callscope.config import Settings
from callscope.db import migrate
from callscope.db.engine import make_engine
from callscope.models import Base
from callscope.web import create_app
from tests.factories import Tenant, make_tenant

ADMIN_URL = os.environ.get(
    "CALLSCOPE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]


def _admin_conninfo() -> str:
    url = make_url(ADMIN_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_postgresql(prefix: str, driver: str | None = None) -> Iterator[str]:
    """A new, empty PostgreSQL database's URL, dropped afterwards; a skip when PostgreSQL is
    not reachable, a failure under CI=true."""
    try:
        admin = psycopg.connect(_admin_conninfo(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(ADMIN_URL).set(database=name)
        if driver:
            url = url.set(drivername=driver)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh, migrated-later PostgreSQL database for this test run, dropped at the end."""
    with scratch_postgresql("callscope_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'callscope.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The engine, with every table emptied before the test."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    return engine


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No sweep thread: each webhook's own background run does the work before the test
    # client returns, so tests see a deterministic state. Tests of the sweep turn it on.
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        max_body_bytes=65_536,
        calls_sweep_seconds=0,
        jobs_in_server=False,
    )


@pytest.fixture
def app(db: Engine, settings: Settings) -> FastAPI:
    return create_app(settings, engine=db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tenant(app: FastAPI, client: TestClient) -> Tenant:
    return make_tenant(app, client, "Acme")


@pytest.fixture
def other(app: FastAPI, client: TestClient) -> Tenant:
    return make_tenant(app, client, "Rival")


REDIS_URL = os.environ.get("CALLSCOPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_client() -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield client
    client.close()


@pytest.fixture(params=["sql", "redis"])
def lease_store(request: pytest.FixtureRequest, app: FastAPI) -> str:
    """Run the test with each lease store; Redis keys get a prefix of their own per test."""
    if request.param == "redis":
        from callscope.tracking.leases import RedisLeaseStore

        client = request.getfixturevalue("redis_client")
        app.state.lease_store = RedisLeaseStore(client, prefix=f"cstest:{secrets.token_hex(6)}")
    return str(request.param)
