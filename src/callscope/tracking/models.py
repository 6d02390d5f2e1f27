"""VisitorSession and PageView tables.

A visitor session carries its origin (source, channel, utm fields, click id, referrer,
landing page, analytics ids) and, when it was shown a tracking number, the lease: which
number, from when, and until when it is held. That lease window is the history attribution
reads: a call to a number at time t belongs to the session(s) whose window contains t.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, BigId, IdMixin, TenantMixin

URL_CHARS = 2000


class VisitorSession(IdMixin, TenantMixin, Base):
    __tablename__ = "visitor_sessions"
    __table_args__ = (
        Index("ix_visitor_sessions_number_id_leased_at", "number_id", "leased_at"),
        Index("ix_visitor_sessions_pool_id_leased_at", "pool_id", "leased_at"),
        # Attribution's journeys: a visitor's sessions in a window, without fetching the rows.
        Index(
            "ix_visitor_sessions_journeys",
            "account_id",
            "visitor_id",
            "started_at",
            "source_id",
            "channel",
            "id",
        ),
    )

    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int] = mapped_column(BigId, ForeignKey("sites.id", ondelete="CASCADE"))
    visitor_id: Mapped[str] = mapped_column(String(64), index=True)
    source_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("sources.id", ondelete="SET NULL"), default=None
    )
    channel: Mapped[str] = mapped_column(String(40))
    utm_source: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_medium: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_campaign: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_term: Mapped[str | None] = mapped_column(String(200), default=None)
    utm_content: Mapped[str | None] = mapped_column(String(200), default=None)
    click_id_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    click_id: Mapped[str | None] = mapped_column(String(200), default=None)
    referrer: Mapped[str | None] = mapped_column(String(URL_CHARS), default=None)
    referrer_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    landing_url: Mapped[str] = mapped_column(String(URL_CHARS))
    last_url: Mapped[str] = mapped_column(String(URL_CHARS))
    ga_client_id: Mapped[str | None] = mapped_column(String(64), default=None)
    ym_uid: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(500), default=None)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    page_views: Mapped[int] = mapped_column(default=1)
    # The number this session was shown, and the window it was held for the session.
    pool_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("pools.id", ondelete="SET NULL"), default=None
    )
    number_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tracking_numbers.id", ondelete="SET NULL"), default=None
    )
    leased_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    shared: Mapped[bool] = mapped_column(default=False)  # the pool was exhausted: reused


class PageView(IdMixin, TenantMixin, Base):
    __tablename__ = "page_views"

    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("visitor_sessions.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(URL_CHARS))
    viewed_at: Mapped[datetime]
