"""Source, Pool and TrackingNumber tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, CreatedMixin, IdMixin, JSONValue, TenantMixin


class Channel(StrEnum):
    """Channel grouping of a source, close to GA4's default channel groups."""

    paid_search = "paid_search"
    organic_search = "organic_search"
    paid_social = "paid_social"
    organic_social = "organic_social"
    display = "display"
    video = "video"
    email = "email"
    sms = "sms"
    affiliate = "affiliate"
    referral = "referral"
    direct = "direct"
    offline = "offline"
    other = "other"


class ClickIdKind(StrEnum):
    """Ad-platform click ids found in landing URLs."""

    gclid = "gclid"
    gbraid = "gbraid"
    wbraid = "wbraid"
    fbclid = "fbclid"
    msclkid = "msclkid"
    yclid = "yclid"
    ttclid = "ttclid"
    li_fat_id = "li_fat_id"


class ExhaustionPolicy(StrEnum):
    """What a pool does when every number is leased to a live session."""

    reuse_oldest = "reuse_oldest"  # lend the least recently used number again (attribution weakens)
    overflow_number = (
        "overflow_number"  # show the pool's overflow number (calls counted, not attributed)
    )
    keep_original = "keep_original"  # leave the page's own number in place


class Source(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=40, validate_strings=True)
    )
    medium: Mapped[str | None] = mapped_column(String(100), default=None)
    is_offline: Mapped[bool] = mapped_column(default=False)
    # Rules that match online traffic to this source: a list of objects with any of
    # utm_source, utm_medium, referrer_domain, click_id; a rule matches when all its keys match.
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue, default=list)


class Pool(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "pools"

    site_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("sites.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    hold_seconds: Mapped[int] = mapped_column(default=1800)
    exhaustion_policy: Mapped[ExhaustionPolicy] = mapped_column(
        Enum(ExhaustionPolicy, native_enum=False, length=32, validate_strings=True),
        default=ExhaustionPolicy.reuse_oldest,
    )
    overflow_number: Mapped[str | None] = mapped_column(String(16), default=None)


class TrackingNumber(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "tracking_numbers"
    __table_args__ = (
        CheckConstraint("(source_id IS NULL) <> (pool_id IS NULL)", name="source_or_pool"),
        # A phone number rings in one place: unique among active numbers, across accounts.
        Index("ix_tracking_numbers_pool_id_held_until", "pool_id", "held_until"),
        Index(
            "uq_tracking_numbers_active_number",
            "number",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    number: Mapped[str] = mapped_column(String(16))
    forward_to: Mapped[str | None] = mapped_column(String(16), default=None)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    location: Mapped[str | None] = mapped_column(String(200), default=None)
    source_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sources.id", ondelete="RESTRICT"), index=True, default=None
    )
    pool_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("pools.id", ondelete="RESTRICT"), index=True, default=None
    )
    active: Mapped[bool] = mapped_column(default=True)
    # Owned by the SQL lease store (tracking): the number is lent to a visitor until then.
    held_until: Mapped[datetime | None] = mapped_column(default=None)
    # The number's last holder has called (the call processor sets it): once free, the
    # number is lent before the others. Lending the number clears it.
    lend_first: Mapped[bool] = mapped_column(default=False, server_default=false())
