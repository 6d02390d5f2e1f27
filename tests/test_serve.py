"""`callscope serve`: migrates on start unless told not to; health tells the truth; JSON logs."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import httpx
import pytest

from tests.cli import run_json
from tests.server import running


def test_serve_migrates_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {"CALLSCOPE_DATA_DIR": str(tmp_path / "data")}
    with running("serve", env=env) as server:
        health = httpx.get(f"{server.url}/healthz")
        assert health.json()["status"] == "ok"
        assert httpx.get(f"{server.url}/api/v1/sites").status_code == 401
    assert (tmp_path / "data" / "callscope.db").exists()


def test_serve_logs_one_json_object_per_line(tmp_path: Path) -> None:
    env = {"CALLSCOPE_DATA_DIR": str(tmp_path)}
    with running("serve", env=env) as server:
        httpx.get(f"{server.url}/api/v1/sites")
        server.process.terminate()
        server.process.wait(timeout=10)
        lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    requests = [line for line in lines if line["msg"] == "request"]
    assert {"method": "GET", "path": "/api/v1/sites", "status": 401}.items() <= requests[-1].items()
    assert all({"ts", "level", "logger", "msg"} <= line.keys() for line in lines)


def test_no_migrate_on_an_empty_database_reports_unhealthy(tmp_path: Path) -> None:
    env = {"CALLSCOPE_DATA_DIR": str(tmp_path)}
    with running("serve", "--no-migrate", env=env, healthy=False) as server:
        health = httpx.get(f"{server.url}/healthz")
        assert health.status_code == 503
        assert "run migrations" in health.json()["detail"]


def test_rate_limit_counts_the_client_behind_a_trusted_proxy(tmp_path: Path) -> None:
    """127.0.0.1 is a trusted proxy by default: X-Forwarded-For names the visitor."""
    info = run_json("demo", "--seed-only", "--json", "--data-dir", str(tmp_path))
    env = {"CALLSCOPE_DATA_DIR": str(tmp_path), "CALLSCOPE_TRACKING_RATE_PER_IP": "4"}  # burst 1
    with running("serve", env=env) as server:

        def start(client_ip: str) -> int:
            return httpx.post(
                f"{server.url}/t/{info['site_key']}/sessions",
                json={"url": "https://rapidrooter.example/"},
                headers={"X-Forwarded-For": client_ip},
            ).status_code

        assert [start("203.0.113.7"), start("203.0.113.7")] == [200, 429]
        assert start("198.51.100.9") == 200  # another visitor behind the same proxy


def test_serve_keeps_what_startup_built_out_of_the_collectors_full_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full pass over the imported libraries stopped every request for up to 190 ms under
    load (bench/RESULTS.md); the server freezes what it built before it serves."""
    import uvicorn

    from callscope.cli import _serve
    from callscope.config import Settings

    frozen: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: frozen.append(gc.get_freeze_count()))
    try:
        _serve(Settings(data_dir=tmp_path), "127.0.0.1", 0, migrate=True)
    finally:
        gc.unfreeze()
    assert len(frozen) == 1
    assert frozen[0] > 100_000  # the app and its libraries, not a handful
