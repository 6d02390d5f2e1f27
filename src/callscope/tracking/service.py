"""Visitor sessions: start or continue one, lend it a number, keep it alive with pings.

A session is live while its visitor was active in the last 30 minutes and, when it holds a
pool number, while that lease is held. Holding means: while the page pings (plus one ping
interval of grace) and for the pool's `hold_seconds` after the last ping, or until the
number is lent again once the visitor has called and stopped pinging (leases.py). A session
that is not live is over; the snippet starts a new one (a new session id, maybe another
number).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import phonenumbers
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from callscope.api.problems import NotFound
from callscope.numbers.models import ExhaustionPolicy
from callscope.phones import national_format
from callscope.tracking.later import later, touched
from callscope.tracking.leases import LeaseStore, end_leases
from callscope.tracking.models import PageView, VisitorSession
from callscope.tracking.schemas import Ping, PingAnswer, SessionAnswer, SessionStart, Swap
from callscope.tracking.siteconfig import SiteConfig
from callscope.tracking.sources import Visit, default_channel, match_source, parse_visit

SESSION_IDLE = timedelta(minutes=30)
MAX_PING_SECONDS = 60
BOTS = re.compile(
    r"bot|crawler|spider|crawling|slurp|facebookexternalhit|bingpreview|lighthouse|pingdom|"
    r"gtmetrix|python-requests|curl/|wget/|httpclient",
    re.I,
)


def is_bot(user_agent: str | None) -> bool:
    return bool(user_agent) and BOTS.search(user_agent or "") is not None


def ping_seconds(config: SiteConfig) -> int:
    if config.pool is None:
        return MAX_PING_SECONDS
    return max(1, min(MAX_PING_SECONDS, config.pool.hold_seconds // 3))


def _new_id() -> str:
    return secrets.token_urlsafe(16)


_S = cast(Table, VisitorSession.__table__)
_SC = _S.c
# Built once (see leases.py): Core statements, no ORM unit of work on the hot path.
_FIND = select(
    _SC.id,
    _SC.public_id,
    _SC.visitor_id,
    _SC.source_id,
    _SC.pool_id,
    _SC.number_id,
    _SC.last_url,
    _SC.last_seen_at,
    _SC.lease_expires_at,
    _SC.utm_source,
    _SC.utm_medium,
    _SC.utm_campaign,
    _SC.utm_term,
    _SC.utm_content,
    _SC.click_id,
).where(_SC.public_id == bindparam("public_id"), _SC.site_id == bindparam("site_id"))
_INSERT = insert(_S)
_SEEN = update(_S).where(_SC.id == bindparam("row_id")).values(last_seen_at=bindparam("now"))
# Only the lease as the visit read it: one ended meanwhile (its number lent again by another
# transaction, leases.end_leases) stays ended, and the visit's next ping starts a new session.
_SEEN_HELD = _SEEN.where(_SC.lease_expires_at == bindparam("was")).values(
    lease_expires_at=bindparam("until")
)
_MOVED = (
    update(_S)
    .where(_SC.id == bindparam("row_id"))
    .values(last_url=bindparam("url"), page_views=_SC.page_views + 1)
)
_PAGE_VIEW = insert(cast(Table, PageView.__table__))


def _many(statement: Any) -> Any:
    """Send one statement for all the rows that waited for the commit (later.py)."""

    def send(db: Session, rows: list[dict[str, Any]]) -> None:
        db.connection().execute(statement, rows)

    return send


_SEND_SESSIONS = _many(_INSERT)
_SEND_SEEN = _many(_SEEN)
_SEND_SEEN_HELD = _many(_SEEN_HELD)
_SEND_MOVED = _many(_MOVED)
_SEND_PAGE_VIEWS = _many(_PAGE_VIEW)


def _campaign_key(row: Any) -> str:
    return Visit(
        utm={
            k: v
            for k, v in (
                ("utm_source", row.utm_source),
                ("utm_medium", row.utm_medium),
                ("utm_campaign", row.utm_campaign),
                ("utm_term", row.utm_term),
                ("utm_content", row.utm_content),
            )
            if v
        },
        click_id=row.click_id,
    ).campaign_key


def is_live(row: Any, now: datetime) -> bool:
    if now >= row.last_seen_at + SESSION_IDLE:
        return False
    pooled = row.pool_id is not None and row.number_id is not None
    return not pooled or (row.lease_expires_at is not None and now < row.lease_expires_at)


@dataclass(frozen=True)
class Shown:
    """What a session shows: enough to answer the snippet."""

    visitor_id: str
    public_id: str
    source_id: int | None
    pool_id: int | None
    number_id: int | None


@dataclass
class Tracker:
    """The session rules for one site, over one database session and one lease store."""

    db: Session
    store: LeaseStore
    config: SiteConfig

    def start(self, body: SessionStart, now: datetime) -> SessionAnswer:
        visitor_id = body.visitor_id or _new_id()
        if is_bot(body.user_agent):
            return SessionAnswer(visitor_id=visitor_id, session_id=None, swaps=[], ping_seconds=0)
        visit = parse_visit(body.url, body.referrer)
        row = self._continuing(body, visit, now)
        shown: Shown
        if row is not None:
            self._touch(row, body.url, now)
            shown = Shown(row.visitor_id, row.public_id, row.source_id, row.pool_id, row.number_id)
        else:
            shown = self._open(body, visit, visitor_id, now)
        return SessionAnswer(
            visitor_id=shown.visitor_id,
            session_id=shown.public_id,
            swaps=self._swaps(shown),
            ping_seconds=ping_seconds(self.config),
        )

    def ping(self, public_id: str, body: Ping, now: datetime) -> PingAnswer:
        row = self._find(public_id)
        if row is None or not is_live(row, now):
            raise NotFound("session")
        self._touch(row, body.url, now)
        return PingAnswer(session_id=row.public_id, ping_seconds=ping_seconds(self.config))

    def _find(self, public_id: str) -> Any | None:
        touched(self.db, public_id)  # its own writes may still wait for the commit
        params = {"public_id": public_id, "site_id": self.config.site_id}
        return self.db.connection().execute(_FIND, params).first()

    def _continuing(self, body: SessionStart, visit: Visit, now: datetime) -> Any | None:
        if body.session_id is None:
            return None
        row = self._find(body.session_id)
        if row is None or not is_live(row, now):
            return None
        if body.visitor_id is not None and body.visitor_id != row.visitor_id:
            return None
        if visit.campaign_key.strip("|") and visit.campaign_key != _campaign_key(row):
            return None  # a new campaign starts a new session, as in GA
        return row

    def _hold_until(self, now: datetime) -> datetime:
        assert self.config.pool is not None
        return now + timedelta(seconds=self.config.pool.hold_seconds + ping_seconds(self.config))

    def _touch(self, row: Any, url: str | None, now: datetime) -> None:
        """Mark the session seen (and its number held); all of it waits for the commit."""
        pool = self.config.pool
        key = row.public_id
        if pool is not None and row.pool_id == pool.id and row.number_id is not None:
            until = self._hold_until(now)
            held = {"row_id": row.id, "now": now, "until": until, "was": row.lease_expires_at}
            later(self.db, _SEND_SEEN_HELD, held, key)
            self.store.extend(self.db, pool.id, row.number_id, until)
        else:
            later(self.db, _SEND_SEEN, {"row_id": row.id, "now": now}, key)
        if url and url != row.last_url:
            later(self.db, _SEND_MOVED, {"row_id": row.id, "url": url}, key)
            later(
                self.db,
                _SEND_PAGE_VIEWS,
                {
                    "account_id": self.config.account_id,
                    "session_id": row.id,
                    "url": url,
                    "viewed_at": now,
                },
            )

    def _open(self, body: SessionStart, visit: Visit, visitor_id: str, now: datetime) -> Shown:
        """A new session. Its landing page is `landing_url`; page_views rows hold the rest."""
        matched = match_source(visit, self.config.sources)
        values: dict[str, Any] = {
            "account_id": self.config.account_id,
            "public_id": _new_id(),
            "site_id": self.config.site_id,
            "visitor_id": visitor_id,
            "source_id": matched.source_id if matched else None,
            "channel": matched.channel if matched else default_channel(visit),
            "utm_source": visit.utm.get("utm_source"),
            "utm_medium": visit.utm.get("utm_medium"),
            "utm_campaign": visit.utm.get("utm_campaign"),
            "utm_term": visit.utm.get("utm_term"),
            "utm_content": visit.utm.get("utm_content"),
            "click_id_kind": visit.click_id_kind,
            "click_id": visit.click_id,
            "referrer": visit.referrer,
            "referrer_domain": visit.referrer_domain,
            "landing_url": body.url,
            "last_url": body.url,
            "ga_client_id": body.ga_client_id,
            "ym_uid": body.ym_uid,
            "user_agent": body.user_agent,
            "started_at": now,
            "last_seen_at": now,
            "page_views": 1,
            "pool_id": None,
            "number_id": None,
            "leased_at": None,
            "lease_expires_at": None,
            "shared": False,
        }
        self._lend(values, now)
        later(self.db, _SEND_SESSIONS, values, values["public_id"])
        return Shown(
            visitor_id,
            values["public_id"],
            values["source_id"],
            values["pool_id"],
            values["number_id"],
        )

    def _lend(self, values: dict[str, Any], now: datetime) -> None:
        if self.config.business_number is None:
            return
        source_id = values["source_id"]
        static = self.config.static_numbers.get(source_id) if source_id else None
        if static is not None:
            values["number_id"] = static[0]
            values["leased_at"] = now
            return
        pool = self.config.pool
        if pool is None:
            return
        values["pool_id"] = pool.id
        until = self._hold_until(now)
        # A hold ending by then was last extended two ping intervals ago or more.
        gone = until - timedelta(seconds=2 * ping_seconds(self.config))
        pick = self.store.pick(
            self.db,
            pool.id,
            list(pool.numbers),
            now,
            until,
            gone,
            reuse=pool.policy is ExhaustionPolicy.reuse_oldest,
        )
        if pick is None or pick.number_id not in pool.numbers:
            return  # exhausted (overflow or keep-original policy) or an empty pool
        if pick.called:
            end_leases(self.db, pick.number_id, now)
        values.update(
            number_id=pick.number_id, leased_at=now, lease_expires_at=until, shared=pick.shared
        )

    def _swaps(self, row: Shown) -> list[Swap]:
        business = self.config.business_number
        if business is None:
            return []
        target: str | None = None
        pool = self.config.pool
        if row.number_id is not None:
            if pool is not None and row.pool_id == pool.id:
                target = pool.numbers.get(row.number_id)
            elif row.source_id in self.config.static_numbers:
                target = self.config.static_numbers[row.source_id][1]
        elif (
            pool is not None
            and row.pool_id == pool.id
            and pool.policy is ExhaustionPolicy.overflow_number
        ):
            target = pool.overflow_number
        if target is None or target == business:
            return []
        return [_swap(business, target)]


@lru_cache(maxsize=1024)
def _swap(business: str, target: str) -> Swap:
    parsed = phonenumbers.parse(business, None)
    region = phonenumbers.region_code_for_number(parsed)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
    prefix = (metadata.national_prefix or "") if metadata else ""
    return Swap(
        from_=business,
        to=target,
        display=national_format(target),
        cc=str(parsed.country_code),
        national_prefix=prefix,
    )
