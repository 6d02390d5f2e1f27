"""Bearer-token authentication for `/api/v1`.

Every failure (no header, wrong scheme, unknown token, revoked token) gets the same 401, so
a caller learns nothing about which tokens exist. `last_used_at` is written at most once a
minute per token, so reads do not turn into a write per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from callscope.accounts.repository import TokenRepository
from callscope.accounts.security import TOKEN_PREFIX, hash_token
from callscope.api.deps import SessionDep
from callscope.api.problems import Unauthorized
from callscope.db.base import utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_CHARS = 100

_bearer = HTTPBearer(auto_error=False, description="an API token: `callscope token create`")


@dataclass(frozen=True)
class Principal:
    account_id: int
    token_id: int


def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized
    token = credentials.credentials
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized
    row = TokenRepository.by_hash(session, hash_token(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.commit()
    return Principal(account_id=row.account_id, token_id=row.id)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
