"""The JSON Lines format of `callscope classify`: one call a line in, one verdict a line out.

In: `{"id": ..., "lang": optional, "turns": [{"speaker": "agent"|"caller"|"unknown",
"text": ...}]}` or `{"id": ..., "text": ...}`. Out, in the same order: `{"id", "category",
"confidence", "language", "sentiment", "lead_score", "needs_review"}`, or `{"id", "line",
"error"}` for a line that cannot be read; the run goes on.
"""

from __future__ import annotations

import json
from typing import Any

from callscope.intel.service import Context, Intelligence, Result
from callscope.intel.text import SPEAKERS, Document, normalize_language

MAX_LINE_CHARS = 1_000_000
MAX_TURNS = 5000


class LineError(Exception):
    def __init__(self, ident: Any, message: str) -> None:
        super().__init__(message)
        self.ident = ident


def parse_line(line: str) -> tuple[Any, Document]:
    if len(line) > MAX_LINE_CHARS:
        raise LineError(None, f"the line is over {MAX_LINE_CHARS:,} characters")
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise LineError(None, f"not JSON ({exc})") from None
    if not isinstance(row, dict):
        raise LineError(None, "expected a JSON object")
    ident = row.get("id")
    if ident is None or isinstance(ident, dict | list | bool):
        raise LineError(None, "`id` is missing or not a string or number")
    unknown = set(row) - {"id", "lang", "turns", "text"}
    if unknown:
        raise LineError(ident, f"unknown field(s): {', '.join(sorted(unknown))}")
    lang = row.get("lang")
    if lang is not None and (not isinstance(lang, str) or len(lang) > 16):
        raise LineError(ident, "`lang` must be a language code like en")
    language = normalize_language(lang)
    if ("turns" in row) == ("text" in row):
        raise LineError(ident, "give exactly one of `turns` and `text`")
    if "text" in row:
        if not isinstance(row["text"], str):
            raise LineError(ident, "`text` must be a string")
        return ident, Document.from_text(row["text"], language)
    turns = row["turns"]
    if not isinstance(turns, list) or len(turns) > MAX_TURNS:
        raise LineError(ident, f"`turns` must be a list of at most {MAX_TURNS} turns")
    for n, turn in enumerate(turns):
        if (
            not isinstance(turn, dict)
            or set(turn) - {"speaker", "text", "start", "end"}
            or not isinstance(turn.get("text"), str)
            or turn.get("speaker", "unknown") not in SPEAKERS
        ):
            raise LineError(
                ident,
                f"turns[{n}] must be {{speaker: {'|'.join(SPEAKERS)}, text: string}}",
            )
    return ident, Document.from_turns(turns, language)


def verdict_line(ident: Any, result: Result) -> dict[str, Any]:
    v = result.verdict
    return {
        "id": ident,
        "category": v.category,
        "confidence": v.confidence,
        "language": v.language,
        "sentiment": v.sentiment,
        "lead_score": result.found.lead_score,
        "needs_review": v.needs_review,
    }


class Batches:
    """Turns batches of numbered input lines into output lines, in one process or several.

    Worker processes are forked after the model (and the account's head) are loaded, so
    they share them and start at once; each batch goes to one worker, and the results come
    back in input order.
    """

    current: Batches | None = None  # what a forked worker inherits

    def __init__(self, intelligence: Intelligence, context: Context | None) -> None:
        self.intelligence = intelligence
        self.context = context

    def run(self, batch: list[tuple[int, str]]) -> list[tuple[bool, str]]:
        """(is an error, the output line) for each input line."""
        parsed: list[tuple[int, Any, Document | None, str]] = []
        for number, line in batch:
            try:
                ident, document = parse_line(line)
                parsed.append((number, ident, document, ""))
            except LineError as exc:
                parsed.append((number, exc.ident, None, str(exc)))
        documents = [d for _, _, d, _ in parsed if d is not None]
        results = iter(self.intelligence.analyze(documents, self.context))
        out = []
        for number, ident, found, error in parsed:
            if found is None:
                row = {"id": ident, "line": number, "error": error}
            else:
                row = verdict_line(ident, next(results))
            out.append((found is None, json.dumps(row, ensure_ascii=False)))
        return out


def run_in_worker(batch: list[tuple[int, str]]) -> list[tuple[bool, str]]:
    assert Batches.current is not None
    return Batches.current.run(batch)
