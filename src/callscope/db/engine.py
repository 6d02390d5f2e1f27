"""Engines and sessions.

SQLite is treated as a first-class engine: WAL journal (one writer, many readers),
foreign keys on, a busy timeout so concurrent writers wait instead of failing, a page cache,
memory-mapped reads and in-memory temporary b-trees sized for reports, and
transactions begun explicitly (pysqlite's own implicit BEGIN is turned off, as the
SQLAlchemy docs recommend) so SAVEPOINT and isolation work as on PostgreSQL.

A transaction that will write must say so up front (`writer()`): on SQLite it then starts
with BEGIN IMMEDIATE and queues for the write lock under the busy timeout. A deferred
transaction that reads first and writes later fails at once with "database is locked"
when another writer committed in between (SQLite cannot wait there), which under
concurrent requests would surface as errors. PostgreSQL ignores the option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Reports read a few index ranges of a large file: a page cache of 64 MiB per connection
# (SQLite's default is 2 MiB), reads through a memory map rather than a read() per page, and
# GROUP BY's temporary b-trees in memory rather than in a temporary file.
SQLITE_CACHE_KIB = 65_536
SQLITE_MMAP_BYTES = 1 << 30


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


_BEGIN_OPTION = "callscope_sqlite_begin"


def writer(engine: Engine) -> Engine:
    """The same engine (same pool), for transactions that will write."""
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def is_writer(engine: Engine) -> bool:
    """Whether transactions on this engine are begun for writing (see `writer`)."""
    return bool(engine.get_execution_options().get(_BEGIN_OPTION) == "IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if parsed.drivername == "sqlite":
            parsed = parsed.set(drivername="sqlite+pysqlite")
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    return sessionmaker(bind=writer(engine) if write else engine, expire_on_commit=False)
