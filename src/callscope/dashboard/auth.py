"""Login, logout and the page-level login check.

- Passwords are checked with argon2 (accounts/security.py). An unknown email still costs a
  hash verification, so timing does not tell which emails exist; the error is the same.
- The login form is protected by a double-submit token (a cookie and a hidden field set
  together by GET /login), since there is no session yet to hold one.
- Login attempts are rate-limited per client IP and per email address.
- After login the browser goes to `next` only when it is a path on this site: absolute
  URLs, scheme-relative `//host` and backslash tricks go to `/` instead.
- The session cookie is HttpOnly, SameSite=Lax, and Secure when the public URL is https.
"""

from __future__ import annotations

import functools
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from callscope.accounts import websessions
from callscope.accounts.models import Role
from callscope.accounts.security import hash_password, verify_password
from callscope.accounts.websessions import Login
from callscope.tracking.ratelimit import RateLimiter

LOGIN_CSRF_COOKIE = "callscope_login"
MAX_EMAIL_CHARS = 320
MAX_PASSWORD_CHARS = 1000
MAX_NEXT_CHARS = 2000


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown (the same work as a real check)."""
    return hash_password(secrets.token_urlsafe(16))


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """A page request that cannot go ahead: answered with an HTML error page."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def forbidden(detail: str) -> PageError:
    return PageError(403, detail)


def invalid(detail: str) -> PageError:
    return PageError(422, detail)


def first_error(exc: ValidationError) -> str:
    """A pydantic error as one line for a page: the first bad field and what is wrong."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "form"
    return f"{where}: {first['msg']}"


def login_limiters() -> tuple[RateLimiter, RateLimiter]:
    """(per IP, per email): bursts of 10, then 10 a minute per IP and 5 a minute per email."""
    return RateLimiter(per_minute=10, burst=10), RateLimiter(per_minute=5, burst=10)


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything else becomes `/`."""
    if not value or len(value) > MAX_NEXT_CHARS:
        return "/"
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(ch) < 32 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def secure_cookies(request: Request) -> bool:
    return bool(request.app.state.settings.public_url.startswith("https://"))


def current_login(request: Request) -> Login:
    """The signed-in user of a page request, or a redirect to the login page."""
    cached = getattr(request.state, "login", None)
    if isinstance(cached, Login):
        return cached
    token = request.cookies.get(websessions.SESSION_COOKIE)
    with request.app.state.reader() as session:
        found = websessions.resolve(session, token)
    if found is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(wanted)
    login, stale = found
    if stale:
        with request.app.state.sessionmaker.begin() as writer:
            websessions.touch(writer, login.session_id)
    request.state.login = login
    return login


CurrentLogin = Annotated[Login, Depends(current_login)]


def require_write(login: Login, path: str) -> None:
    if not websessions.may_write(login.role, path):
        raise forbidden(f"your role ({login.role.value}) cannot change this")


def require_admin(login: Login) -> None:
    if login.role is not Role.admin:
        raise forbidden("only an admin can change settings")


def check_csrf(login: Login, given: str | None) -> None:
    if not websessions.csrf_matches(login.csrf_token, given):
        raise forbidden("the form's security token is missing or stale: reload the page")


def verify(password_hash: str | None, password: str) -> bool:
    matched = verify_password(password_hash or _dummy_hash(), password)
    return matched and password_hash is not None


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_path, safe='/')}", status_code=303)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        websessions.SESSION_COOKIE,
        token,
        max_age=int(websessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )
