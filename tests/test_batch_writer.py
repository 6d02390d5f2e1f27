"""Group commit: each request's write is committed before it is answered, and one failing
write fails only its own request."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from callscope.api.problems import NotFound
from callscope.db.engine import make_engine, make_sessionmaker
from callscope.tracking.writer import BatchWriter


def test_batches_commit_and_failures_stay_alone(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    writer = BatchWriter(make_sessionmaker(engine), max_batch=16)

    def insert(x: int):  # type: ignore[no-untyped-def]
        def action(db: Session) -> int:
            db.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})
            if x == 13:
                raise RuntimeError("a write that breaks after writing")
            if x == 7:
                raise NotFound("session")  # refuses before writing, as the Tracker does
            return x

        return action

    async def many() -> list[object]:
        return await asyncio.gather(
            *(writer.run(insert(x)) for x in range(20)), return_exceptions=True
        )

    results = asyncio.run(many())
    assert isinstance(results[13], RuntimeError)
    assert isinstance(results[7], NotFound)
    assert [r for i, r in enumerate(results) if i not in (7, 13)] == [
        i for i in range(20) if i not in (7, 13)
    ]
    with engine.connect() as connection:
        stored = sorted(connection.execute(text("SELECT x FROM t")).scalars())
    # 13's insert was rolled back with it; 7 wrote before refusing (the contract says: don't).
    assert 13 not in stored
    assert set(stored) >= {i for i in range(20) if i not in (7, 13)}
    engine.dispose()


def test_answers_come_after_the_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    writer = BatchWriter(make_sessionmaker(engine))

    async def one() -> int:
        await writer.run(lambda db: db.execute(text("INSERT INTO t (x) VALUES (1)")))
        with engine.connect() as connection:  # another connection sees it: committed
            return int(connection.execute(text("SELECT count(*) FROM t")).scalar_one())

    assert asyncio.run(one()) == 1
    engine.dispose()


@pytest.mark.parametrize("n", [1, 50])
def test_order_within_and_across_batches_is_arrival_order(tmp_path: Path, n: int) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (i INTEGER PRIMARY KEY, x INTEGER)"))
    writer = BatchWriter(make_sessionmaker(engine), max_batch=8)

    async def many() -> None:
        await asyncio.gather(
            *(
                writer.run(
                    lambda db, x=x: db.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": x})
                )
                for x in range(n)
            )
        )

    asyncio.run(many())
    with engine.connect() as connection:
        assert list(connection.execute(text("SELECT x FROM t ORDER BY i")).scalars()) == list(
            range(n)
        )
    engine.dispose()


def test_a_batch_reads_ahead_once_for_all_its_actions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    writer = BatchWriter(make_sessionmaker(engine), max_batch=8)
    reads: list[list[int]] = []
    seen: list[tuple[int, int]] = []  # (action, reads made before it ran)

    def read(db: Session, items: list[int]) -> None:
        reads.append(items)

    gate = threading.Event()  # holds the writer until every action has queued

    async def open_gate() -> None:
        gate.set()

    async def many() -> None:
        await asyncio.gather(
            writer.run(lambda db: gate.wait(10)),
            *(
                writer.run(lambda db, x=x: seen.append((x, len(reads))), (read, x))
                for x in range(20)
            ),
            writer.run(lambda db: seen.append((-1, len(reads)))),  # reads nothing ahead
            open_gate(),
        )

    asyncio.run(many())
    assert [x for items in reads for x in items] == list(range(20))
    assert all(len(items) <= 8 for items in reads)
    assert len(reads) < 20  # batched: a read for several actions
    # each action ran after its batch's read-ahead
    batch_of = {x: i for i, items in enumerate(reads) for x in items}
    assert all(made == batch_of[x] + 1 for x, made in seen if x >= 0)
    engine.dispose()
