"""`callscope demo`: the seed's machine-readable contract, re-seeding, and the served demo.

One demo is seeded for the module and seeded again by the tests that need it: the first seed
trains the call model into its data dir, and every later one loads it from there.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from callscope.accounts.security import verify_password
from tests.cli import run, run_json
from tests.server import running


def seed(*args: str) -> dict:  # type: ignore[type-arg]
    return run_json(*args)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def first(demo_dir: Path) -> dict[str, Any]:
    """The JSON of the module demo's first seed."""
    return seed("demo", "--seed-only", "--json", "--data-dir", str(demo_dir))


def rows(data: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "callscope.db") as db:
        return db.execute(sql).fetchall()


def counts(data: Path) -> tuple[int, ...]:
    tables = ("calls", "call_events", "visitor_sessions", "transcripts", "call_insights")
    return tuple(rows(data, f"SELECT count(*) FROM {t}")[0][0] for t in tables)


def test_seed_only_json_contract(first: dict[str, Any], demo_dir: Path) -> None:
    data, info = demo_dir, first
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
        "email",
        "password",
        "transcripts",
        "insights",
    ):
        assert key in info, key
    assert info["email"] == "owner@rapidrooter.example"
    assert info["webhook_secret"].startswith("whsec_")
    assert len(info["twilio_auth_token"]) == 32
    assert info["calls"] > 300  # 90 days of calls, made through the call pipeline
    assert len(info["pool_numbers"]) == 8
    assert set(info["static_numbers"]) == {"Flyer", "Van wrap", "Google Business Profile"}
    assert info["business_number"] == "+15125550100"
    assert info["database_url"] == f"sqlite:///{(data / 'callscope.db').resolve()}"
    assert (data / "callscope.db").exists()
    assert not set(info["pool_numbers"]) & set(info["static_numbers"].values())


def test_reseeding_reuses_the_account_and_resizes_the_pool(
    first: dict[str, Any], demo_dir: Path
) -> None:
    data = str(demo_dir)
    before = counts(demo_dir)
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
    # nothing is made twice: calls, their events and visits, transcripts, insights
    assert counts(demo_dir) == before
    assert (third["calls"], third["transcripts"], third["insights"]) == (
        first["calls"],
        first["transcripts"],
        first["insights"],
    )


def test_each_seed_prints_a_new_password_for_the_login(
    first: dict[str, Any], demo_dir: Path
) -> None:
    again = seed("demo", "--seed-only", "--json", "--data-dir", str(demo_dir))
    assert again["email"] == first["email"]
    assert again["password"] != first["password"]
    ((stored,),) = rows(
        demo_dir,
        f"SELECT password_hash FROM users WHERE email = '{again['email']}'",
    )
    assert again["password"] not in stored  # only a hash is stored
    assert verify_password(stored, again["password"])
    assert not verify_password(stored, first["password"])  # the earlier one no longer works


def test_answered_calls_have_timed_transcripts(first: dict[str, Any], demo_dir: Path) -> None:
    calls = rows(
        demo_dir,
        """SELECT c.status, c.talk_seconds, t.model, t.channels, t.duration_seconds, t.turns,
                  t.text, t.language
           FROM calls c LEFT JOIN transcripts t ON t.call_id = c.id""",
    )
    assert first["transcripts"] == sum(1 for c in calls if c[0] in ("answered", "voicemail"))
    texts = []
    for status, talk, model, channels, duration, turns_json, text, language in calls:
        if status not in ("answered", "voicemail"):
            assert model is None, status  # missed calls have nothing to transcribe
            continue
        turns = json.loads(turns_json)
        speakers = {t["speaker"] for t in turns}
        assert model == "callscope-demo-script"  # says it is the demo's script, not Whisper
        assert language == "en"
        if status == "voicemail":
            assert (speakers, channels) == ({"caller"}, 1)
        else:
            assert speakers == {"agent", "caller"}
            assert channels == 2
            assert duration == talk
        ends = [0.0] + [x for t in turns for x in (t["start"], t["end"])]
        assert ends == sorted(ends)
        assert ends[-1] <= duration
        texts.append(text)
    everything = "\n".join(texts)
    assert "[CARD]" in everything  # cards read out on calls are redacted like real ones
    assert not re.search(r"\b4\d{3} \d{4} \d{4} \d{4}\b", everything)
    for problem in ("drain", "water heater", "pipe burst", "sewer", "faucet"):
        assert problem in everything, problem
    assert len({t.split("\n")[1] for t in texts if "\n" in t}) > 200  # varied, not a few scripts


def test_every_transcript_is_categorised_by_the_model(
    first: dict[str, Any], demo_dir: Path
) -> None:
    found = rows(
        demo_dir,
        """SELECT i.category, i.method, i.model_version, c.status, s.name, i.heard_source_id
           FROM call_insights i JOIN calls c ON c.id = i.call_id
           LEFT JOIN sources s ON s.id = c.source_id""",
    )
    assert len(found) == first["insights"] == first["transcripts"]
    assert {method for _, method, *_ in found} == {"model"}
    assert all(version.startswith("tfidf-lr/") for _, _, version, *_ in found)
    categories = Counter(category for category, *_ in found)
    assert len(categories) >= 8, categories
    voicemail = Counter(category for category, _, _, status, *_ in found if status == "voicemail")
    assert voicemail["voicemail"] >= 0.8 * voicemail.total()
    assert sum(1 for *_, heard in found if heard is not None) > 50  # "how did you hear ..."

    def share(source: str, category: str) -> float:
        of = [c for c, _, _, _, name, _ in found if name == source]
        return sum(1 for c in of if c == category) / len(of)

    # the sources differ the way the reports should show
    assert share("Google Ads", "appointment") > share("Facebook Ads", "appointment")
    assert share("Facebook Ads", "inquiry") > share("Google Ads", "inquiry")
    assert share("Google Business Profile", "spam") > share("Google Ads", "spam")


@pytest.mark.parametrize(
    "args",
    [["--pool-size", "0"], ["--pool-size", "5000"], ["--hold-seconds", "0"], ["--port", "0"]],
)
def test_demo_bad_options(tmp_path: Path, args: list[str]) -> None:
    result = run("demo", "--seed-only", "--data-dir", str(tmp_path / "d"), *args)
    assert result.returncode == 2
    assert not (tmp_path / "d").exists()


def test_demo_seeds_any_configured_database(
    db: Engine, database_url: str, first: dict[str, Any], demo_dir: Path
) -> None:
    # the module demo's data dir, for its cached model; the database is the configured one
    info = seed(
        "--database-url",
        database_url,
        "demo",
        "--seed-only",
        "--json",
        "--data-dir",
        str(demo_dir),
        "--pool-size",
        "4",
    )
    assert len(info["pool_numbers"]) == 4
    assert info["insights"] == info["transcripts"] > 300
    assert info["database_url"].split("://")[0] == database_url.split("://")[0]


def test_served_demo_answers_with_the_printed_token(first: dict[str, Any], demo_dir: Path) -> None:
    with running("demo", "--json", "--data-dir", str(demo_dir)) as server:
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
