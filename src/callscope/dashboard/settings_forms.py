"""Settings forms that create, edit and delete sites, sources, pools, numbers and categories.

Each form is turned into the same `...Create` or `...Update` schema the API validates and
handed to the same service, so the dashboard and the API accept and refuse exactly the same
things. In an add form an empty field means "not given". An edit form is a PATCH: a field
left out of the post stays as it is, a field sent empty is cleared (or refused, where the
API needs a value). List fields (a site's domains) are separated by commas or spaces, a
category's examples and a source's rules go one a line; ids and counts are digits; check
boxes send "true" (edit forms send "false" too, from a hidden field, when unticked).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from callscope.api.crud import CrudService
from callscope.categories.schemas import CategoryUpdate
from callscope.categories.service import CategoryService
from callscope.dashboard.auth import first_error, invalid
from callscope.numbers.schemas import (
    NumberCreate,
    NumberUpdate,
    PoolCreate,
    PoolUpdate,
    SourceCreate,
    SourceUpdate,
)
from callscope.numbers.service import NumberService, PoolService, SourceService
from callscope.sites.schemas import SiteCreate, SiteUpdate
from callscope.sites.service import SiteService

LIST_SPLIT = re.compile(r"[\s,]+")
MAX_FIELD_CHARS = 2000


def _int(value: str | None) -> int | str | None:
    """A form's digits as the integer the schema wants; anything else goes on to be refused."""
    if not value:
        return None
    return int(value) if value.isdigit() and len(value) < 19 else value


def _site(form: dict[str, str]) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "domains": [d for d in LIST_SPLIT.split(form.get("domains", "")) if d],
        "business_number": form.get("business_number") or None,
    }


def _source(form: dict[str, str]) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "channel": form.get("channel", ""),
        "medium": form.get("medium") or None,
        "is_offline": form.get("is_offline") == "true",
    }


def _pool(form: dict[str, str]) -> dict[str, Any]:
    return {
        "site_id": _int(form.get("site_id")),
        "name": form.get("name", ""),
        "hold_seconds": _int(form.get("hold_seconds")) or 1800,
    }


def _number(form: dict[str, str]) -> dict[str, Any]:
    return {
        "number": form.get("number", ""),
        "forward_to": form.get("forward_to") or None,
        "location": form.get("location") or None,
        "source_id": _int(form.get("source_id")),
        "pool_id": _int(form.get("pool_id")),
    }


Creator = tuple[Callable[[dict[str, str]], dict[str, Any]], type[BaseModel], Callable[..., Any]]
FORMS: dict[str, Creator] = {
    "sites": (_site, SiteCreate, lambda s, a, d: SiteService(s, a).create(d)),
    "sources": (_source, SourceCreate, lambda s, a, d: SourceService(s, a).create(d)),
    "pools": (_pool, PoolCreate, lambda s, a, d: PoolService(s, a).create(d)),
    "numbers": (_number, NumberCreate, lambda s, a, d: NumberService(s, a).create(d)),
}


def validated(kind: str, form: dict[str, str]) -> BaseModel:
    """The form as its API schema, or a 422 page naming the first bad field."""
    shape, schema, _ = FORMS[kind]
    if any(len(v) > MAX_FIELD_CHARS for v in form.values()):
        raise invalid(f"a field is longer than {MAX_FIELD_CHARS} characters")
    try:
        return schema.model_validate(shape(form))
    except ValidationError as exc:
        raise invalid(first_error(exc)) from None


def create(session: Session, account_id: int, kind: str, data: BaseModel) -> None:
    FORMS[kind][2](session, account_id, data)


# Deleting goes through the services too: a source with numbers, a site with pools, a pool
# with active numbers or a built-in category is refused (409) and nothing changes; a number
# is released (kept inactive, so its past calls keep their number), as in the API.
DELETERS: dict[str, Callable[[Session, int, int], None]] = {
    "sites": lambda s, a, i: SiteService(s, a).delete(i),
    "sources": lambda s, a, i: SourceService(s, a).delete(i),
    "pools": lambda s, a, i: PoolService(s, a).delete(i),
    "numbers": lambda s, a, i: NumberService(s, a).delete(i),
    "categories": lambda s, a, i: CategoryService(s, a).delete(i),
}


# -- editing -------------------------------------------------------------------------------
# Each edit form field becomes its `...Update` field through one of these; what they cannot
# read (letters in an id, "maybe" for a check box) goes on as it came, for the schema to refuse.


def _text(value: str) -> str:
    return value


def _optional(value: str) -> str | None:
    return value if value.strip() else None


def _count(value: str) -> int | str:
    return int(value) if value.isdigit() and len(value) < 19 else value


def _ref(value: str) -> int | str | None:
    return _count(value) if value.strip() else None


def _flag(value: str) -> bool | str:
    return {"true": True, "false": False}.get(value, value)


def _words(value: str) -> list[str]:
    return [d for d in LIST_SPLIT.split(value) if d]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _rules(value: str) -> list[dict[str, str]]:
    """One rule a line, as `field=value` pairs: `utm_source=google utm_medium=cpc`."""
    rules = []
    for number, line in enumerate(value.splitlines(), start=1):
        pairs = _words(line)
        if not pairs:
            continue
        rule: dict[str, str] = {}
        for pair in pairs:
            field, sep, given = pair.partition("=")
            if not sep or not field:
                raise invalid(
                    f"rules: line {number}: {pair[:60]!r} is not field=value "
                    "(utm_source=google utm_medium=cpc, referrer_domain=..., click_id=gclid)"
                )
            rule[field] = given
        rules.append(rule)
    return rules


class Editor(NamedTuple):
    fields: dict[str, Callable[[str], Any]]
    schema: type[BaseModel]
    service: type[CrudService]


EDITORS: dict[str, Editor] = {
    "sites": Editor(
        {"name": _text, "domains": _words, "business_number": _optional},
        SiteUpdate,
        SiteService,
    ),
    "sources": Editor(
        {
            "name": _text,
            "channel": _text,
            "medium": _optional,
            "is_offline": _flag,
            "rules": _rules,
        },
        SourceUpdate,
        SourceService,
    ),
    "pools": Editor(
        {
            "name": _text,
            "hold_seconds": _count,
            "exhaustion_policy": _text,
            "overflow_number": _optional,
        },
        PoolUpdate,
        PoolService,
    ),
    "numbers": Editor(
        {
            "forward_to": _optional,
            "label": _optional,
            "location": _optional,
            "source_id": _ref,
            "pool_id": _ref,
            "active": _flag,
        },
        NumberUpdate,
        NumberService,
    ),
    "categories": Editor(
        {"name": _text, "description": _text, "examples": _lines, "is_lead": _flag},
        CategoryUpdate,
        CategoryService,
    ),
}


def edited(kind: str, form: dict[str, str]) -> BaseModel:
    """The fields an edit form sent, as the API's `...Update`; a 422 names the first bad one."""
    editor = EDITORS[kind]
    given = {name: read(form[name]) for name, read in editor.fields.items() if name in form}
    try:
        return editor.schema.model_validate(given)
    except ValidationError as exc:
        raise invalid(first_error(exc)) from None


def current(session: Session, account_id: int, kind: str, object_id: int) -> Any:
    """The object an edit form is for; another account's or a missing id is a 404."""
    return EDITORS[kind].service(session, account_id).get(object_id)


def update(session: Session, account_id: int, kind: str, object_id: int, data: BaseModel) -> None:
    EDITORS[kind].service(session, account_id).update(object_id, data)
