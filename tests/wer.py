"""Word error rate with text normalised the same way on both sides (jiwer)."""

from __future__ import annotations

import re

import jiwer


def normal(text: str) -> str:
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normal(reference), normal(hypothesis) or "<empty>"))
