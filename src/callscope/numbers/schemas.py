"""Schemas for sources, pools and tracking numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints, field_validator, model_validator

from callscope.api.pagination import ListQuery
from callscope.api.types import (
    E164,
    InputModel,
    Name,
    OutputModel,
    QueryId,
    RefId,
    refuse_null,
)
from callscope.numbers.models import Channel, ClickIdKind, ExhaustionPolicy
from callscope.sites.schemas import Domain

Token = Annotated[str, StringConstraints(min_length=1, max_length=200, to_lower=True)]
Medium = Annotated[str, StringConstraints(min_length=1, max_length=100, to_lower=True)]  # column
Label = Annotated[str, StringConstraints(max_length=200)]


class SourceRule(InputModel):
    """Online traffic matches the rule when every field the rule sets matches the visit."""

    utm_source: Token | None = None
    utm_medium: Token | None = None
    referrer_domain: Domain | None = None
    click_id: ClickIdKind | None = None

    @model_validator(mode="after")
    def _some_field(self) -> SourceRule:
        if not self.model_dump(exclude_none=True):
            raise ValueError(
                "a rule needs at least one of utm_source, utm_medium, referrer_domain, click_id"
            )
        return self


Rules = Annotated[list[SourceRule], Field(max_length=50)]


class SourceCreate(InputModel):
    name: Name
    channel: Channel
    medium: Medium | None = None
    is_offline: StrictBool = Field(
        default=False, description="an offline source (flyer, TV) is tracked by static numbers only"
    )
    rules: Rules = Field(default_factory=list)

    @model_validator(mode="after")
    def _offline_has_no_rules(self) -> SourceCreate:
        if self.is_offline and self.rules:
            raise ValueError("an offline source cannot have online matching rules")
        return self


class SourceUpdate(InputModel):
    name: Name | None = None
    channel: Channel | None = None
    medium: Medium | None = None
    is_offline: StrictBool | None = None
    rules: Rules | None = None

    _not_null = field_validator("name", "channel", "is_offline", "rules")(refuse_null)


class SourcePublic(OutputModel):
    id: int
    name: str
    channel: Channel
    medium: str | None
    is_offline: bool
    rules: list[dict[str, Any]]
    created_at: datetime


HoldSeconds = Annotated[int, Field(strict=True, ge=1, le=86_400)]


class PoolCreate(InputModel):
    site_id: RefId
    name: Name
    hold_seconds: HoldSeconds = Field(
        default=1800, description="how long a number stays with a visitor after their last ping"
    )
    exhaustion_policy: ExhaustionPolicy = ExhaustionPolicy.reuse_oldest
    overflow_number: E164 | None = None


class PoolUpdate(InputModel):
    name: Name | None = None
    hold_seconds: HoldSeconds | None = None
    exhaustion_policy: ExhaustionPolicy | None = None
    overflow_number: E164 | None = None

    _not_null = field_validator("name", "hold_seconds", "exhaustion_policy")(refuse_null)


class PoolPublic(OutputModel):
    id: int
    site_id: int
    name: str
    hold_seconds: int
    exhaustion_policy: ExhaustionPolicy
    overflow_number: str | None
    created_at: datetime


class NumberCreate(InputModel):
    number: E164
    forward_to: E164 | None = Field(default=None, description="the line calls are forwarded to")
    label: Label | None = None
    location: Label | None = None
    source_id: RefId | None = Field(default=None, description="static number: the source it tracks")
    pool_id: RefId | None = Field(default=None, description="DNI number: the pool it belongs to")


class NumberUpdate(InputModel):
    forward_to: E164 | None = None
    label: Label | None = None
    location: Label | None = None
    source_id: RefId | None = None
    pool_id: RefId | None = None
    active: StrictBool | None = None

    _not_null = field_validator("active")(refuse_null)


class NumberPublic(OutputModel):
    id: int
    number: str
    forward_to: str | None
    label: str | None
    location: str | None
    source_id: int | None
    pool_id: int | None
    active: bool
    created_at: datetime


class NumberFilters(ListQuery):
    pool_id: QueryId | None = None
    source_id: QueryId | None = None
    active: bool = Field(default=True, description="released numbers have active=false")


class PoolFilters(ListQuery):
    site_id: QueryId | None = None
