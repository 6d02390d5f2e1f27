"""Settings forms that create (and delete) sites, sources, pools, numbers and categories.

Each form is turned into the same `...Create` schema the API validates and handed to the
same service, so the dashboard and the API accept and refuse exactly the same things. An
empty field means "not given"; list fields (a site's domains) are separated by commas or
spaces; ids and counts are digits; check boxes send "true".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from callscope.categories.service import CategoryService
from callscope.dashboard.auth import first_error, invalid
from callscope.numbers.schemas import NumberCreate, PoolCreate, SourceCreate
from callscope.numbers.service import NumberService, PoolService, SourceService
from callscope.sites.schemas import SiteCreate
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
