"""Account, user and token schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, field_validator

from callscope.accounts.models import Role
from callscope.api.types import Currency, InputModel, Name, OutputModel, Timezone, refuse_null

SalesCycleDays = Annotated[int, Field(strict=True, ge=1, le=730)]
QualifiedSeconds = Annotated[int, Field(strict=True, ge=0, le=3600)]


class AccountCreate(InputModel):
    name: Name
    email: EmailStr
    password: Annotated[str, Field(min_length=10, max_length=200)] | None = None
    timezone: Timezone = "UTC"
    currency: Currency = "USD"
    sales_cycle_days: SalesCycleDays = 30
    qualified_call_seconds: QualifiedSeconds = 60


class AccountUpdate(InputModel):
    name: Name | None = None
    timezone: Timezone | None = None
    currency: Currency | None = None
    sales_cycle_days: SalesCycleDays | None = Field(
        default=None, description="a repeat call within this many days is not a new lead"
    )
    qualified_call_seconds: QualifiedSeconds | None = Field(
        default=None, description="talk time from which a call counts as qualified"
    )

    _not_null = field_validator("*")(refuse_null)


class AccountPublic(OutputModel):
    id: int
    name: str
    timezone: str
    currency: str
    sales_cycle_days: int
    qualified_call_seconds: int
    created_at: datetime


class UserPublic(OutputModel):
    id: int
    email: str
    role: Role
    created_at: datetime


class TokenPublic(OutputModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
