"""`callscope demo`: the seed's machine-readable contract, re-seeding, and the served demo."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.cli import run, run_json
from tests.server import running


def seed(*args: str) -> dict:  # type: ignore[type-arg]
    return run_json(*args)  # type: ignore[no-any-return]


def test_seed_only_json_contract(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    info = seed("demo", "--seed-only", "--json", "--data-dir", str(data))
    for key in (
        "account_id",
        "api_token",
        "site_key",
        "pool_numbers",
        "static_numbers",
        "business_number",
        "database_url",
        "webhook_secret",
        "twilio_auth_token",
    ):
        assert key in info, key
    assert info["webhook_secret"].startswith("whsec_")
    assert len(info["twilio_auth_token"]) == 32
    assert info["calls"] > 300  # 90 days of calls, made through the call pipeline
    assert len(info["pool_numbers"]) == 8
    assert set(info["static_numbers"]) == {"Flyer", "Van wrap", "Google Business Profile"}
    assert info["business_number"] == "+15125550100"
    assert info["database_url"] == f"sqlite:///{(data / 'callscope.db').resolve()}"
    assert (data / "callscope.db").exists()
    assert not set(info["pool_numbers"]) & set(info["static_numbers"].values())


def test_reseeding_reuses_the_account_and_resizes_the_pool(tmp_path: Path) -> None:
    data = str(tmp_path / "demo")
    first = seed("demo", "--seed-only", "--json", "--data-dir", data)
    second = seed(
        "demo",
        "--seed-only",
        "--json",
        "--data-dir",
        data,
        "--pool-size",
        "3",
        "--hold-seconds",
        "600",
    )
    assert second["account_id"] == first["account_id"]
    assert second["site_key"] == first["site_key"]
    assert second["api_token"] != first["api_token"]
    assert second["pool_numbers"] == first["pool_numbers"][:3]
    third = seed("demo", "--seed-only", "--json", "--data-dir", data, "--pool-size", "12")
    assert len(third["pool_numbers"]) == 12
    assert third["pool_numbers"][:8] == first["pool_numbers"]


@pytest.mark.parametrize(
    "args",
    [["--pool-size", "0"], ["--pool-size", "5000"], ["--hold-seconds", "0"], ["--port", "0"]],
)
def test_demo_bad_options(tmp_path: Path, args: list[str]) -> None:
    result = run("demo", "--seed-only", "--data-dir", str(tmp_path / "d"), *args)
    assert result.returncode == 2
    assert not (tmp_path / "d").exists()


def test_demo_seeds_any_configured_database(db: Engine, database_url: str, tmp_path: Path) -> None:
    info = seed(
        "--database-url",
        database_url,
        "demo",
        "--seed-only",
        "--json",
        "--data-dir",
        str(tmp_path),
        "--pool-size",
        "4",
    )
    assert len(info["pool_numbers"]) == 4
    assert info["database_url"].split("://")[0] == database_url.split("://")[0]


def test_served_demo_answers_with_the_printed_token(tmp_path: Path) -> None:
    with running("demo", "--json", "--data-dir", str(tmp_path / "demo")) as server:
        info = json.loads(server.first_line)
        headers = {"Authorization": f"Bearer {info['api_token']}"}
        numbers = httpx.get(f"{server.url}/api/v1/numbers?limit=200", headers=headers).json()
        listed = {n["number"] for n in numbers["items"]}
        assert set(info["pool_numbers"]) | set(info["static_numbers"].values()) == listed

        docs = httpx.get(f"{server.url}/docs")
        assert docs.status_code == 200
        assert "cdn." not in docs.text  # served offline, from the package
        assert (
            httpx.get(f"{server.url}/static-offline-docs/swagger-ui-bundle.js").status_code == 200
        )
        spec = httpx.get(f"{server.url}/openapi.json").json()
        assert "/api/v1/numbers" in spec["paths"]
        assert "HTTPBearer" in spec["components"]["securitySchemes"]
