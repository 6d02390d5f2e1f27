"""The `callscope` command: accounts, tokens, migrations, settings, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from callscope.accounts.models import Account
from tests.cli import run, run_json


@pytest.fixture
def cli_db(db: Engine, database_url: str) -> list[str]:
    """Global options pointing the command at the test database (emptied for this test)."""
    return ["--database-url", database_url]


def accounts(app: FastAPI) -> int:
    with app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def test_account_create_prints_a_working_token(cli_db: list[str], client: TestClient) -> None:
    made = run_json(
        *cli_db,
        "account",
        "create",
        "Joe's Plumbing",
        "--email",
        "Joe@Example.com",
        "--timezone",
        "America/Chicago",
        "--json",
    )
    assert made["email"] == "joe@example.com"
    assert made["api_token"].startswith("cs_")
    assert len(made["password"]) >= 12
    response = client.get(
        "/api/v1/account", headers={"Authorization": f"Bearer {made['api_token']}"}
    )
    assert response.json()["timezone"] == "America/Chicago"

    human = run(*cli_db, "account", "create", "Other", "--email", "o@example.com")
    assert human.returncode == 0
    assert "API token (shown once): cs_" in human.stdout
    listing = run(*cli_db, "account", "list")
    assert "Joe's Plumbing" in listing.stdout
    assert "Other" in listing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email"], "email"),
        (["--email", "a@example.com", "--timezone", "Nowhere/Land"], "time zone"),
        (["--email", "a@example.com", "--currency", "dollars"], "currency"),
        (["--email", "a@example.com", "--password", "short"], "password"),
    ],
)
def test_account_create_bad_input(
    cli_db: list[str], app: FastAPI, args: list[str], message: str
) -> None:
    result = run(*cli_db, "account", "create", "X", *args)
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert accounts(app) == 0


def test_account_email_must_be_unique(cli_db: list[str], app: FastAPI) -> None:
    run_json(*cli_db, "account", "create", "A", "--email", "a@example.com", "--json")
    result = run(*cli_db, "account", "create", "B", "--email", "A@example.com")
    assert result.returncode == 1
    assert "a user with this email exists" in result.stderr
    assert accounts(app) == 1


def test_token_create_list_revoke(cli_db: list[str], client: TestClient) -> None:
    account = run_json(*cli_db, "account", "create", "A", "--email", "a@example.com", "--json")
    made = run_json(*cli_db, "token", "create", "--name", "zapier", "--json")
    headers = {"Authorization": f"Bearer {made['api_token']}"}
    assert client.get("/api/v1/sites", headers=headers).status_code == 200

    listing = run(*cli_db, "token", "list")
    assert "zapier" in listing.stdout
    assert made["prefix"] in listing.stdout
    assert made["api_token"] not in listing.stdout

    revoked = run(
        *cli_db, "token", "revoke", made["prefix"] + "...", "--account", str(account["account_id"])
    )
    assert revoked.returncode == 0, revoked.stderr
    assert client.get("/api/v1/sites", headers=headers).status_code == 401
    assert "zapier" not in run(*cli_db, "token", "list").stdout
    assert "zapier" in run(*cli_db, "token", "list", "--revoked").stdout
    # The first token still works.
    assert (
        client.get(
            "/api/v1/sites", headers={"Authorization": f"Bearer {account['api_token']}"}
        ).status_code
        == 200
    )


def test_token_commands_bad_input(cli_db: list[str]) -> None:
    none_yet = run(*cli_db, "token", "create")
    assert none_yet.returncode == 1
    assert "no accounts yet" in none_yet.stderr
    run_json(*cli_db, "account", "create", "A", "--email", "a@example.com", "--json")
    run_json(*cli_db, "account", "create", "B", "--email", "b@example.com", "--json")
    ambiguous = run(*cli_db, "token", "create")
    assert "pass --account" in ambiguous.stderr
    assert run(*cli_db, "token", "create", "--account", "999").returncode == 1
    assert run(*cli_db, "token", "create", "--account", "abc").returncode == 2
    unknown = run(*cli_db, "token", "revoke", "cs_nothere", "--account", "999")
    assert unknown.returncode == 1
    assert run(*cli_db, "token", "create", "--account", "1", "--name", "x" * 101).returncode == 2


def test_db_commands_on_a_fresh_file(tmp_path: Path) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'fresh.db'}"]
    assert "needs `callscope db upgrade`" in run(*url, "db", "current").stdout
    refused = run(*url, "account", "list")
    assert refused.returncode == 1
    assert "callscope db upgrade" in refused.stderr
    assert run(*url, "db", "upgrade").returncode == 0
    assert "up to date" in run(*url, "db", "current").stdout
    assert run(*url, "db", "downgrade", "base").returncode == 0
    assert "current: (empty)" in run(*url, "db", "current").stdout
    bad = run(*url, "db", "downgrade", "no-such-revision")
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr


def test_unreachable_database_is_a_clear_error() -> None:
    result = run("--database-url", "postgresql://nobody@127.0.0.1:1/none", "db", "current")
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_masks_secrets(tmp_path: Path) -> None:
    env = {
        "CALLSCOPE_DATA_DIR": str(tmp_path),
        "CALLSCOPE_DATABASE_URL": "postgresql://cs:hunter2@db.internal/cs",
        "CALLSCOPE_SECRET_KEY": "k" * 40,
    }
    shown = run_json("config", "--json", env=env)
    assert shown["database_url"] == "postgresql://cs:***@db.internal/cs"
    assert shown["secret_key"] == "********"
    assert shown["data_dir"] == str(tmp_path.resolve())
    table = run("config", env=env)
    assert "hunter2" not in table.stdout
    assert "k" * 40 not in table.stdout


def test_unsafe_production_settings_stop_every_command(tmp_path: Path) -> None:
    env = {"CALLSCOPE_ENV": "production", "CALLSCOPE_DATA_DIR": str(tmp_path)}
    for args in (["serve", "--port", "1"], ["config"], ["db", "upgrade"]):
        result = run(*args, env=env)
        assert result.returncode == 2, args
        assert "CALLSCOPE_SECRET_KEY must be set in production" in result.stderr
    assert not (tmp_path / "callscope.db").exists()
