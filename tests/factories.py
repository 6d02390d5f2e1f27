"""Factories: accounts with tokens, and API helpers that build objects through HTTP."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from callscope.accounts.schemas import AccountCreate
from callscope.accounts.service import create_account

_seq = itertools.count(1)


@dataclass
class Tenant:
    """An account as an API client sees it: its id and an authenticated request helper."""

    account_id: int
    token: str
    client: TestClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=body, headers=self.headers, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.client.patch(f"/api/v1{path}", json=body, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(f"/api/v1{path}", headers=self.headers, **kw)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = (
            getattr(self, method)(path, body) if body is not None else getattr(self, method)(path)
        )
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    # Objects built the way a client would.
    def site(self, **over: Any) -> dict[str, Any]:
        body = {"name": f"site {next(_seq)}", "domains": ["example.com"]} | over
        return self.ok("post", "/sites", body, 201)

    def source(self, **over: Any) -> dict[str, Any]:
        body = {"name": f"source {next(_seq)}", "channel": "paid_search"} | over
        return self.ok("post", "/sources", body, 201)

    def pool(self, **over: Any) -> dict[str, Any]:
        if "site_id" not in over:
            over["site_id"] = self.site()["id"]
        body = {"name": f"pool {next(_seq)}"} | over
        return self.ok("post", "/pools", body, 201)

    def number(self, **over: Any) -> dict[str, Any]:
        if "source_id" not in over and "pool_id" not in over:
            over["source_id"] = self.source(is_offline=True, channel="offline")["id"]
        body = {"number": next_number()} | over
        return self.ok("post", "/numbers", body, 201)


def next_number() -> str:
    """A fresh valid US number (Austin 512-555-xxxx) for each call."""
    return f"+1512555{1000 + next(_seq) % 1000:04d}"  # 555-1xxx: clear of the fixed ones


def make_tenant(app: FastAPI, client: TestClient, name: str = "Acme") -> Tenant:
    with app.state.sessionmaker() as session:
        created = create_account(
            session, AccountCreate(name=name, email=f"admin{next(_seq)}@{name.lower()}.example")
        )
        session.commit()
        return Tenant(created.account.id, created.token, client)
