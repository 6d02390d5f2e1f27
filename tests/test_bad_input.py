"""Malformed, hostile and oversized requests: a clear problem+json answer, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from callscope.models import Base
from tests.factories import Tenant


def row_counts(app: FastAPI) -> dict[str, int]:
    with app.state.sessionmaker() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
            if t.name != "api_tokens"  # last_used_at is bookkeeping, not a change
        }


@pytest.fixture
def unchanged(app: FastAPI, tenant: Tenant) -> Iterator[None]:
    tenant.pool()  # something to protect
    before = row_counts(app)
    yield
    assert row_counts(app) == before


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:callscope:problem:")
    return body


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("5125550100", "international"),
        ("+1 512 555", "valid"),
        ("+999 123 456 789", "phone number"),
        ("not a phone", "international"),
        ("", "empty"),
        ("+1" + "5" * 60, "at most 40"),
        ("+1512555'); DROP TABLE x;--", "phone number"),
    ],
)
def test_invalid_e164_is_422_at_the_field(tenant: Tenant, number: str, why: str) -> None:
    pool = tenant.ok("get", "/pools")["items"][0]
    body = problem(tenant.post("/numbers", {"number": number, "pool_id": pool["id"]}), 422)
    assert body["errors"][0]["loc"] == ["body", "number"]
    assert body["errors"][0]["pointer"] == "#/number"
    assert why in body["errors"][0]["detail"]


@pytest.mark.usefixtures("unchanged")
def test_number_bound_to_pool_and_source_at_once(tenant: Tenant) -> None:
    pool = tenant.ok("get", "/pools")["items"][0]
    source = tenant.ok("get", "/sources")  # none yet: make one without changing counts later
    assert source["items"] == []
    body = problem(
        tenant.post("/numbers", {"number": "+15125550101", "pool_id": pool["id"], "source_id": 1}),
        422,
    )
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "source_id"), ("body", "pool_id")}
    body = problem(tenant.post("/numbers", {"number": "+15125550101"}), 422)
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "source_id"), ("body", "pool_id")}


@pytest.mark.usefixtures("unchanged")
def test_malformed_json_is_400(tenant: Tenant) -> None:
    for raw in (b"{", b'{"name": "x",}', b"\xff\xfe", b"[1, 2"):
        response = tenant.client.post(
            "/api/v1/sites",
            content=raw,
            headers=tenant.headers | {"Content-Type": "application/json"},
        )
        body = problem(response, 400)
        assert body["type"] == "urn:callscope:problem:malformed-json"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/sites", {"name": "x", "colour": "red"}, ["body", "colour"]),
        ("/sites", {"name": 42}, ["body", "name"]),
        ("/sites", {"name": ""}, ["body", "name"]),
        ("/sites", {"name": "x" * 201}, ["body", "name"]),
        ("/sites", {"name": None}, ["body", "name"]),
        ("/sites", {"name": "x", "domains": "example.com"}, ["body", "domains"]),
        ("/sites", {"name": "x", "domains": ["https://example.com/"]}, ["body", "domains", 0]),
        ("/sites", {"name": "x", "domains": ["exa mple.com"]}, ["body", "domains", 0]),
        ("/sites", {"name": "x", "domains": ["example.com:99999"]}, ["body", "domains", 0]),
        ("/sites", {"name": "x", "domains": ["a.com"] * 51}, ["body", "domains"]),
        ("/sites", [{"name": "x"}], ["body"]),
        ("/sources", {"name": "x", "channel": "carrier_pigeon"}, ["body", "channel"]),
        (
            "/sources",
            {"name": "x", "channel": "email", "is_offline": "yes"},
            ["body", "is_offline"],
        ),
        (
            "/sources",
            {"name": "x", "channel": "email", "rules": [{"click_id": "foo"}]},
            ["body", "rules", 0, "click_id"],
        ),
        (
            "/sources",
            {"name": "x", "channel": "email", "rules": [{"utm_sorce": "g"}]},
            ["body", "rules", 0, "utm_sorce"],
        ),
        ("/pools", {"name": "x", "site_id": "1"}, ["body", "site_id"]),
        ("/pools", {"name": "x", "site_id": 2**70}, ["body", "site_id"]),
        ("/pools", {"name": "x", "site_id": 1, "hold_seconds": 0}, ["body", "hold_seconds"]),
        ("/pools", {"name": "x", "site_id": 1, "hold_seconds": 1.5}, ["body", "hold_seconds"]),
        (
            "/pools",
            {"name": "x", "site_id": 1, "exhaustion_policy": "panic"},
            ["body", "exhaustion_policy"],
        ),
        ("/categories", {"key": "Has Spaces", "name": "x"}, ["body", "key"]),
        ("/categories", {"key": "ok", "name": "x", "examples": ["e"] * 201}, ["body", "examples"]),
    ],
)
def test_invalid_bodies_name_the_field(
    tenant: Tenant, path: str, body: Any, field: list[Any]
) -> None:
    answer = problem(tenant.post(path, body), 422)
    assert field in [e["loc"] for e in answer["errors"]], answer


@pytest.mark.usefixtures("unchanged")
def test_patch_with_nulls_and_unknown_fields(tenant: Tenant) -> None:
    pool = tenant.ok("get", "/pools")["items"][0]
    for body, field in (
        ({"name": None}, ["body", "name"]),
        ({"hold_seconds": None}, ["body", "hold_seconds"]),
        ({"site_id": 5}, ["body", "site_id"]),
    ):
        answer = problem(tenant.patch(f"/pools/{pool['id']}", body), 422)
        assert answer["errors"][0]["loc"] == field
    assert tenant.ok("get", f"/pools/{pool['id']}") == pool


@pytest.mark.usefixtures("unchanged")
def test_oversized_body_is_413(tenant: Tenant) -> None:
    big = {"name": "x", "domains": ["example.com"], "padding": "y" * 100_000}
    body = problem(tenant.post("/sites", big), 413)
    assert body["type"] == "urn:callscope:problem:body-too-large"


@pytest.mark.usefixtures("unchanged")
def test_oversized_chunked_body_is_413(tenant: Tenant) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "x", "padding": "'
        for _ in range(100):
            yield b"y" * 1000
        yield b'"}'

    response = tenant.client.post(
        "/api/v1/sites",
        content=chunks(),
        headers=tenant.headers | {"Content-Type": "application/json"},
    )
    problem(response, 413)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=1000000000000",
        "limit=-5",
        "limit=abc",
        "cursor=%%%",
        "cursor=eyJpZCI6LTF9",
        "cursor=" + "A" * 300,
        "active=maybe",
        "pool_id=0",
        "color=red",
    ],
)
def test_bad_list_queries(tenant: Tenant, query: str) -> None:
    answer = problem(tenant.get(f"/numbers?{query}"), 422)
    assert answer["errors"][0]["loc"][0] == "query"


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("object_id", ["0", "-1", "abc", "9" * 30, "1.5"])
def test_bad_ids_in_path(tenant: Tenant, object_id: str) -> None:
    answer = problem(tenant.get(f"/sites/{object_id}"), 422)
    assert answer["errors"][0]["loc"] == ["path", "object_id"]


@pytest.mark.usefixtures("unchanged")
def test_unknown_route_and_method(tenant: Tenant) -> None:
    problem(tenant.get("/no-such-thing"), 404)
    problem(tenant.client.put("/api/v1/sites", headers=tenant.headers, json={}), 405)


def test_server_error_leaks_nothing(app: FastAPI, tenant: Tenant) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    response = tenant.client.get("/boom")
    body = problem(response, 500)
    assert "hunter2" not in response.text
    assert body["type"] == "urn:callscope:problem:internal-error"
