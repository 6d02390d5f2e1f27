"""Concurrent writers against a real server: no request fails, and uniqueness holds.

On SQLite this is what BEGIN IMMEDIATE for writing requests buys; on PostgreSQL the
partial unique index decides races for the same number.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import Engine

from tests.cli import run_json
from tests.server import running

THREADS = 12


def test_concurrent_creates(db: Engine, database_url: str, tmp_path: Path) -> None:
    url = ["--database-url", database_url]
    info = run_json(*url, "demo", "--seed-only", "--json", "--data-dir", str(tmp_path))
    headers = {"Authorization": f"Bearer {info['api_token']}"}
    with running(*url, "serve", "--no-migrate") as server, ThreadPoolExecutor(THREADS) as pool:

        def create(number: str) -> int:
            body = {"number": number, "pool_id": info["pool_id"]}
            response = httpx.post(
                f"{server.url}/api/v1/numbers", json=body, headers=headers, timeout=30
            )
            return response.status_code

        same = list(pool.map(create, ["+15125559000"] * THREADS))
        distinct = list(pool.map(create, [f"+1512555{9100 + i}" for i in range(THREADS)]))
        reads = list(
            pool.map(
                lambda _: httpx.get(f"{server.url}/api/v1/numbers", headers=headers).status_code,
                range(THREADS),
            )
        )
        listed = httpx.get(
            f"{server.url}/api/v1/numbers?limit=200&pool_id={info['pool_id']}", headers=headers
        ).json()["items"]

    assert sorted(same) == [201] + [422] * (THREADS - 1)
    assert distinct == [201] * THREADS
    assert reads == [200] * THREADS
    assert [n["number"] for n in listed].count("+15125559000") == 1
    assert len(listed) == len(info["pool_numbers"]) + 1 + THREADS
