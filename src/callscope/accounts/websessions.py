"""Dashboard logins: server-side sessions behind a random cookie.

The cookie carries 256 random bits; the table stores only their SHA-256, so a read of the
database does not log anyone in. Each login makes a new session (a cookie set before the
login is never promoted: no session fixation). A session ends on logout, at `LIFETIME`
after login, or after `IDLE` without a request; `last_seen_at` is written at most once a
minute. Each session has its own CSRF token, which every form post and every
cookie-authenticated API write must echo.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from callscope.accounts.models import Account, Role, User, WebSession
from callscope.accounts.security import hash_token
from callscope.db.base import utcnow

SESSION_COOKIE = "callscope_session"
IDLE = timedelta(hours=12)
LIFETIME = timedelta(days=7)
TOUCH_RESOLUTION = timedelta(minutes=1)
MAX_COOKIE_CHARS = 100


@dataclass(frozen=True)
class Login:
    """Who is signed in, as the pages and the API see them."""

    session_id: int
    account_id: int
    user_id: int
    email: str
    role: Role
    csrf_token: str
    timezone: str
    account_name: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def start(session: Session, user: User, user_agent: str | None) -> tuple[str, WebSession]:
    """A new session for `user`; the raw token goes in the cookie and is not kept."""
    token = new_token()
    now = utcnow()
    row = WebSession(
        account_id=user.account_id,
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_token=secrets.token_urlsafe(32),
        last_seen_at=now,
        expires_at=now + LIFETIME,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    session.flush()
    return token, row


def resolve(session: Session, token: str | None) -> tuple[Login, bool] | None:
    """The live login behind a cookie value, and whether its last-seen time is stale."""
    if not token or len(token) > MAX_COOKIE_CHARS:
        return None
    found = session.execute(
        select(WebSession, User, Account)
        .join(User, User.id == WebSession.user_id)
        .join(Account, Account.id == WebSession.account_id)
        .where(WebSession.token_hash == hash_token(token))
    ).one_or_none()
    if found is None:
        return None
    row, user, account = found
    now = utcnow()
    if row.expires_at <= now or now - row.last_seen_at > IDLE:
        return None
    login = Login(
        session_id=row.id,
        account_id=row.account_id,
        user_id=user.id,
        email=user.email,
        role=Role(user.role),
        csrf_token=row.csrf_token,
        timezone=account.timezone,
        account_name=account.name,
    )
    return login, now - row.last_seen_at > TOUCH_RESOLUTION


def touch(session: Session, session_id: int) -> None:
    row = session.get(WebSession, session_id)
    if row is not None:
        row.last_seen_at = utcnow()


def end(session: Session, token: str | None) -> None:
    if token and len(token) <= MAX_COOKIE_CHARS:
        session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


def end_expired(session: Session) -> int:
    now = utcnow()
    result = session.execute(
        delete(WebSession).where(
            (WebSession.expires_at <= now) | (WebSession.last_seen_at < now - IDLE)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


# Who may change what through the dashboard (API tokens are account-wide admin keys).
ANALYST_WRITES = ("/api/v1/calls/", "/calls/")


def may_write(role: Role, path: str) -> bool:
    """Viewers only read; analysts annotate calls (category, notes, tags); admins do all."""
    if role is Role.admin:
        return True
    if role is Role.analyst:
        return path.startswith(ANALYST_WRITES)
    return False
