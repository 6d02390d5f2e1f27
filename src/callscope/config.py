"""Settings: the one place configuration is read (environment variables prefixed CALLSCOPE_).

Unsafe defaults are refused outside development: a production start with the built-in
secret key is an error, not a warning.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEV_SECRET_KEY = "callscope-development-secret-do-not-use-in-production"  # noqa: S105


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLSCOPE_", extra="ignore")

    env: Environment = Field(
        default=Environment.development,
        description="development or production; production refuses unsafe defaults",
    )
    data_dir: Path = Field(
        default=Path("./var"), description="where the database, recordings and models live"
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file callscope.db in the data directory",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY),
        description="signs sessions and secrets; set it in production",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the URL the world reaches this server at (webhook signatures, snippet tags)",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    redis_url: SecretStr | None = Field(
        default=None,
        description="redis://host:6379/0: number leases shared by several API nodes (default: SQL)",
    )
    redis_prefix: str = Field(
        default="callscope",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="prefix of every Redis key",
    )
    tracking_group_commit: bool = Field(
        default=True,
        description="commit the tracking writes of many visitors in one transaction (one writer "
        "thread per process); off: one transaction per request",
    )
    tracking_rate_per_ip: int = Field(
        default=120, ge=1, description="tracking requests a minute from one client IP"
    )
    tracking_rate_per_site: int = Field(
        default=30_000, ge=1, description="tracking requests a minute for one site"
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="proxies whose X-Forwarded-For is trusted for the client IP (comma list or *)",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="largest request body accepted; larger gets 413"
    )

    calls_sweep_seconds: float = Field(
        default=5.0,
        ge=0,
        description="how often the server looks for call events and recordings left to do "
        "(after a crash, or retries); 0 turns the sweep off",
    )
    recording_max_bytes: int = Field(
        default=200_000_000, ge=1024, description="largest call recording downloaded"
    )
    recording_timeout_seconds: float = Field(
        default=30.0, gt=0, description="connect and read timeout of a recording download"
    )
    recording_private_hosts: bool | None = Field(
        default=None,
        description="fetch recordings from loopback and private addresses (default: only in "
        "development, so that a tenant cannot make a production server fetch internal URLs)",
    )
    recording_max_attempts: int = Field(
        default=6, ge=1, description="downloads tried (with growing pauses) before giving up"
    )

    speech_model: str = Field(
        default="base",
        description="Whisper model for accounts that speak more than English: base (bundled), "
        "a CTranslate2 model folder, or a name already in <data_dir>/models",
    )
    speech_model_en: str = Field(
        default="tiny.en",
        description="Whisper model for English-only accounts and --language en",
    )
    speech_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="auto takes CUDA when a GPU is visible"
    )
    speech_compute_type: str = Field(
        default="default",
        pattern=r"^(default|auto|int8|int8_float16|int8_float32|int8_bfloat16|int16|float16|bfloat16|float32)$",
        description="CTranslate2 compute type; default: int8 on CPU, float16 on CUDA",
    )
    speech_beam_size: int = Field(default=1, ge=1, le=10, description="Whisper beam size")
    speech_batch_size: int | None = Field(
        default=None,
        ge=0,
        le=128,
        description="batched inference chunk count (0: sequential); default: 16 on CUDA, 8 on CPU",
    )
    speech_vad: bool = Field(default=True, description="skip silence with Silero VAD")
    speech_cpu_threads: int = Field(
        default=0, ge=0, le=256, description="CTranslate2 threads per model; 0: all cores"
    )
    speech_max_seconds: float = Field(
        default=4 * 3600, gt=0, description="longest recording transcribed"
    )
    speech_channels: str = Field(
        default="caller,agent",
        pattern=r"^\s*(caller|agent)\s*,\s*(caller|agent)\s*$",
        description="who is on the left and right channel of a dual-channel recording",
    )

    jobs_backend: Literal["embedded", "redis"] = Field(
        default="embedded",
        description="embedded: a SQLite queue in the data directory, worked by threads in "
        "`callscope serve`; redis: a queue in CALLSCOPE_REDIS_URL worked by `callscope worker`",
    )
    jobs_in_server: bool | None = Field(
        default=None,
        description="run job workers inside `callscope serve` (default: yes when embedded)",
    )
    jobs_workers: int = Field(default=1, ge=1, le=64, description="worker threads per queue")
    jobs_lease_seconds: float = Field(
        default=120.0,
        ge=1,
        description="a running job whose worker sent no heartbeat for this long is run again",
    )
    jobs_max_attempts: int = Field(
        default=5, ge=1, description="runs of a job (with growing pauses) before it fails"
    )
    jobs_sweep_seconds: float = Field(
        default=2.0, gt=0, description="how often due jobs are handed to the workers"
    )

    intel_review_below: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="a category with a lower confidence is flagged needs_review",
    )
    llm_url: str | None = Field(
        default=None,
        description="an OpenAI-compatible API base URL (e.g. http://localhost:11434/v1) used "
        "to categorise calls; unset: the local model only",
    )
    llm_model: str = Field(default="gpt-4o-mini", max_length=200, description="the LLM's name")
    llm_api_key: SecretStr | None = Field(
        default=None, description="bearer key for CALLSCOPE_LLM_URL"
    )
    llm_mode: Literal["instead", "beside"] = Field(
        default="instead",
        description="instead: the LLM's answer is the call's category (the local model when it "
        "fails); beside: the local model decides and the LLM's answer is stored next to it",
    )
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=600)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("llm_url")
    @classmethod
    def _llm_http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("llm_url must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _parseable_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL (sqlite:///path or postgresql://...)") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("database_url must be SQLite or PostgreSQL")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env is Environment.production:
            key = self.secret_key.get_secret_value()
            if key == DEV_SECRET_KEY:
                raise ValueError(
                    "CALLSCOPE_SECRET_KEY must be set in production (the built-in key is public)"
                )
            if len(key) < 32:
                raise ValueError(
                    "CALLSCOPE_SECRET_KEY must be at least 32 characters in production"
                )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'callscope.db').resolve()}"

    @property
    def fetch_private_hosts(self) -> bool:
        if self.recording_private_hosts is None:
            return self.env is Environment.development
        return self.recording_private_hosts

    @property
    def run_jobs_in_server(self) -> bool:
        if self.jobs_in_server is None:
            return self.jobs_backend == "embedded"
        return self.jobs_in_server

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]

    def masked(self) -> dict[str, Any]:
        """The effective settings with secrets hidden, for `callscope config`."""
        url = make_url(self.effective_database_url)
        return {
            "env": self.env.value,
            "data_dir": str(self.data_dir.resolve()),
            "database_url": url.render_as_string(hide_password=True),
            "secret_key": "(built-in development key)"
            if self.secret_key.get_secret_value() == DEV_SECRET_KEY
            else "********",
            "public_url": self.public_url,
            "log_level": self.log_level,
            "redis_url": make_url_masked(self.redis_url),
            "redis_prefix": self.redis_prefix,
            "tracking_group_commit": self.tracking_group_commit,
            "tracking_rate_per_ip": self.tracking_rate_per_ip,
            "tracking_rate_per_site": self.tracking_rate_per_site,
            "forwarded_allow_ips": self.forwarded_allow_ips,
            "max_body_bytes": self.max_body_bytes,
            "calls_sweep_seconds": self.calls_sweep_seconds,
            "recording_max_bytes": self.recording_max_bytes,
            "recording_timeout_seconds": self.recording_timeout_seconds,
            "recording_max_attempts": self.recording_max_attempts,
            "recording_private_hosts": self.fetch_private_hosts,
            "speech_model": self.speech_model,
            "speech_model_en": self.speech_model_en,
            "speech_device": self.speech_device,
            "speech_compute_type": self.speech_compute_type,
            "speech_beam_size": self.speech_beam_size,
            "speech_batch_size": self.speech_batch_size,
            "speech_vad": self.speech_vad,
            "speech_cpu_threads": self.speech_cpu_threads,
            "speech_max_seconds": self.speech_max_seconds,
            "speech_channels": self.speech_channels,
            "jobs_backend": self.jobs_backend,
            "jobs_in_server": self.run_jobs_in_server,
            "jobs_workers": self.jobs_workers,
            "jobs_lease_seconds": self.jobs_lease_seconds,
            "jobs_max_attempts": self.jobs_max_attempts,
            "jobs_sweep_seconds": self.jobs_sweep_seconds,
            "intel_review_below": self.intel_review_below,
            "llm_url": make_url_masked(SecretStr(self.llm_url)) if self.llm_url else None,
            "llm_model": self.llm_model,
            "llm_api_key": None if self.llm_api_key is None else "********",
            "llm_mode": self.llm_mode,
            "llm_timeout_seconds": self.llm_timeout_seconds,
        }


def make_url_masked(secret: SecretStr | None) -> str | None:
    if secret is None:
        return None
    scheme, sep, rest = secret.get_secret_value().partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
