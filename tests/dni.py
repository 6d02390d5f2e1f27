"""A website set up for DNI through the API, and a visitor that talks to the public endpoints."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from callscope.tracking.service import Tracker
from tests.factories import Tenant

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
ORIGIN = "https://www.plumber.example"
BUSINESS = "+15125550100"
_seq = itertools.count(1)


@dataclass
class Website:
    tenant: Tenant
    site: dict[str, Any]
    pool: dict[str, Any]
    numbers: list[str]
    static: dict[str, str] = field(default_factory=dict)  # source name -> number
    sources: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return str(self.site["site_key"])

    def start(self, url: str = f"{ORIGIN}/", **body: Any) -> Any:
        payload = {"url": url, "user_agent": CHROME_UA} | body
        return self.tenant.client.post(
            f"/t/{self.key}/sessions", json=payload, headers={"Origin": ORIGIN}
        )

    def ping(self, session_id: str, url: str | None = None) -> Any:
        return self.tenant.client.post(
            f"/t/{self.key}/sessions/{session_id}/ping",
            json={"url": url} if url else {},
            headers={"Origin": ORIGIN},
        )

    def shown(self, answer: Any) -> str | None:
        """The number the visitor would see instead of the business number."""
        assert answer.status_code == 200, answer.text
        swaps = answer.json()["swaps"]
        return swaps[0]["to"] if swaps else None


def website(tenant: Tenant, pool_size: int = 3, hold_seconds: int = 1800, **pool: Any) -> Website:
    base = 3000 + (100 * next(_seq)) % 6900  # stays a valid 555-xxxx line
    site = tenant.site(domains=["plumber.example"], business_number=BUSINESS)
    made_pool = tenant.pool(site_id=site["id"], hold_seconds=hold_seconds, **pool)
    numbers = [f"+1512555{base + i:04d}" for i in range(pool_size)]
    for number in numbers:
        tenant.number(number=number, pool_id=made_pool["id"])
    existing = {s["name"]: s for s in tenant.ok("get", "/sources?limit=200")["items"]}
    ads = existing.get("Google Ads") or tenant.source(
        name="Google Ads",
        channel="paid_search",
        rules=[{"click_id": "gclid"}, {"utm_source": "google", "utm_medium": "cpc"}],
    )
    gbp = existing.get("Google Business Profile") or tenant.source(
        name="Google Business Profile", channel="organic_search", rules=[{"utm_source": "gbp"}]
    )
    if "Google Business Profile" in existing:
        gbp_number = tenant.ok("get", f"/numbers?source_id={gbp['id']}")["items"][0]["number"]
    else:
        gbp_number = tenant.number(number=f"+1512555{base + 99:04d}", source_id=gbp["id"])["number"]
    return Website(
        tenant=tenant,
        site=site,
        pool=made_pool,
        numbers=numbers,
        static={"Google Business Profile": gbp_number},
        sources={"Google Ads": ads["id"], "Google Business Profile": gbp["id"]},
    )


def tracker(app: FastAPI, web: Website, db: Any) -> Tracker:
    """The service behind the public endpoints, for tests that set the clock themselves."""
    config = app.state.site_configs.get(db, web.key)
    return Tracker(db=db, store=app.state.lease_store, config=config)
