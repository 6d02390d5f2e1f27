"""Authentication for `/api/v1`: a bearer token, or the dashboard's session cookie.

Every failure (no header, wrong scheme, unknown token, revoked token) gets the same 401, so
a caller learns nothing about which tokens exist. `last_used_at` is written at most once a
minute per token, so reads do not turn into a write per request, and in a transaction of
its own, so a read request never holds the write lock; losing that write to contention
costs nothing but a late timestamp.

The dashboard's pages call the same API with their session cookie (websessions.py). A
cookie is sent by the browser on its own, so a cookie-authenticated write must also carry
the session's CSRF token in `X-CSRF-Token`, and the user's role must allow it.
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

from callscope.accounts import websessions
from callscope.accounts.models import ApiToken, Role
from callscope.accounts.repository import TokenRepository
from callscope.accounts.security import TOKEN_PREFIX, hash_token
from callscope.api.deps import READ_METHODS
from callscope.api.problems import Problem, Unauthorized
from callscope.db.base import utcnow

log = logging.getLogger("callscope.auth")

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_CHARS = 100

_bearer = HTTPBearer(auto_error=False, description="an API token: `callscope token create`")


@dataclass(frozen=True)
class Principal:
    account_id: int
    token_id: int | None = None  # an API token's id, None for a dashboard login
    user_id: int | None = None
    role: Role = Role.admin


class Forbidden(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(403, "forbidden", detail)


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None and websessions.SESSION_COOKIE in request.cookies:
        return _cookie_principal(request)
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
    return Principal(account_id=row.account_id, token_id=row.id, user_id=row.user_id)


def _cookie_principal(request: Request) -> Principal:
    with request.app.state.reader() as session:
        found = websessions.resolve(session, request.cookies.get(websessions.SESSION_COOKIE))
    if found is None:
        raise Unauthorized
    login, _ = found
    if request.method not in READ_METHODS:
        if not websessions.csrf_matches(login.csrf_token, request.headers.get("x-csrf-token")):
            raise Forbidden("a cookie-authenticated write needs the X-CSRF-Token header")
        if not websessions.may_write(login.role, request.url.path):
            raise Forbidden(f"the {login.role.value} role cannot change this")
    return Principal(account_id=login.account_id, user_id=login.user_id, role=login.role)


def _touch(request: Request, token_id: int, when: datetime) -> None:
    try:
        with request.app.state.sessionmaker.begin() as writer:
            writer.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=when)
            )
    except OperationalError:
        log.warning("could not record last use of token %s", token_id)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
