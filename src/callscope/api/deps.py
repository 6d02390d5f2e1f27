"""Dependencies shared by all routers, as typed aliases: an endpoint's signature says what it needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request. The endpoint commits; anything uncommitted is rolled back.

    Requests that may write get a writer session (BEGIN IMMEDIATE on SQLite); reads do not
    take the write lock.
    """
    makers = request.app.state
    maker = makers.reader if request.method in READ_METHODS else makers.sessionmaker
    session: Session = maker()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]

# Ids are BIGINT: anything outside that range cannot exist, and must not reach the database.
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
