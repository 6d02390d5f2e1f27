"""Hostile and broken requests to the public tracking endpoints change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from callscope.config import Settings
from callscope.tracking.models import VisitorSession
from callscope.web import create_app
from tests.dni import ORIGIN, website
from tests.factories import Tenant


def count(app: FastAPI) -> int:
    with app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(VisitorSession)) or 0


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()  # type: ignore[no-any-return]


def test_unknown_site_key(client: TestClient) -> None:
    body = problem(client.post("/t/nosuchsite123/sessions", json={"url": f"{ORIGIN}/"}), 404)
    assert body["type"] == "urn:callscope:problem:unknown-site"
    problem(client.post("/t/bad key!/sessions", json={"url": f"{ORIGIN}/"}), 422)
    problem(client.get("/t/nosuchsite123.js"), 404)
    problem(client.post("/t/nosuchsite123/sessions/AAAAAAAAAAAA/ping", json={}), 404)
    problem(client.post("/t/" + "k" * 100 + "/sessions", json={"url": f"{ORIGIN}/"}), 422)


def test_pool_health_bad_input(tenant: Tenant, other: Tenant) -> None:
    web = website(tenant)
    for query in ("days=0", "days=91", "days=abc"):
        problem(tenant.get(f"/pools/{web.pool['id']}/health?{query}"), 422)
    problem(other.get(f"/pools/{web.pool['id']}/health"), 404)  # another account's pool
    problem(tenant.client.get(f"/api/v1/pools/{web.pool['id']}/health"), 401)


def test_disallowed_origins(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant)
    for origin in (
        "https://evil.example",
        "https://plumber.example.evil.com",
        "https://notplumber.example",
        "null",
        "file://",
        "https://plumber.example/x",
    ):
        response = tenant.client.post(
            f"/t/{web.key}/sessions", json={"url": f"{ORIGIN}/"}, headers={"Origin": origin}
        )
        body = problem(response, 403)
        assert body["type"] == "urn:callscope:problem:origin-not-allowed"
        assert "access-control-allow-origin" not in response.headers
    preflight = tenant.client.options(
        f"/t/{web.key}/sessions", headers={"Origin": "https://evil.example"}
    )
    assert preflight.status_code == 403
    assert count(app) == 0


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"{", 400),
        (b"\xff\xfe\x00", 400),
        (b"[]", 422),
        (b'{"url": 5}', 422),
        (b'{"url": "javascript:alert(1)"}', 422),
        (b'{"url": "https://x.example/' + b"a" * 3000 + b'"}', 422),
        (b'{"url": "https://x.example/", "session_id": "../../etc/passwd"}', 422),
        (b'{"url": "https://x.example/", "visitor_id": "short"}', 422),
        (b'{"url": "https://x.example/", "visitor_id": ["a"]}', 422),
        (b'{"url": "https://x.example/", "ga_client_id": "' + b"1" * 100 + b'"}', 422),
        (b"{}", 422),
    ],
)
def test_malformed_bodies(tenant: Tenant, app: FastAPI, raw: bytes, status: int) -> None:
    web = website(tenant)
    response = tenant.client.post(
        f"/t/{web.key}/sessions",
        content=raw,
        headers={"Origin": ORIGIN, "Content-Type": "text/plain"},
    )
    problem(response, status)
    assert count(app) == 0


def test_huge_body_is_413(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant)
    response = tenant.client.post(
        f"/t/{web.key}/sessions",
        json={"url": f"{ORIGIN}/", "pad": "x" * 200_000},
        headers={"Origin": ORIGIN},
    )
    problem(response, 413)
    assert count(app) == 0


def test_forged_session_ids_get_a_fresh_session(
    tenant: Tenant, other: Tenant, app: FastAPI
) -> None:
    web = website(tenant)
    theirs = website(other)
    their_session = theirs.start().json()["session_id"]
    for forged in ("AAAAAAAAAAAAAAAAAAAAAA", their_session):
        answer = web.start(session_id=forged).json()
        assert answer["session_id"] not in (forged, their_session)
        problem(web.ping(forged), 404)
    # A session of one site is unknown on another site, even of the same account.
    second = website(tenant)
    mine = web.start().json()["session_id"]
    problem(second.ping(mine), 404)


def test_unknown_user_agent_length_is_cut_not_refused(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant)
    assert web.start(user_agent="Mozilla/5.0 " + "x" * 5000).status_code == 200
    with app.state.sessionmaker() as db:
        agent = db.scalars(select(VisitorSession.user_agent)).one()
    assert agent is not None
    assert len(agent) == 500


def test_rate_limits(db: Any, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"tracking_rate_per_ip": 8}), engine=db)
    with TestClient(app) as client:
        from tests.factories import make_tenant

        web = website(make_tenant(app, client))
        statuses = [web.start().status_code for _ in range(5)]
        assert statuses == [200, 200, 429, 429, 429]  # a burst of per_minute / 4
        limited = web.start()
        assert int(limited.headers["retry-after"]) >= 1
        assert problem(limited, 429)["type"] == "urn:callscope:problem:rate-limited"
        assert count(app) == 2
