"""Cursor pagination with a stable order (ascending id).

The cursor is opaque to clients: base64url of the last id seen. A page asks for one row
more than it returns, so `next_cursor` is null exactly on the last page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from callscope.api.problems import InvalidField

T = TypeVar("T")
B = TypeVar("B", bound=BaseModel)

MAX_PAGE_SIZE = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class ListQuery(BaseModel):
    """Query parameters of every list; a resource's filters extend it. Unknown ones are refused."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE, description="page size")
    cursor: str | None = Field(
        default=None, max_length=200, description="`next_cursor` of the previous page"
    )

    def after_id(self) -> int | None:
        return decode_cursor(self.cursor) if self.cursor else None


def encode_cursor(last_id: int) -> str:
    raw = json.dumps({"id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        value = data["id"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        raise InvalidField(("query", "cursor"), "not a cursor this API returned") from None


def to_page(rows: Sequence[Any], last_id: int | None, schema: type[B]) -> Page[B]:
    return Page[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(r) for r in rows],
        next_cursor=encode_cursor(last_id) if last_id is not None else None,
    )
