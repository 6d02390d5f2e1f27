"""Tokens: missing, malformed, revoked; and one account never sees another's rows."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from callscope.accounts.models import ApiToken
from callscope.accounts.security import hash_token
from callscope.accounts.service import revoke_token
from tests.factories import Tenant

UNAUTHORIZED = "urn:callscope:problem:unauthorized"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        "Bearer cs_" + "A" * 40,
        "Bearer cs_" + "A" * 5000,
        "Token cs_abc",
    ],
)
def test_bad_credentials_get_the_same_401(
    client: TestClient, tenant: Tenant, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/sites", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"] == UNAUTHORIZED
    assert body["detail"] == "a valid API token is required: Authorization: Bearer <token>"


def test_revoked_token_is_refused_like_an_unknown_one(app: FastAPI, tenant: Tenant) -> None:
    assert tenant.get("/sites").status_code == 200
    with app.state.sessionmaker() as session:
        row = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == hash_token(tenant.token))
        ).one()
        revoke_token(session, tenant.account_id, row.prefix)
        session.commit()
    response = tenant.get("/sites")
    assert response.status_code == 401
    assert (
        response.json()["detail"] == "a valid API token is required: Authorization: Bearer <token>"
    )


def test_last_used_is_recorded(app: FastAPI, tenant: Tenant) -> None:
    tenant.get("/account")
    with app.state.sessionmaker() as session:
        row = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == hash_token(tenant.token))
        ).one()
        assert row.last_used_at is not None


def test_write_without_token_changes_nothing(client: TestClient, tenant: Tenant) -> None:
    response = client.post("/api/v1/sites", json={"name": "sneaky"})
    assert response.status_code == 401
    assert tenant.ok("get", "/sites")["items"] == []


RESOURCES = ["sites", "sources", "pools", "numbers", "categories"]


def _one_of_each(t: Tenant) -> dict[str, int]:
    pool = t.pool()
    number = t.number(pool_id=pool["id"])
    source = t.source()
    category = t.ok("post", "/categories", {"key": "warranty", "name": "Warranty"}, 201)
    return {
        "sites": pool["site_id"],
        "pools": pool["id"],
        "numbers": number["id"],
        "sources": source["id"],
        "categories": category["id"],
    }


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_accounts_object_is_404(tenant: Tenant, other: Tenant, resource: str) -> None:
    theirs = _one_of_each(other)[resource]
    missing = 2**62
    for object_id in (theirs, missing):
        patch = {"label": "x"} if resource == "numbers" else {"name": "x"}
        for response in (
            tenant.get(f"/{resource}/{object_id}"),
            tenant.patch(f"/{resource}/{object_id}", patch),
            tenant.delete(f"/{resource}/{object_id}"),
        ):
            assert response.status_code == 404, (resource, response.text)
            assert response.json()["type"] == "urn:callscope:problem:not-found"
    # Same answer for "theirs" and "does not exist": nothing confirms it exists.
    assert (
        tenant.get(f"/{resource}/{theirs}").json()["detail"]
        == tenant.get(f"/{resource}/{missing}").json()["detail"]
    )
    assert other.get(f"/{resource}/{theirs}").status_code == 200


def test_lists_show_only_own_rows(tenant: Tenant, other: Tenant) -> None:
    _one_of_each(other)
    mine = _one_of_each(tenant)
    for resource in RESOURCES:
        ids = {row["id"] for row in tenant.ok("get", f"/{resource}?limit=200")["items"]}
        assert mine[resource] in ids
        theirs = {row["id"] for row in other.ok("get", f"/{resource}?limit=200")["items"]}
        assert not ids & theirs, resource


def test_references_to_another_accounts_objects_are_refused(tenant: Tenant, other: Tenant) -> None:
    theirs = _one_of_each(other)
    response = tenant.post("/pools", {"site_id": theirs["sites"], "name": "steal"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "site_id"]
    response = tenant.post("/numbers", {"number": "+15125550188", "pool_id": theirs["pools"]})
    assert response.json()["errors"][0]["loc"] == ["body", "pool_id"]
    response = tenant.post("/numbers", {"number": "+15125550188", "source_id": theirs["sources"]})
    assert response.json()["errors"][0]["loc"] == ["body", "source_id"]
    mine = tenant.number()
    response = tenant.patch(
        f"/numbers/{mine['id']}", {"source_id": None, "pool_id": theirs["pools"]}
    )
    assert response.status_code == 422
    assert tenant.ok("get", f"/numbers/{mine['id']}") == mine
    assert tenant.ok("get", "/pools")["items"] == []
