"""Account, user and token schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, field_validator

from callscope.accounts.models import Account, Role
from callscope.api.types import Currency, InputModel, Name, OutputModel, Timezone, refuse_null

SalesCycleDays = Annotated[int, Field(strict=True, ge=1, le=730)]
QualifiedSeconds = Annotated[int, Field(strict=True, ge=0, le=3600)]
Languages = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]], Field(min_length=1, max_length=10)
]


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
    qualified_requires_first_time: bool | None = Field(
        default=None, description="only first-time callers (within the sales cycle) qualify"
    )
    record_calls: bool | None = Field(default=None, description="record forwarded Twilio calls")
    recording_disclosure: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description='spoken before a recorded call, e.g. "This call is recorded."'
    )
    languages: Languages | None = Field(
        default=None,
        description='languages callers speak (ISO 639-1); ["en"] gets the English-only speech '
        "model, several are told apart per call",
    )
    redact_audio: bool | None = Field(
        default=None, description="silence card numbers and codes in stored recordings"
    )
    redact_phones: bool | None = Field(
        default=None, description="also redact phone numbers in transcripts"
    )
    twilio_account_sid: Annotated[str, Field(pattern=r"^AC[0-9a-fA-F]{32}$")] | None = None
    twilio_auth_token: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{32}$")] | None = Field(
        default=None, description="write-only: checks X-Twilio-Signature, fetches recordings"
    )

    _not_null = field_validator(
        "name",
        "timezone",
        "currency",
        "sales_cycle_days",
        "qualified_call_seconds",
        "qualified_requires_first_time",
        "record_calls",
        "languages",
        "redact_audio",
        "redact_phones",
    )(refuse_null)


class AccountPublic(OutputModel):
    id: int
    name: str
    timezone: str
    currency: str
    sales_cycle_days: int
    qualified_call_seconds: int
    qualified_requires_first_time: bool
    record_calls: bool
    recording_disclosure: str | None
    languages: list[str]
    redact_audio: bool
    redact_phones: bool
    twilio_account_sid: str | None
    twilio_configured: bool = Field(description="a Twilio auth token is set (it is never shown)")
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountPublic:
        data = {
            name: getattr(account, name) for name in cls.model_fields if name != "twilio_configured"
        }
        return cls(**data, twilio_configured=account.twilio_auth_token is not None)


class WebhookSecret(OutputModel):
    webhook_secret: str = Field(description="signs POST /hooks/calls; shown when rotated")


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
