"""Account, User and ApiToken tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, CreatedMixin, IdMixin, JSONValue, TenantMixin


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    viewer = "viewer"


class Account(IdMixin, CreatedMixin, Base):
    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    sales_cycle_days: Mapped[int] = mapped_column(default=30)
    qualified_call_seconds: Mapped[int] = mapped_column(default=60)
    qualified_requires_first_time: Mapped[bool] = mapped_column(default=True)
    # Calls: the generic webhook's signing secret, Twilio credentials (the auth token checks
    # X-Twilio-Signature and fetches recordings), and whether calls are recorded.
    webhook_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    twilio_account_sid: Mapped[str | None] = mapped_column(String(34), default=None)
    twilio_auth_token: Mapped[str | None] = mapped_column(String(64), default=None)
    record_calls: Mapped[bool] = mapped_column(default=True)
    recording_disclosure: Mapped[str | None] = mapped_column(String(500), default=None)
    # languages callers speak, ISO 639-1; ["en"] gets the English-only speech model
    languages: Mapped[list[str]] = mapped_column(JSONValue, default=lambda: ["en"])
    redact_audio: Mapped[bool] = mapped_column(default=False)  # silence card numbers in audio
    redact_phones: Mapped[bool] = mapped_column(default=False)


class User(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, validate_strings=True), default=Role.viewer
    )


class ApiToken(IdMixin, CreatedMixin, TenantMixin, Base):
    """A bearer token. Only its SHA-256 is stored; the visible prefix lets people tell them apart."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class WebSession(IdMixin, CreatedMixin, TenantMixin, Base):
    """A dashboard login. The cookie holds a random token; only its SHA-256 is stored.

    `csrf_token` is the synchronizer token every form and cookie-authenticated API write
    must echo. A session ends at `expires_at` (absolute) or after `IDLE` without a request.
    """

    __tablename__ = "web_sessions"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
