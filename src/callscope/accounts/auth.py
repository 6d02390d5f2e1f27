"""Bearer-token authentication for `/api/v1`.

Every failure (no header, wrong scheme, unknown token, revoked token) gets the same 401, so
a caller learns nothing about which tokens exist. `last_used_at` is written at most once a
minute per token, so reads do not turn into a write per request, and in a transaction of
its own, so a read request never holds the write lock; losing that write to contention
costs nothing but a late timestamp.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from callscope.accounts.models import ApiToken
from callscope.accounts.repository import TokenRepository
from callscope.accounts.security import TOKEN_PREFIX, hash_token
from callscope.api.problems import Unauthorized
from callscope.db.base import utcnow

log = logging.getLogger("callscope.auth")

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_CHARS = 100

_bearer = HTTPBearer(auto_error=False, description="an API token: `callscope token create`")


@dataclass(frozen=True)
class Principal:
    account_id: int
    token_id: int


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized
    token = credentials.credentials
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized
    # Its own short read, not the request's session: the request's transaction (and on
    # SQLite its write lock) begins only when the endpoint starts working.
    with request.app.state.reader() as session:
        row = TokenRepository.by_hash(session, hash_token(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        _touch(request, row.id, now)
    return Principal(account_id=row.account_id, token_id=row.id)


def _touch(request: Request, token_id: int, when: datetime) -> None:
    try:
        with request.app.state.sessionmaker.begin() as writer:
            writer.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when)
            )
    except OperationalError:
        log.warning("could not record last use of token %s", token_id)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
