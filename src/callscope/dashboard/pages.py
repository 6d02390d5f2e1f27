"""The dashboard's pages and form posts.

Reads open a read-only session; each form post opens a writer transaction only after its
input is checked, and answers with a redirect (post/redirect/get), so a reload never
posts twice. Every post checks the session's CSRF token and the user's role.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callscope.accounts import websessions
from callscope.accounts.auth import Principal
from callscope.accounts.models import ApiToken, Role, User
from callscope.accounts.security import hash_password, new_password
from callscope.accounts.service import create_token, revoke_token, rotate_webhook_secret
from callscope.accounts.websessions import Login
from callscope.analysis.models import TranscriptRecord
from callscope.api.deps import IdPath
from callscope.api.problems import InvalidField, NotFound
from callscope.calls.endpoints import get_call, get_journey
from callscope.calls.models import Call, CallNote
from callscope.calls.repository import CallRepository
from callscope.categories.models import Category
from callscope.categories.repository import CategoryRepository
from callscope.categories.schemas import CategoryCreate
from callscope.categories.service import CategoryService
from callscope.dashboard import auth, calllog, settings_edit, settings_forms
from callscope.dashboard.auth import CurrentLogin
from callscope.dashboard.templating import templates
from callscope.db.base import utcnow
from callscope.intel.endpoints import intelligence
from callscope.intel.service import correct
from callscope.numbers.models import Channel, Pool, Source, TrackingNumber
from callscope.reports.filters import ReportFilter, ReportQuery, resolve
from callscope.sites.models import Site
from callscope.tracking.health import pool_health

router = APIRouter(include_in_schema=False)
router.include_router(settings_edit.router)  # the Settings page's edit forms

MAX_NOTE_CHARS = 2000
MAX_TAGS = 20
MAX_TAG_CHARS = 40
TAG = re.compile(r"^[\w][\w .&/-]*$")
FILTER_KEYS = ("from", "to", "source", "campaign", "number", "location", "category")
REPORTS = {
    "sources": "Sources",
    "attribution": "Attribution models",
    "when": "When",
    "where": "Where",
    "topics": "Topics",
}


def page(request: Request, login: Login | None, template: str, **context: Any) -> HTMLResponse:
    """Render a template; the nav links keep the filter bar's choices (they live in the URL)."""
    status = context.pop("status", 200)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in FILTER_KEYS and v]
    nav_query = ("?" + urlencode(kept)) if kept else ""
    return templates.TemplateResponse(
        request,
        template,
        {"login": login, "nav": REPORTS, "nav_query": nav_query, **context},
        status_code=status,
    )


def owned(session: Session, model: Any, account_id: int, order: Any) -> Sequence[Any]:
    """An account's rows of one table, in order (lists for the forms and the settings)."""
    return session.scalars(
        select(model).where(model.account_id == account_id).order_by(order)
    ).all()


# -- login ------------------------------------------------------------------------------


def login_page(request: Request, next_path: str, error: str | None, status: int) -> HTMLResponse:
    """The sign-in form with a fresh double-submit token, in a hidden field and a cookie."""
    token = auth.new_login_csrf()
    response = page(
        request, None, "login.html", csrf=token, next=next_path, error=error, status=status
    )
    response.set_cookie(
        auth.LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=auth.secure_cookies(request),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return login_page(request, auth.safe_next(next), None, 200)


@router.post("/login")
def login_post(
    request: Request,
    email: Annotated[str, Form(max_length=auth.MAX_EMAIL_CHARS)] = "",
    password: Annotated[str, Form(max_length=auth.MAX_PASSWORD_CHARS)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=auth.MAX_NEXT_CHARS)] = "/",
) -> Response:
    target = auth.safe_next(next)

    def again(status: int, error: str) -> HTMLResponse:
        return login_page(request, target, error, status)

    if not websessions.csrf_matches(request.cookies.get(auth.LOGIN_CSRF_COOKIE, ""), csrf_token):
        return again(403, "The form expired. Please sign in again.")
    by_ip, by_email = request.app.state.login_limiters
    address = request.client.host if request.client else "unknown"
    email = email.strip().lower()
    if by_ip.allow(address) or by_email.allow(email):
        return again(429, "Too many sign-in attempts. Wait a minute and try again.")
    with request.app.state.reader() as session:
        user = session.scalar(select(User).where(User.email == email)) if email else None
        password_hash = user.password_hash if user is not None else None
    if not auth.verify(password_hash, password) or user is None:
        return again(401, "The email or password is wrong.")
    with request.app.state.sessionmaker.begin() as writer:
        # whatever session cookie came with the request is ended, never promoted
        websessions.end(writer, request.cookies.get(websessions.SESSION_COOKIE))
        token, _ = websessions.start(writer, user, request.headers.get("user-agent"))
    response = RedirectResponse(target, status_code=303)
    auth.set_session_cookie(response, request, token)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, login: CurrentLogin, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    auth.check_csrf(login, csrf_token)
    with request.app.state.sessionmaker.begin() as writer:
        websessions.end(writer, request.cookies.get(websessions.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(websessions.SESSION_COOKIE, path="/")
    return response


# -- the shared filter bar --------------------------------------------------------------


class BadFilter(Exception):
    pass


def report_filter(request: Request, login: Login) -> ReportFilter:
    """The filter bar's query parameters, checked by the same rules as the report API."""
    params = request.query_params
    raw: dict[str, Any] = {k: params.get(k) for k in FILTER_KEYS if k != "source" and params.get(k)}
    if sources := [s for s in params.getlist("source") if s]:
        raw["source"] = sources
    try:
        query = ReportQuery.model_validate(raw)
        return resolve(query, login.account_id, login.timezone)
    except ValidationError as exc:
        raise BadFilter(auth.first_error(exc)) from None
    except InvalidField as exc:
        raise BadFilter(exc.detail) from None


def filter_context(request: Request, login: Login) -> dict[str, Any]:
    """What the filter bar shows: the chosen values and the account's choices."""
    try:
        chosen = report_filter(request, login).echo()
    except BadFilter:
        chosen = resolve(ReportQuery(), login.account_id, login.timezone).echo()
    with request.app.state.reader() as session:
        sources = owned(session, Source, login.account_id, Source.name)
        categories = owned(session, Category, login.account_id, Category.name)
        numbers = session.scalars(
            select(TrackingNumber.number)
            .where(TrackingNumber.account_id == login.account_id)
            .order_by(TrackingNumber.number)
        ).all()
    query = [(k, v) for k, v in request.query_params.multi_items() if k in FILTER_KEYS and v]
    return {
        "filters": {
            "from": chosen["from"],
            "to": chosen["to"],
            "source": [str(s) for s in chosen["source"]],
            "campaign": chosen["campaign"] or "",
            "number": chosen["number"] or "",
            "location": chosen["location"] or "",
            "category": chosen["category"] or "",
        },
        "filter_query": urlencode(query),
        "sources": sources,
        "categories": categories,
        "numbers": numbers,
    }


# -- pages --------------------------------------------------------------------------------


@router.get("/")
def overview(request: Request, login: CurrentLogin) -> HTMLResponse:
    return report_page(request, login, "overview", "Overview")


@router.get("/reports/{name}")
def report(request: Request, login: CurrentLogin, name: str) -> HTMLResponse:
    if name not in REPORTS:
        raise NotFound("report")
    return report_page(request, login, name, REPORTS[name])


def report_page(request: Request, login: Login, name: str, title: str) -> HTMLResponse:
    try:
        report_filter(request, login)
        error = None
    except BadFilter as exc:
        error = str(exc)
    context = filter_context(request, login)
    return page(
        request,
        login,
        "report.html",
        report=name,
        title=title,
        error=error,
        status=422 if error else 200,
        **context,
    )


@router.get("/calls")
def call_log(
    request: Request,
    login: CurrentLogin,
    q: Annotated[str | None, Query(max_length=calllog.MAX_QUERY_CHARS)] = None,
    after: Annotated[str | None, Query(max_length=60)] = None,
) -> HTMLResponse:
    try:
        chosen = report_filter(request, login)
    except BadFilter as exc:
        context = filter_context(request, login)
        return page(
            request,
            login,
            "calls.html",
            calls=[],
            error=str(exc),
            q=q or "",
            next_after=None,
            status=422,
            **context,
        )
    cursor = _cursor(after)
    with request.app.state.reader() as session:
        rows, more = calllog.search(session, chosen, q, cursor)
        repo = CallRepository(session, login.account_id)
        insights = repo.insights({c.id for c in rows})
        sources = repo.sources({c.source_id for c in rows if c.source_id})
    next_after = f"{more[0].isoformat()}_{more[1]}" if more else None
    return page(
        request,
        login,
        "calls.html",
        calls=rows,
        insights=insights,
        source_names={i: s.name for i, s in sources.items()},
        q=q or "",
        next_after=next_after,
        error=None,
        **filter_context(request, login),
    )


def _cursor(after: str | None) -> tuple[datetime, int] | None:
    if not after:
        return None
    stamp, _, ident = after.rpartition("_")
    try:
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None or not ident.isdigit():
            raise ValueError
        return when, int(ident)
    except ValueError:
        raise NotFound("page") from None


@router.get("/calls/{call_id}")
def call_page(request: Request, login: CurrentLogin, call_id: IdPath) -> HTMLResponse:
    who = Principal(account_id=login.account_id, user_id=login.user_id, role=login.role)
    with request.app.state.reader() as session:
        call = get_call(call_id, session, who)
        journey = get_journey(call_id, session, who)
        transcript = session.scalar(
            select(TranscriptRecord).where(TranscriptRecord.call_id == call_id)
        )
        notes = session.execute(
            select(CallNote, User.email)
            .outerjoin(User, User.id == CallNote.user_id)
            .where(CallNote.call_id == call_id, CallNote.account_id == login.account_id)
            .order_by(CallNote.id)
        ).all()
        categories = owned(session, Category, login.account_id, Category.name)
        tags = session.scalar(select(Call.tags).where(Call.id == call_id)) or []
    return page(
        request,
        login,
        "call.html",
        call=call,
        journey=journey,
        transcript=transcript,
        notes=notes,
        categories=categories,
        tags=tags,
        can_edit=websessions.may_write(login.role, f"/calls/{call_id}"),
    )


@router.post("/calls/{call_id}/category")
def call_category(
    request: Request,
    login: CurrentLogin,
    call_id: IdPath,
    category: Annotated[str, Form(max_length=64)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    auth.check_csrf(login, csrf_token)
    auth.require_write(login, request.url.path)
    brain = intelligence(request)
    brain.prepare(None)  # the model loads before the write transaction begins
    with request.app.state.sessionmaker.begin() as session:
        call = CallRepository(session, login.account_id).require(call_id)
        if CategoryRepository(session, login.account_id).by_key(category) is None:
            raise NotFound("category")
        correct(session, brain, call, category, None, login.user_id)
    return RedirectResponse(f"/calls/{call_id}", status_code=303)


@router.post("/calls/{call_id}/notes")
def call_note(
    request: Request,
    login: CurrentLogin,
    call_id: IdPath,
    text: Annotated[str, Form(min_length=1, max_length=MAX_NOTE_CHARS)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    auth.check_csrf(login, csrf_token)
    auth.require_write(login, request.url.path)
    if not text.strip():
        raise auth.invalid("a note needs some text")
    with request.app.state.sessionmaker.begin() as session:
        call = CallRepository(session, login.account_id).require(call_id)
        session.add(
            CallNote(
                account_id=login.account_id,
                call_id=call.id,
                user_id=login.user_id,
                text=text.strip(),
            )
        )
    return RedirectResponse(f"/calls/{call_id}#notes", status_code=303)


@router.post("/calls/{call_id}/tags")
def call_tags(
    request: Request,
    login: CurrentLogin,
    call_id: IdPath,
    tags: Annotated[str, Form(max_length=MAX_TAGS * (MAX_TAG_CHARS + 2))] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    auth.check_csrf(login, csrf_token)
    auth.require_write(login, request.url.path)
    wanted: list[str] = []
    for raw in tags.split(","):
        tag = raw.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS or not TAG.match(tag):
            raise auth.invalid(
                f"a tag is letters, digits, spaces and .&/- (at most {MAX_TAG_CHARS})"
            )
        if tag not in wanted:
            wanted.append(tag)
    if len(wanted) > MAX_TAGS:
        raise auth.invalid(f"at most {MAX_TAGS} tags")
    with request.app.state.sessionmaker.begin() as session:
        call = CallRepository(session, login.account_id).require(call_id)
        call.tags = wanted
    return RedirectResponse(f"/calls/{call_id}", status_code=303)


@router.get("/numbers")
def numbers_page(request: Request, login: CurrentLogin) -> HTMLResponse:
    now = utcnow()
    with request.app.state.reader() as session:
        numbers = session.execute(
            select(TrackingNumber, Source.name)
            .outerjoin(Source, Source.id == TrackingNumber.source_id)
            .where(TrackingNumber.account_id == login.account_id)
            .order_by(TrackingNumber.number)
        ).all()
        pools = owned(session, Pool, login.account_id, Pool.name)
        health = {p.id: pool_health(session, p, 7, now) for p in pools}
    return page(
        request,
        login,
        "numbers.html",
        numbers=numbers,
        pools=pools,
        health=health,
        is_admin=login.role is Role.admin,
    )


@router.get("/settings")
def settings_page(request: Request, login: CurrentLogin) -> HTMLResponse:
    base = request.app.state.settings.public_url.rstrip("/")
    with request.app.state.reader() as session:
        account_id = login.account_id
        sites = owned(session, Site, account_id, Site.id)
        sources = owned(session, Source, account_id, Source.name)
        categories = owned(session, Category, account_id, Category.name)
        users = owned(session, User, account_id, User.email)
        tokens = owned(session, ApiToken, account_id, ApiToken.id)
        numbers = session.scalar(
            select(func.count()).where(TrackingNumber.account_id == account_id)
        )
        pools = owned(session, Pool, account_id, Pool.name)
        number_rows = owned(session, TrackingNumber, account_id, TrackingNumber.number)
    return page(
        request,
        login,
        "settings.html",
        sites=sites,
        sources=sources,
        categories=categories,
        users=users,
        tokens=tokens,
        base=base,
        numbers=numbers,
        number_rows=number_rows,
        roles=[r.value for r in Role],
        pools=pools,
        channels=[c.value for c in Channel],
        is_admin=login.role is Role.admin,
    )


@router.post("/settings/webhook-secret")
def settings_rotate_secret(
    request: Request, login: CurrentLogin, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> HTMLResponse:
    auth.check_csrf(login, csrf_token)
    auth.require_admin(login)
    with request.app.state.sessionmaker.begin() as session:
        secret = rotate_webhook_secret(session, login.account_id)
    return page(request, login, "secret.html", secret=secret)


@router.post("/settings/users")
def settings_add_user(
    request: Request,
    login: CurrentLogin,
    email: Annotated[str, Form(min_length=3, max_length=auth.MAX_EMAIL_CHARS)],
    role: Annotated[Role, Form()],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    auth.check_csrf(login, csrf_token)
    auth.require_admin(login)
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email):
        raise auth.invalid("that is not an email address")
    password = new_password()
    with request.app.state.sessionmaker.begin() as session:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise auth.invalid("a user with this email exists")
        session.add(
            User(
                account_id=login.account_id,
                email=email,
                role=role,
                password_hash=hash_password(password),
            )
        )
    return page(request, login, "new_user.html", email=email, password=password, role=role.value)


@router.post("/settings/tokens")
def settings_add_token(
    request: Request,
    login: CurrentLogin,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    auth.check_csrf(login, csrf_token)
    auth.require_admin(login)
    with request.app.state.sessionmaker.begin() as session:
        created = create_token(session, login.account_id, name.strip(), user_id=login.user_id)
    return page(request, login, "new_token.html", token_name=name.strip(), token=created.token)


@router.post("/settings/tokens/{token_id}/revoke")
def settings_revoke_token(
    request: Request,
    login: CurrentLogin,
    token_id: IdPath,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    auth.check_csrf(login, csrf_token)
    auth.require_admin(login)
    with request.app.state.sessionmaker.begin() as session:
        revoke_token(session, login.account_id, str(token_id))
    return RedirectResponse("/settings#tokens", status_code=303)


@router.post("/settings/categories")
def settings_add_category(
    request: Request,
    login: CurrentLogin,
    key: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=100)],
    examples: Annotated[str, Form(max_length=200_000)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    is_lead: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A custom category; each non-empty line of `examples` is one example phrase."""
    auth.check_csrf(login, csrf_token)
    auth.require_admin(login)
    lines = [line.strip() for line in examples.splitlines() if line.strip()]
    try:
        data = CategoryCreate(
            key=key.strip(),
            name=name.strip(),
            description=description.strip(),
            examples=lines,
            is_lead=is_lead,
        )
    except ValidationError as exc:
        raise auth.invalid(auth.first_error(exc)) from None
    with request.app.state.sessionmaker.begin() as session:
        try:
            CategoryService(session, login.account_id).create(data)
        except InvalidField as exc:
            raise auth.invalid(exc.detail) from None
    return RedirectResponse("/settings#categories", status_code=303)


@router.post("/settings/{kind}/new")
async def settings_create(request: Request, kind: str, login: CurrentLogin) -> Response:
    """Create a site, source, pool or number from its Settings form (see settings_forms)."""
    if kind not in settings_forms.FORMS:
        raise NotFound("form")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    auth.check_csrf(login, form.pop("csrf_token", None))
    auth.require_admin(login)
    data = settings_forms.validated(kind, form)

    def write() -> None:
        with request.app.state.sessionmaker.begin() as session:
            try:
                settings_forms.create(session, login.account_id, kind, data)
            except InvalidField as exc:
                raise auth.invalid(exc.detail) from None

    await run_in_threadpool(write)
    return RedirectResponse(f"/settings#{kind}", status_code=303)


@router.post("/settings/{kind}/{object_id}/delete")
def settings_delete(
    request: Request,
    login: CurrentLogin,
    kind: str,
    object_id: IdPath,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Delete a site, source, pool or custom category, or release a number."""
    if kind not in settings_forms.DELETERS:
        raise NotFound("form")
    auth.check_csrf(login, csrf_token)
    auth.require_admin(login)
    with request.app.state.sessionmaker.begin() as session:
        settings_forms.DELETERS[kind](session, login.account_id, object_id)
    back = "/numbers" if kind in {"numbers", "pools"} else f"/settings#{kind}"
    return RedirectResponse(back, status_code=303)
