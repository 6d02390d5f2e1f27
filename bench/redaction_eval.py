"""Recall and false positives of the redactor on the hand-written corpus.

    python bench/redaction_eval.py [--corpus corpus|heldout] [--json] [--misses]

Two corpora, both written by hand for the project: `corpus.jsonl` (343 lines) is the
development set, whose misses were looked at while the redactor was built; `heldout.jsonl`
was written afterwards, independently, and is only measured, never used to change rules.

A found span counts for an expected one when it overlaps it and has the same kind; a found
span that overlaps nothing expected is a false positive. Phones are redacted (they are
off by default in the product) so that their recall is measured too.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from callscope import redaction

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "redaction"
CORPUS = DATA / "corpus.jsonl"
HELDOUT = DATA / "heldout.jsonl"


def locate(text: str, spans: list[dict[str, str]]) -> list[tuple[int, int, str]]:
    out = []
    cursor: dict[str, int] = {}
    for s in spans:
        start = text.index(s["text"], cursor.get(s["text"], 0))
        cursor[s["text"]] = start + 1
        out.append((start, start + len(s["text"]), s["type"]))
    return out


def evaluate(lines: list[dict[str, Any]]) -> dict[str, Any]:
    expected_n: Counter[tuple[str, str]] = Counter()
    hit_n: Counter[tuple[str, str]] = Counter()
    false_pos: Counter[str] = Counter()
    negatives = Counter[str]()
    dirty_negatives = Counter[str]()
    misses: list[str] = []
    started = time.perf_counter()
    for line in lines:
        lang, text = line["lang"], line["text"]
        expected = locate(text, line["spans"])
        found = redaction.find(text, phones=True)
        for a, b, kind in expected:
            expected_n[(lang, kind)] += 1
            if any(f.kind == kind and f.start < b and f.end > a for f in found):
                hit_n[(lang, kind)] += 1
            else:
                misses.append(f"{line['id']} MISS {kind} {text[a:b]!r}")
        for f in found:
            if not any(f.start < b and f.end > a for a, b, _ in expected):
                false_pos[lang] += 1
                misses.append(f"{line['id']} FP {f.kind} {text[f.start : f.end]!r}")
        if not expected:
            negatives[lang] += 1
            if found:
                dirty_negatives[lang] += 1
    elapsed = time.perf_counter() - started
    kinds = sorted({k for _, k in expected_n})
    langs = sorted({lang for lang, _ in expected_n})
    recall = {
        lang: {
            k: round(hit_n[(lang, k)] / expected_n[(lang, k)], 3)
            for k in kinds
            if expected_n[(lang, k)]
        }
        for lang in langs
    }
    total_e = sum(expected_n.values())
    return {
        "lines": len(lines),
        "spans": total_e,
        "recall": round(sum(hit_n.values()) / total_e, 3),
        "recall_by_language_and_kind": recall,
        "false_positive_spans": dict(false_pos),
        "negative_lines_touched": {k: f"{dirty_negatives[k]}/{negatives[k]}" for k in negatives},
        "lines_per_second": round(len(lines) / elapsed),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", choices=["corpus", "heldout"], default="corpus")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list each miss (dev set only)")
    args = parser.parse_args()
    path = CORPUS if args.corpus == "corpus" else HELDOUT
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    result = evaluate(lines)
    if not args.misses or args.corpus == "heldout":
        result.pop("misses")
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
