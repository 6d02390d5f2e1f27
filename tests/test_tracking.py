"""The public DNI endpoints through HTTP, on both databases and both lease stores."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from callscope.tracking.models import PageView, VisitorSession
from tests.dni import BUSINESS, CHROME_UA, ORIGIN, website
from tests.factories import Tenant

pytestmark = pytest.mark.usefixtures("lease_store")


def sessions(app: FastAPI) -> list[VisitorSession]:
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(VisitorSession).order_by(VisitorSession.id)))


def test_a_visitor_gets_a_pool_number_and_keeps_it(tenant: Tenant) -> None:
    web = website(tenant)
    first = web.start(referrer="https://www.google.com/")
    body = first.json()
    assert first.headers["access-control-allow-origin"] == ORIGIN
    assert body["swaps"][0]["from"] == BUSINESS
    assert body["swaps"][0]["to"] in web.numbers
    assert body["swaps"][0]["display"].startswith("(512) 555-")
    assert (body["swaps"][0]["cc"], body["swaps"][0]["national_prefix"]) == ("1", "1")
    assert 1 <= body["ping_seconds"] <= 60
    again = web.start(visitor_id=body["visitor_id"], session_id=body["session_id"])
    assert again.json()["session_id"] == body["session_id"]
    assert web.shown(again) == web.shown(first)
    assert web.ping(body["session_id"], f"{ORIGIN}/pricing").status_code == 200


def test_live_sessions_never_share_while_numbers_are_free(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant, pool_size=4)
    shown = [web.shown(web.start()) for _ in range(4)]
    assert sorted(shown) == sorted(web.numbers)
    assert not any(s.shared for s in sessions(app))
    fifth = web.start()
    assert web.shown(fifth) in web.numbers  # the pool never fails...
    assert sessions(app)[-1].shared  # ...but says it lent a number twice
    assert web.shown(fifth) == shown[0]  # the least recently active hold is reused


def test_numbers_come_back_least_recently_released_first(tenant: Tenant) -> None:
    web = website(tenant, pool_size=3, hold_seconds=1)
    a, b, c = (web.start().json() for _ in range(3))
    # b goes quiet first, a a little later, c stays: b's number was released longest ago.
    started = time.monotonic()
    while time.monotonic() - started < 3.6:
        if time.monotonic() - started < 1.2:
            web.ping(a["session_id"])
        web.ping(c["session_id"])
        time.sleep(0.3)
    assert web.ping(b["session_id"]).status_code == 404
    assert web.ping(a["session_id"]).status_code == 404
    d, e = web.start().json(), web.start().json()
    assert d["swaps"][0]["to"] == b["swaps"][0]["to"]
    assert e["swaps"][0]["to"] == a["swaps"][0]["to"]


def test_numbers_added_to_or_released_from_a_pool_reach_the_lease_store(
    tenant: Tenant, app: FastAPI
) -> None:
    web = website(tenant, pool_size=2)
    first = [web.shown(web.start()) for _ in range(2)]
    assert sorted(first) == sorted(web.numbers)
    added = tenant.number(number=web.numbers[0][:-2] + "77", pool_id=web.pool["id"])
    released = tenant.ok("get", f"/numbers?pool_id={web.pool['id']}")["items"][0]
    tenant.ok("delete", f"/numbers/{released['id']}", status=204)
    app.state.site_configs = type(app.state.site_configs)()  # no waiting out the 5 s cache
    third = web.start()
    assert web.shown(third) == added["number"]  # the new number is free; the others held
    assert not sessions(app)[-1].shared
    later = [web.shown(web.start()) for _ in range(4)]  # all held now: shared from here on
    assert released["number"] not in later
    assert set(later) <= {n for n in web.numbers if n != released["number"]} | {added["number"]}


def test_expired_session_ping_is_404_and_a_new_session_starts(tenant: Tenant) -> None:
    web = website(tenant, pool_size=2, hold_seconds=1)
    first = web.start().json()
    time.sleep(2.3)
    gone = web.ping(first["session_id"])
    assert gone.status_code == 404
    assert gone.headers["access-control-allow-origin"] == ORIGIN  # the snippet can read it
    again = web.start(visitor_id=first["visitor_id"], session_id=first["session_id"]).json()
    assert again["session_id"] != first["session_id"]
    assert again["visitor_id"] == first["visitor_id"]


def test_source_detection_and_visit_details(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant)
    web.start(
        url=f"{ORIGIN}/drains?utm_source=google&utm_medium=cpc&utm_campaign=spring&utm_term=clogged+drain&gclid=Cj0KCQ",
        referrer="https://www.google.com/",
        ga_client_id="1234567890.1700000000",
        ym_uid="1700000000123456789",
    )
    web.start(referrer="https://www.bing.com/search?q=plumber")
    web.start(referrer="https://www.facebook.com/")
    web.start()
    rows = sessions(app)
    assert rows[0].source_id == web.sources["Google Ads"]
    assert (rows[0].channel, rows[0].utm_campaign, rows[0].utm_term) == (
        "paid_search",
        "spring",
        "clogged drain",
    )
    assert (rows[0].click_id_kind, rows[0].click_id) == ("gclid", "Cj0KCQ")
    assert rows[0].ga_client_id == "1234567890.1700000000"
    assert rows[0].landing_url.endswith("gclid=Cj0KCQ")
    assert [r.channel for r in rows[1:]] == ["organic_search", "organic_social", "direct"]
    assert rows[1].referrer_domain == "bing.com"


def test_static_source_number_is_shown_without_a_pool_number(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant, pool_size=1)
    answer = web.start(url=f"{ORIGIN}/?utm_source=gbp&utm_medium=organic")
    assert web.shown(answer) == web.static["Google Business Profile"]
    assert web.shown(web.start()) == web.numbers[0]  # the pool's only number was still free
    assert not sessions(app)[1].shared


def test_page_views_are_recorded_once_per_url(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant)
    sid = web.start(url=f"{ORIGIN}/").json()["session_id"]
    for url in (f"{ORIGIN}/", f"{ORIGIN}/pricing", f"{ORIGIN}/pricing", f"{ORIGIN}/contact"):
        assert web.ping(sid, url).status_code == 200
    with app.state.sessionmaker() as db:
        urls = db.scalars(select(PageView.url).order_by(PageView.id)).all()
    # The landing page is the session's landing_url; page_views holds the pages after it.
    assert urls == [f"{ORIGIN}/pricing", f"{ORIGIN}/contact"]
    assert sessions(app)[0].landing_url == f"{ORIGIN}/"
    assert sessions(app)[0].page_views == 3


def test_a_new_campaign_starts_a_new_session(tenant: Tenant) -> None:
    web = website(tenant)
    first = web.start(url=f"{ORIGIN}/?utm_source=google&utm_medium=cpc&utm_campaign=a").json()
    same = web.start(url=f"{ORIGIN}/about", session_id=first["session_id"]).json()
    assert same["session_id"] == first["session_id"]
    other = web.start(
        url=f"{ORIGIN}/?utm_source=newsletter&utm_medium=email", session_id=first["session_id"]
    ).json()
    assert other["session_id"] != first["session_id"]


def test_bots_get_no_session_and_no_number(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant)
    for ua in (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "facebookexternalhit/1.1",
    ):
        body = web.start(user_agent=ua).json()
        assert body["swaps"] == []
        assert body["session_id"] is None
    assert sessions(app) == []


@pytest.mark.parametrize(
    ("policy", "extra"),
    [("overflow_number", {"overflow_number": "+15125550999"}), ("keep_original", {})],
)
def test_exhaustion_policies(
    tenant: Tenant, app: FastAPI, policy: str, extra: dict[str, str]
) -> None:
    web = website(tenant, pool_size=1, exhaustion_policy=policy, **extra)
    assert web.shown(web.start()) == web.numbers[0]
    second = web.shown(web.start())
    assert second == extra.get("overflow_number")
    last = sessions(app)[-1]
    assert last.number_id is None
    assert last.pool_id == web.pool["id"]


def test_text_plain_bodies_are_accepted(tenant: Tenant) -> None:
    """The snippet sends text/plain so that browsers skip the CORS preflight."""
    web = website(tenant)
    response = tenant.client.post(
        f"/t/{web.key}/sessions",
        content=f'{{"url": "{ORIGIN}/", "user_agent": "{CHROME_UA}"}}',
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN},
    )
    assert web.shown(response) in web.numbers


def test_cors(tenant: Tenant) -> None:
    web = website(tenant)
    for origin in ("https://plumber.example", "http://shop.plumber.example"):
        response = tenant.client.post(
            f"/t/{web.key}/sessions", json={"url": f"{origin}/"}, headers={"Origin": origin}
        )
        assert response.headers["access-control-allow-origin"] == origin
    preflight = tenant.client.options(
        f"/t/{web.key}/sessions",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    no_origin = tenant.client.post(f"/t/{web.key}/sessions", json={"url": f"{ORIGIN}/"})
    assert no_origin.status_code == 200  # servers and apps send no Origin
    assert "access-control-allow-origin" not in no_origin.headers
