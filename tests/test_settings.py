"""Settings: defaults, environment, and refusal of unsafe production values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from callscope.config import DEV_SECRET_KEY, Settings


def test_defaults_are_embedded_sqlite_in_var(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CALLSCOPE_DATA_DIR", "CALLSCOPE_DATABASE_URL", "CALLSCOPE_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.data_dir == Path("./var")
    assert settings.effective_database_url == f"sqlite:///{Path('var').resolve() / 'callscope.db'}"
    assert settings.env == "development"


def test_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALLSCOPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CALLSCOPE_LOG_LEVEL", "debug")
    monkeypatch.setenv("CALLSCOPE_PUBLIC_URL", "https://calls.example.com/")
    settings = Settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve() / 'callscope.db'}"
    assert settings.log_level == "DEBUG"
    assert settings.public_url == "https://calls.example.com"


def test_production_refuses_the_builtin_secret() -> None:
    with pytest.raises(ValidationError, match="CALLSCOPE_SECRET_KEY must be set"):
        Settings(env="production")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env="production", secret_key="short")
    ok = Settings(env="production", secret_key="x" * 40)
    assert ok.secret_key.get_secret_value() != DEV_SECRET_KEY


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_url", "mysql://root@localhost/x"),
        ("database_url", "::not a url::"),
        ("public_url", "ftp://example.com"),
        ("log_level", "LOUD"),
        ("env", "staging"),
        ("max_body_bytes", 10),
    ],
)
def test_bad_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})


def test_masked_hides_secrets() -> None:
    settings = Settings(
        database_url="postgresql://callscope:hunter2@db.internal/callscope",
        secret_key="s" * 40,
    )
    masked = settings.masked()
    assert "hunter2" not in str(masked)
    assert "s" * 40 not in str(masked)
    assert masked["database_url"] == "postgresql://callscope:***@db.internal/callscope"
