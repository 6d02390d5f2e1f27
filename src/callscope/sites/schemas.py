"""Site schemas."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from callscope.api.types import E164, InputModel, Name, OutputModel, refuse_null

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _domain(value: str) -> str:
    """A hostname with an optional port: what a browser sends in its Origin header."""
    text = value.strip().lower().rstrip(".")
    if "://" in text or "/" in text or "?" in text or "#" in text or "@" in text:
        raise ValueError("a domain name like example.com, without scheme or path")
    host, _, port = text.partition(":")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise ValueError("port must be a number from 1 to 65535")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a valid domain name") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("not a valid domain name")
    return f"{ascii_host}:{port}" if port else ascii_host


Domain = Annotated[str, StringConstraints(max_length=260), AfterValidator(_domain)]
Domains = Annotated[
    list[Domain],
    Field(
        max_length=50,
        description="hostnames the snippet may run on; example.com also covers its subdomains",
        examples=[["example.com"]],
    ),
]


class SiteCreate(InputModel):
    name: Name
    domains: Domains = Field(default_factory=list)
    business_number: E164 | None = Field(
        default=None, description="the number printed on the site, swapped by the snippet"
    )


class SiteUpdate(InputModel):
    name: Name | None = None
    domains: Domains | None = None
    business_number: E164 | None = None

    _not_null = field_validator("name", "domains")(refuse_null)


class SitePublic(OutputModel):
    id: int
    name: str
    domains: list[str]
    site_key: str
    business_number: str | None
    created_at: datetime
