"""The demo business: Rapid Rooter Plumbing of Austin, TX.

Static numbers for a flyer, a van wrap and the Google Business Profile; a website with a DNI
pool; online sources with matching rules; the built-in categories. Seeding again reuses the
account and resizes the pool; it issues a fresh API token and a fresh password for the admin
user (both are shown only once: only their hashes are stored). The first seed also makes 90
days of calls (demo_calls.py) and sets a webhook secret and Twilio credentials, so the
webhooks can be tried against the demo. Answered and voicemail calls get a transcript and
the real model's insight (demo_transcripts.py), once each.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callscope.accounts.models import Account, User
from callscope.accounts.schemas import AccountCreate
from callscope.accounts.security import (
    hash_password,
    new_password,
    new_public_key,
    new_webhook_secret,
)
from callscope.accounts.service import create_account, create_token
from callscope.analysis.models import TranscriptRecord
from callscope.demo_calls import seed_calls
from callscope.demo_transcripts import seed_insights, seed_transcripts
from callscope.intel.models import CallInsight
from callscope.intel.service import Intelligence
from callscope.numbers.models import Channel, ExhaustionPolicy, Pool, Source, TrackingNumber
from callscope.sites.models import Site

DEMO_EMAIL = "owner@rapidrooter.example"
BUSINESS_NUMBER = "+15125550100"
MAX_POOL_SIZE = 1000

ONLINE_SOURCES: tuple[tuple[str, Channel, str | None, list[dict[str, str]]], ...] = (
    (
        "Google Ads",
        Channel.paid_search,
        "cpc",
        [{"utm_source": "google", "utm_medium": "cpc"}, {"click_id": "gclid"}],
    ),
    ("Microsoft Ads", Channel.paid_search, "cpc", [{"click_id": "msclkid"}]),
    (
        "Facebook Ads",
        Channel.paid_social,
        "paid_social",
        [{"utm_source": "facebook", "utm_medium": "paid_social"}, {"click_id": "fbclid"}],
    ),
    ("Google Organic", Channel.organic_search, "organic", [{"referrer_domain": "google.com"}]),
    ("Yelp", Channel.referral, "referral", [{"referrer_domain": "yelp.com"}]),
    ("Direct", Channel.direct, None, []),
)
STATIC_SOURCES: tuple[tuple[str, Channel, str, str], ...] = (
    ("Flyer", Channel.offline, "print", "+15125550111"),
    ("Van wrap", Channel.offline, "vehicle", "+15125550122"),
    ("Google Business Profile", Channel.organic_search, "listing", "+15125550133"),
)


def pool_number(index: int) -> str:
    return f"+1512555{140 + index:04d}"


@dataclass(frozen=True)
class DemoSeed:
    account_id: int
    api_token: str
    email: str  # the admin user's login
    password: str  # set by this run: only its hash is stored
    site_id: int
    site_key: str
    pool_id: int
    pool_numbers: list[str]
    static_numbers: dict[str, str]
    business_number: str
    webhook_secret: str
    twilio_account_sid: str
    twilio_auth_token: str
    calls: int
    transcripts: int
    insights: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def seed_demo(session: Session, *, pool_size: int = 8, hold_seconds: int = 1800) -> DemoSeed:
    """Seed or refresh the demo, its calls and their transcripts; `categorise` comes next."""
    if not 1 <= pool_size <= MAX_POOL_SIZE:
        raise ValueError(f"pool size must be 1 to {MAX_POOL_SIZE}")
    if not 1 <= hold_seconds <= 86_400:
        raise ValueError("hold seconds must be 1 to 86400")
    user = session.scalars(select(User).where(User.email == DEMO_EMAIL)).one_or_none()
    if user is None:
        created = create_account(
            session,
            AccountCreate(
                name="Rapid Rooter Plumbing",
                email=DEMO_EMAIL,
                timezone="America/Chicago",
                currency="USD",
            ),
        )
        account, password, token = created.account, created.password, created.token
        _seed_catalogue(session, account)
    else:
        account = session.get_one(Account, user.account_id)
        token = create_token(session, account.id, "demo", user_id=user.id).token
        password = new_password()
        user.password_hash = hash_password(password)

    site = session.scalars(select(Site).where(Site.account_id == account.id)).first()
    pool = session.scalars(select(Pool).where(Pool.account_id == account.id)).first()
    assert site is not None
    assert pool is not None
    pool.hold_seconds = hold_seconds
    pool_numbers = _resize_pool(session, account.id, pool, pool_size)
    if account.twilio_auth_token is None:
        account.twilio_account_sid = "AC" + secrets.token_hex(16)
        account.twilio_auth_token = secrets.token_hex(16)
    if account.webhook_secret is None:
        account.webhook_secret = new_webhook_secret()
    session.flush()
    calls = seed_calls(session, account.id, site.id, pool.id)
    seed_transcripts(session, account.id)
    statics = {
        source.name: number.number
        for number, source in session.execute(
            select(TrackingNumber, Source)
            .join(Source, TrackingNumber.source_id == Source.id)
            .where(TrackingNumber.account_id == account.id, TrackingNumber.active)
            .order_by(TrackingNumber.id)
        ).all()
    }
    session.flush()
    return DemoSeed(
        account_id=account.id,
        api_token=token,
        email=DEMO_EMAIL,
        password=password,
        site_id=site.id,
        site_key=site.site_key,
        pool_id=pool.id,
        pool_numbers=pool_numbers,
        static_numbers=statics,
        business_number=BUSINESS_NUMBER,
        webhook_secret=account.webhook_secret,
        twilio_account_sid=account.twilio_account_sid or "",
        twilio_auth_token=account.twilio_auth_token,
        calls=calls,
        transcripts=_count(session, TranscriptRecord, account.id),
        insights=_count(session, CallInsight, account.id),
    )


def categorise(session: Session, intelligence: Intelligence, seed: DemoSeed) -> DemoSeed:
    """The real model's insights for the demo's transcribed calls that have none yet.

    Load the model first (`intelligence.prepare(None)`: seconds the first time, while it
    trains), outside any transaction: on SQLite a transaction holds the write lock.
    """
    seed_insights(session, intelligence, seed.account_id)
    session.flush()
    return replace(seed, insights=_count(session, CallInsight, seed.account_id))


def _count(
    session: Session, model: type[TranscriptRecord] | type[CallInsight], account_id: int
) -> int:
    return session.scalar(select(func.count()).where(model.account_id == account_id)) or 0


def _seed_catalogue(session: Session, account: Account) -> None:
    def add(obj: Any) -> Any:
        obj.account_id = account.id
        session.add(obj)
        session.flush()
        return obj

    for name, channel, medium, rules in ONLINE_SOURCES:
        add(Source(name=name, channel=channel, medium=medium, is_offline=False, rules=rules))
    for name, channel, medium, number in STATIC_SOURCES:
        source = add(Source(name=name, channel=channel, medium=medium, is_offline=True, rules=[]))
        add(
            TrackingNumber(
                number=number,
                forward_to=BUSINESS_NUMBER,
                label=name,
                source_id=source.id,
                location="Austin",
                active=True,
            )
        )
    site = add(
        Site(
            name="rapidrooter.example",
            domains=["rapidrooter.example", "localhost", "127.0.0.1"],
            site_key=new_public_key(),
            business_number=BUSINESS_NUMBER,
        )
    )
    add(
        Pool(
            site_id=site.id,
            name="Website visitors",
            exhaustion_policy=ExhaustionPolicy.reuse_oldest,
        )
    )


def _resize_pool(session: Session, account_id: int, pool: Pool, size: int) -> list[str]:
    rows = {
        n.number: n
        for n in session.scalars(select(TrackingNumber).where(TrackingNumber.pool_id == pool.id))
    }
    wanted = [pool_number(i) for i in range(size)]
    for number, row in rows.items():
        row.active = number in wanted
    for number in wanted:
        if number not in rows:
            session.add(
                TrackingNumber(
                    account_id=account_id,
                    number=number,
                    forward_to=BUSINESS_NUMBER,
                    label="Website pool",
                    location="Austin",
                    pool_id=pool.id,
                    active=True,
                )
            )
    session.flush()
    return wanted
