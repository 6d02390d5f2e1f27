"""What the public tracking endpoints need to know about a site, cached briefly in memory.

The snippet's endpoints are the hottest path in the product (every page view of every
client site), so a site's configuration (domains, business number, sources with their rules,
static numbers, its pool and the pool's numbers) is read once and kept for a few seconds per
API process. Changes made through the API reach visitors within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from callscope.numbers.models import ExhaustionPolicy, Pool, Source, TrackingNumber
from callscope.sites.models import Site
from callscope.tracking.sources import SourceRules

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class PoolConfig:
    id: int
    hold_seconds: int
    policy: ExhaustionPolicy
    overflow_number: str | None
    numbers: dict[int, str]  # number id -> E.164


@dataclass(frozen=True)
class SiteConfig:
    site_id: int
    account_id: int
    site_key: str
    domains: tuple[str, ...]
    business_number: str | None
    sources: tuple[SourceRules, ...]
    static_numbers: dict[int, tuple[int, str]]  # source id -> (number id, E.164)
    pool: PoolConfig | None
    loaded_at: float = field(default_factory=time.monotonic)

    def allows_origin(self, origin: str) -> bool:
        """Is a browser Origin ("https://shop.example.com:8443") one of the site's domains?"""
        scheme, sep, rest = origin.partition("://")
        if not sep or scheme not in ("http", "https") or not rest or "/" in rest:
            return False
        host, _, port = rest.lower().partition(":")
        for domain in self.domains:
            want_host, _, want_port = domain.partition(":")
            if want_port and want_port != port:
                continue
            if host == want_host or host.endswith("." + want_host):
                return True
        return False


def load(db: Session, site_key: str) -> SiteConfig | None:
    site = db.scalars(select(Site).where(Site.site_key == site_key)).one_or_none()
    if site is None:
        return None
    account = site.account_id
    sources = db.scalars(
        select(Source).where(Source.account_id == account).order_by(Source.id)
    ).all()
    statics = db.execute(
        select(TrackingNumber.source_id, TrackingNumber.id, TrackingNumber.number)
        .where(
            TrackingNumber.account_id == account,
            TrackingNumber.active,
            TrackingNumber.source_id.is_not(None),
        )
        .order_by(TrackingNumber.id)
    ).all()
    static_numbers: dict[int, tuple[int, str]] = {}
    for source_id, number_id, number in statics:
        if source_id is not None:
            static_numbers.setdefault(source_id, (number_id, number))
    pool = db.scalars(
        select(Pool).where(Pool.site_id == site.id).order_by(Pool.id).limit(1)
    ).one_or_none()
    pool_config = None
    if pool is not None:
        numbers = db.execute(
            select(TrackingNumber.id, TrackingNumber.number)
            .where(TrackingNumber.pool_id == pool.id, TrackingNumber.active)
            .order_by(TrackingNumber.id)
        ).all()
        pool_config = PoolConfig(
            id=pool.id,
            hold_seconds=pool.hold_seconds,
            policy=pool.exhaustion_policy,
            overflow_number=pool.overflow_number,
            numbers={n_id: n for n_id, n in numbers},
        )
    return SiteConfig(
        site_id=site.id,
        account_id=account,
        site_key=site.site_key,
        domains=tuple(site.domains),
        business_number=site.business_number,
        sources=tuple(
            SourceRules(source_id=s.id, channel=str(s.channel), rules=s.rules)
            for s in sources
            if not s.is_offline
        ),
        static_numbers=static_numbers,
        pool=pool_config,
    )


class SiteConfigCache:
    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, SiteConfig | None]] = {}

    def cached(self, site_key: str) -> SiteConfig | bool | None:
        """The cached config (or None for a known-unknown key); False when it must be read."""
        with self._lock:
            hit = self._entries.get(site_key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        return False

    def get(self, db: Session, site_key: str) -> SiteConfig | None:
        hit = self.cached(site_key)
        if hit is not False:
            return hit  # type: ignore[return-value]
        now = time.monotonic()
        config = load(db, site_key)
        with self._lock:
            if len(self._entries) > 10_000:  # unknown keys must not grow this without bound
                self._entries.clear()
            self._entries[site_key] = (now, config)
        return config
