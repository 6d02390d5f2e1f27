"""An optional OpenAI-compatible chat endpoint that categorises a call.

Set `CALLSCOPE_LLM_URL` (the API base, e.g. `https://api.openai.com/v1` or a local
`http://localhost:11434/v1`), `CALLSCOPE_LLM_MODEL` and `CALLSCOPE_LLM_API_KEY`. The request
is a `POST {url}/chat/completions` with a strict JSON schema (`response_format` of type
`json_schema`) whose `category` enum is the account's own category keys, so a well-behaved
server cannot answer outside them; the answer is validated again here all the same. Any
failure (timeout, HTTP error, not JSON, outside the schema) raises `LlmError`, and the
caller falls back to the local model and records why.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from callscope.config import Settings
from callscope.intel.text import Document

MAX_PROMPT_CHARS = 12_000


class LlmError(Exception):
    pass


class LlmAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str
    confidence: float = Field(ge=0, le=1)
    sentiment: Literal["positive", "neutral", "negative"]
    reason: str = Field(max_length=2000)


def schema(categories: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": list(categories)},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
            "reason": {"type": "string"},
        },
        "required": ["category", "confidence", "sentiment", "reason"],
        "additionalProperties": False,
    }


def prompt(document: Document, categories: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    lines = "\n".join(f"- {key}: {meaning}" for key, meaning in categories)
    system = (
        "You categorise phone calls to a business by their outcome. Choose exactly one "
        f"category:\n{lines}\nAlso give the caller's sentiment and your confidence (0-1). "
        "Answer with the JSON object only."
    )
    if document.has_speakers:
        body = "\n".join(f"{t.speaker}: {t.text}" for t in document.turns)
    else:
        body = document.text
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"Transcript:\n{body[:MAX_PROMPT_CHARS]}"},
    ]


class LlmClient:
    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        if settings.llm_url is None:
            raise ValueError("CALLSCOPE_LLM_URL is not set")
        headers = {"Accept": "application/json"}
        if settings.llm_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
        self.url = f"{settings.llm_url}/chat/completions"
        self.model = settings.llm_model
        self.client = httpx.Client(
            timeout=settings.llm_timeout_seconds, headers=headers, transport=transport
        )

    def close(self) -> None:
        self.client.close()

    def categorise(self, document: Document, categories: Sequence[tuple[str, str]]) -> LlmAnswer:
        keys = [key for key, _ in categories]
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": prompt(document, categories),
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "call_category", "strict": True, "schema": schema(keys)},
            },
        }
        try:
            response = self.client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise LlmError(f"LLM request failed: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise LlmError(f"LLM answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
            answer = LlmAnswer.model_validate(json.loads(content))
        except (ValueError, KeyError, IndexError, TypeError, ValidationError) as exc:
            raise LlmError(f"LLM answer is not the expected JSON: {str(exc)[:200]}") from None
        if answer.category not in keys:
            raise LlmError(f"LLM chose an unknown category {answer.category[:64]!r}")
        return answer
