"""What the reports keep precomputed: daily rollups, key-phrase counts and attribution credits.

They are caches of the calls, never a source of truth: `rollups.refresh` rebuilds what changed
(see its docstring), and every table can be dropped and rebuilt from the calls at any time.

- `ReportDay`: the account's inbound calls counted per local day and per combination of the
  columns the overview, the sources report (by source) and the topics report group or filter
  by; a 90-day overview sums a few thousand of these rows instead of reading 100,000 calls.
- `ReportPhrase`: calls mentioning each key phrase, per local day, category and source.
- `ReportPlace`: the when-and-where report's counts per local day, category and whether
  answered, by where the call was taken (location and agent) and, in rows of their own, by
  where the caller is (country and region). No source: with the source as well, a day has
  about as many rows as calls (20 agents x 20 regions x categories x sources).
- `CallCredit`: a qualified call's attribution credits, one row per touch of its journey,
  with the credit each of the six models gives that touch (each model's credits of a call
  sum to 1).
- `ReportState`: per account, up to when the above are current, the changes just before
  then that are already counted, and the time zone and sales cycle they were computed with
  (changing either rebuilds them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, IdMixin, JSONValue, utcnow


def _account() -> Mapped[int]:
    # Not TenantMixin: its one-column index would duplicate each table's composite one.
    return mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"))


class ReportState(Base):
    __tablename__ = "report_state"

    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    sales_cycle_days: Mapped[int | None] = mapped_column(default=None)
    # Changes made (calls.updated_at, call_insights.updated_at) before these instants, less
    # `rollups.MARGIN`, are in the tables; None: never built.
    days_through: Mapped[datetime | None] = mapped_column(default=None)
    credits_through: Mapped[datetime | None] = mapped_column(default=None)
    # The changes stamped within `rollups.MARGIN` before then that are already in the tables
    # ("c:<call id>:<updated_at>", "i:<insight id>:<updated_at>"); None: not known (too many).
    seen: Mapped[list[str] | None] = mapped_column(JSONValue, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportDay(IdMixin, Base):
    __tablename__ = "report_days"
    __table_args__ = (Index("ix_report_days_account_id_day", "account_id", "day"),)

    account_id: Mapped[int] = _account()
    day: Mapped[int] = mapped_column()  # local date as days since 1970-01-01
    source_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # not a key: a
    # deleted source's calls keep counting, as "(none)", like the live queries do
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    sentiment: Mapped[str | None] = mapped_column(String(16), default=None)
    outcome: Mapped[str] = mapped_column(String(8))  # answered, missed (facts.MISSED), other
    qualified: Mapped[bool] = mapped_column()
    first_time_caller: Mapped[bool | None] = mapped_column(default=None)
    calls: Mapped[int] = mapped_column()
    answered_talk: Mapped[int] = mapped_column(BigInteger)  # talk seconds of answered calls


class ReportPhrase(IdMixin, Base):
    __tablename__ = "report_phrases"
    __table_args__ = (Index("ix_report_phrases_account_id_day", "account_id", "day"),)

    account_id: Mapped[int] = _account()
    day: Mapped[int] = mapped_column()
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    source_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    phrase: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column()


class ReportPlace(IdMixin, Base):
    __tablename__ = "report_places"
    __table_args__ = (Index("ix_report_places_account_id_day", "account_id", "day"),)

    account_id: Mapped[int] = _account()
    day: Mapped[int] = mapped_column()
    by: Mapped[str] = mapped_column(String(8))  # "agent": location and agent; "region"
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    answered: Mapped[bool] = mapped_column()
    location: Mapped[str | None] = mapped_column(String(200), default=None)
    agent: Mapped[str | None] = mapped_column(String(100), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    region: Mapped[str | None] = mapped_column(String(100), default=None)
    calls: Mapped[int] = mapped_column()
    answered_talk: Mapped[int] = mapped_column(BigInteger)


class CallCredit(Base):
    __tablename__ = "call_credits"
    __table_args__ = (Index("ix_call_credits_account_id_started_at", "account_id", "started_at"),)

    call_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)  # the touch's place in the journey
    account_id: Mapped[int] = _account()
    started_at: Mapped[datetime]  # the call's
    source_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    first_touch: Mapped[float] = mapped_column(Float)
    last_touch: Mapped[float] = mapped_column(Float)
    last_non_direct: Mapped[float] = mapped_column(Float)
    linear: Mapped[float] = mapped_column(Float)
    time_decay: Mapped[float] = mapped_column(Float)
    position_based: Mapped[float] = mapped_column(Float)
