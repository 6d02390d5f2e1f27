"""Field types used by the schemas of several domains: E.164 numbers, time zones, currencies."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from callscope.phones import to_e164


def refuse_null(value: object) -> object:
    """For PATCH bodies: a field may be left out, but not set to null.

    Use as `field_validator("a", "b")(refuse_null)`; validators run only on given fields.
    """
    if value is None:
        raise ValueError("may not be null")
    return value


class InputModel(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _e164(value: str) -> str:
    return to_e164(value)


E164 = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_e164),
    Field(examples=["+15125550100"], description="phone number, E.164 (+ and digits)"),
]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"unknown IANA time zone {value!r}")
    return value


Timezone = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_timezone),
    Field(examples=["America/Chicago"]),
]

Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(examples=["USD"], description="ISO 4217 code"),
]

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
Slug = Annotated[str, StringConstraints(pattern=_SLUG.pattern)]

# A reference to another object by id, in a request body.
RefId = Annotated[int, Field(strict=True, ge=1, le=2**63 - 1)]
# The same in a query string, where every value arrives as text.
QueryId = Annotated[int, Field(ge=1, le=2**63 - 1)]
