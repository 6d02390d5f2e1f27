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
from sqlalchemy import Table, bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from callscope.api.problems import NotFound
from callscope.numbers.models import ExhaustionPolicy
from callscope.phones import national_format
from callscope.tracking.later import Answer, flush, later, touched
from callscope.tracking.leases import LeaseStore, Want, end_leases
from callscope.tracking.models import PageView, VisitorSession
from callscope.tracking.schemas import Ping, PingAnswer, SessionAnswer, SessionStart, Swap
from callscope.tracking.siteconfig import PoolConfig, SiteConfig
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
_READ = select(
    _SC.id,
    _SC.site_id,
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
)
_FIND = _READ.where(_SC.public_id == bindparam("public_id"), _SC.site_id == bindparam("site_id"))
_FIND_MANY = _READ.where(_SC.public_id.in_(bindparam("public_ids", expanding=True)))
_AHEAD = "callscope.tracking.ahead"  # db.info: (site id, public id) -> row or None
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


@dataclass
class _Lend:
    """A new session's number, waiting to be picked with the transaction's others."""

    store: LeaseStore
    pool: PoolConfig
    reuse: bool
    want: Want
    values: dict[str, Any]  # the session row, waiting for its insert


def _send_lends(db: Session, lends: list[_Lend]) -> None:
    """Pick the waiting sessions' numbers: one store call per pool, in the order they came."""
    groups: dict[tuple[int, int, bool], list[_Lend]] = {}
    for lend in lends:
        groups.setdefault((id(lend.store), id(lend.pool), lend.reuse), []).append(lend)
    for group in groups.values():
        store, pool, reuse = group[0].store, group[0].pool, group[0].reuse
        wants = [lend.want for lend in group]
        picks = store.pick_many(db, pool.id, list(pool.numbers), wants, reuse)
        for lend, pick in zip(group, picks, strict=True):
            if pick is None or pick.number_id not in pool.numbers:
                continue  # exhausted (overflow or keep-original policy) or an empty pool
            if pick.called:
                end_leases(db, pick.number_id, lend.want.now)
            lend.values.update(
                number_id=pick.number_id,
                leased_at=lend.want.now,
                lease_expires_at=lend.want.until,
                shared=pick.shared,
            )


def read_ahead(db: Session, wanted: list[tuple[int, str]]) -> None:
    """Look up the sessions (site id, public id) a batch's visits will look up, in one
    SELECT before they run (writer.py). A visit that touches a session drops it from
    what was read, so a later look-up in the batch reads it again, with that touch."""
    found: dict[tuple[int, str], Any] = db.info.setdefault(_AHEAD, {})
    params = {"public_ids": sorted({public_id for _, public_id in wanted})}
    for row in db.connection().execute(_FIND_MANY, params):
        found[(row.site_id, row.public_id)] = row
    for key in wanted:
        found.setdefault(key, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_ahead(db: Session, transaction: Any) -> None:
    if transaction.parent is None:
        db.info.pop(_AHEAD, None)


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

    @classmethod
    def of(cls, values: dict[str, Any]) -> Shown:
        """What a new session's row shows, once its number (if any) has been picked."""
        return cls(
            values["visitor_id"],
            values["public_id"],
            values["source_id"],
            values["pool_id"],
            values["number_id"],
        )


@dataclass
class Tracker:
    """The session rules for one site, over one database session and one lease store."""

    db: Session
    store: LeaseStore
    config: SiteConfig

    def start(self, body: SessionStart, now: datetime) -> SessionAnswer:
        """Start or continue a session; a number to lend is picked now."""
        answer = self.begin(body, now)
        flush(self.db, _send_lends)
        return answer.result()

    def begin(self, body: SessionStart, now: datetime) -> Answer[SessionAnswer]:
        """As `start`, but a number to lend waits to be picked with the transaction's
        others (later.py): read the answer once the transaction has committed."""
        visitor_id = body.visitor_id or _new_id()
        if is_bot(body.user_agent):
            bot = SessionAnswer(visitor_id=visitor_id, session_id=None, swaps=[], ping_seconds=0)
            return Answer(lambda: bot)
        visit = parse_visit(body.url, body.referrer)
        row = self._continuing(body, visit, now)
        if row is not None:
            self._touch(row, body.url, now)
            shown = Shown(row.visitor_id, row.public_id, row.source_id, row.pool_id, row.number_id)
            return Answer(lambda: self._answer(shown))
        values = self._open(body, visit, visitor_id, now)
        return Answer(lambda: self._answer(Shown.of(values)))

    def _answer(self, shown: Shown) -> SessionAnswer:
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
        ahead = self.db.info.get(_AHEAD)
        key = (self.config.site_id, public_id)
        if ahead is not None and key in ahead:
            return ahead[key]
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
        ahead = self.db.info.get(_AHEAD)
        if ahead is not None:
            ahead.pop((self.config.site_id, key), None)  # read it again, with this touch
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

    def _open(
        self, body: SessionStart, visit: Visit, visitor_id: str, now: datetime
    ) -> dict[str, Any]:
        """A new session's row, waiting for its insert (and maybe for its number to be
        picked). Its landing page is `landing_url`; page_views rows hold the rest."""
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
        return values

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
        reuse = pool.policy is ExhaustionPolicy.reuse_oldest
        lend = _Lend(self.store, pool, reuse, Want(now, until, gone), values)
        later(self.db, _send_lends, lend, values["public_id"], first=True)

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
