"""Edit forms for the Settings page: sites, sources, pools, numbers and categories.

`GET /settings/{kind}/{id}/edit` shows the object's form filled with its current values;
`POST` to the same path goes through the API's own `...Update` schema and service (see
settings_forms.EDITORS), then redirects to the Settings page. Refused input re-renders the
form with the reason and the status the API would answer (422, or 409), and changes
nothing. Only an admin may open or post these forms; another account's id is a 404.
This module is HTTP and form layout only: the rules live in the domains' services.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from callscope.accounts.websessions import Login
from callscope.api.deps import IdPath
from callscope.api.problems import NotFound, Problem
from callscope.dashboard import auth, settings_forms
from callscope.dashboard.auth import CurrentLogin, PageError
from callscope.dashboard.templating import phone
from callscope.numbers.models import Channel, ExhaustionPolicy, Pool, Source
from callscope.sites.models import Site

router = APIRouter(include_in_schema=False)

NOUNS = {
    "sites": "site",
    "sources": "source",
    "pools": "pool",
    "numbers": "tracking number",
    "categories": "category",
}
RULES_HINT = (
    "One rule a line, as field=value pairs; a visit matches a rule when all its fields match. "
    "Fields: utm_source, utm_medium, referrer_domain, click_id (gclid, fbclid, msclkid, ...). "
    "Example: utm_source=google utm_medium=cpc"
)


@dataclass(frozen=True)
class Field:
    """One input of an edit form, as the template draws it."""

    name: str
    label: str
    widget: str = "text"  # text, tel, number, textarea, select or checkbox
    options: Sequence[tuple[str, str]] = ()
    maxlength: int | None = None
    required: bool = False
    disabled: bool = False
    hint: str = ""


@dataclass
class EditForm:
    """What an edit page shows: the object's name, its fields and their current values."""

    kind: str
    object_id: int
    title: str
    fields: list[Field]
    values: dict[str, str]
    notes: list[str] = field(default_factory=list)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _choices(rows: Sequence[Any]) -> list[tuple[str, str]]:
    return [("", "—"), *((str(r.id), r.name) for r in rows)]


def _owned(session: Session, model: Any, account_id: int) -> Sequence[Any]:
    return session.scalars(
        select(model).where(model.account_id == account_id).order_by(model.name)
    ).all()


def _site(session: Session, account_id: int, site: Any) -> EditForm:
    return EditForm(
        "sites",
        site.id,
        site.name,
        [
            Field("name", "Name", maxlength=200, required=True),
            Field("domains", "Domains", hint="separated by spaces or commas"),
            Field("business_number", "Business number", "tel", maxlength=40),
        ],
        {
            "name": site.name,
            "domains": " ".join(site.domains),
            "business_number": site.business_number or "",
        },
    )


def _source(session: Session, account_id: int, source: Any) -> EditForm:
    channels = [(c.value, c.value) for c in Channel]
    return EditForm(
        "sources",
        source.id,
        source.name,
        [
            Field("name", "Name", maxlength=200, required=True),
            Field("channel", "Channel", "select", channels),
            Field("medium", "Medium", maxlength=100),
            Field("is_offline", "offline (static numbers only; no matching rules)", "checkbox"),
            Field("rules", "Matching rules", "textarea", hint=RULES_HINT),
        ],
        {
            "name": source.name,
            "channel": Channel(source.channel).value,
            "medium": source.medium or "",
            "is_offline": _flag(source.is_offline),
            "rules": "\n".join(
                " ".join(f"{k}={v}" for k, v in rule.items()) for rule in source.rules
            ),
        },
    )


def _pool(session: Session, account_id: int, pool: Any) -> EditForm:
    site = session.scalar(select(Site.name).where(Site.id == pool.site_id))
    policies = [(p.value, p.value.replace("_", " ")) for p in ExhaustionPolicy]
    return EditForm(
        "pools",
        pool.id,
        pool.name,
        [
            Field("name", "Name", maxlength=200, required=True),
            Field("hold_seconds", "Hold seconds", "number", required=True),
            Field("exhaustion_policy", "When every number is held", "select", policies),
            Field(
                "overflow_number",
                "Overflow number",
                "tel",
                maxlength=40,
                hint="shown when the policy is overflow number",
            ),
        ],
        {
            "name": pool.name,
            "hold_seconds": str(pool.hold_seconds),
            "exhaustion_policy": ExhaustionPolicy(pool.exhaustion_policy).value,
            "overflow_number": pool.overflow_number or "",
        },
        [f"Site: {site} (a pool stays with its site)."],
    )


def _number(session: Session, account_id: int, number: Any) -> EditForm:
    sources = _choices(_owned(session, Source, account_id))
    pools = _choices(_owned(session, Pool, account_id))
    return EditForm(
        "numbers",
        number.id,
        phone(number.number),
        [
            Field("forward_to", "Forwards to", "tel", maxlength=40),
            Field("label", "Label", maxlength=200),
            Field("location", "Location", maxlength=200),
            Field("source_id", "Static for source", "select", sources),
            Field("pool_id", "or in pool", "select", pools),
            Field("active", "active (unticked: released)", "checkbox"),
        ],
        {
            "forward_to": number.forward_to or "",
            "label": number.label or "",
            "location": number.location or "",
            "source_id": str(number.source_id or ""),
            "pool_id": str(number.pool_id or ""),
            "active": _flag(number.active),
        },
        ["A number is either static for one source or in one pool; the number itself is fixed."],
    )


def _category(session: Session, account_id: int, category: Any) -> EditForm:
    notes = [f"Key: {category.key} (fixed)."]
    if category.builtin:
        notes.append("A built-in category: whether it counts as a lead is fixed.")
    return EditForm(
        "categories",
        category.id,
        category.name,
        [
            Field("name", "Name", maxlength=100, required=True),
            Field("description", "Description", "textarea"),
            Field(
                "examples",
                "Examples, one a line",
                "textarea",
                hint="phrases callers say; the account's model learns from them",
            ),
            Field("is_lead", "counts as a lead", "checkbox", disabled=category.builtin),
        ],
        {
            "name": category.name,
            "description": category.description,
            "examples": "\n".join(category.examples),
            "is_lead": _flag(category.is_lead),
        },
        notes,
    )


LAYOUTS = {
    "sites": _site,
    "sources": _source,
    "pools": _pool,
    "numbers": _number,
    "categories": _category,
}


def _load(request: Request, login: Login, kind: str, object_id: int) -> EditForm:
    with request.app.state.reader() as session:
        obj = settings_forms.current(session, login.account_id, kind, object_id)
        return LAYOUTS[kind](session, login.account_id, obj)


def _render(
    request: Request,
    login: Login,
    form: EditForm,
    sent: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    # pages includes this router, so its page frame is looked up when a page is drawn
    from callscope.dashboard.pages import page

    values = form.values | {k: v for k, v in (sent or {}).items() if k in form.values}
    return page(
        request,
        login,
        "edit.html",
        form=form,
        noun=NOUNS[form.kind],
        values=values,
        error=error,
        status=status,
    )


def _reason(exc: Problem) -> str:
    """A service's refusal as one line, naming the field when there is exactly one."""
    if exc.errors and len(exc.errors) == 1:
        where = [str(p) for p in exc.errors[0]["loc"] if p != "body"]
        if where:
            return f"{'.'.join(where)}: {exc.detail}"
    return exc.detail


def _editable(kind: str) -> None:
    if kind not in settings_forms.EDITORS:
        raise NotFound("form")


@router.get("/settings/{kind}/{object_id}/edit")
def edit_form(request: Request, login: CurrentLogin, kind: str, object_id: IdPath) -> HTMLResponse:
    _editable(kind)
    auth.require_admin(login)
    return _render(request, login, _load(request, login, kind, object_id))


@router.post("/settings/{kind}/{object_id}/edit")
async def edit_save(
    request: Request, login: CurrentLogin, kind: str, object_id: IdPath
) -> Response:
    _editable(kind)
    sent = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    auth.check_csrf(login, sent.pop("csrf_token", None))
    auth.require_admin(login)
    return await run_in_threadpool(_save, request, login, kind, object_id, sent)


def _save(
    request: Request, login: Login, kind: str, object_id: int, sent: dict[str, str]
) -> Response:
    form = _load(request, login, kind, object_id)  # another account's id stops here: 404
    try:
        data = settings_forms.edited(kind, sent)
        with request.app.state.sessionmaker.begin() as session:
            settings_forms.update(session, login.account_id, kind, object_id, data)
    except PageError as exc:
        return _render(request, login, form, sent, exc.detail, exc.status)
    except NotFound:
        raise
    except Problem as exc:
        return _render(request, login, form, sent, _reason(exc), exc.status)
    return RedirectResponse(f"/settings#{kind}", status_code=303)
