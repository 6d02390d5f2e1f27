"""Redaction: recall and false positives on the hand-written corpus, formats, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bench.redaction_eval import CORPUS, HELDOUT, evaluate

from callscope.redaction import luhn, redact

CLI = [sys.executable, "-m", "callscope"]


def test_corpus_recall_and_false_positives() -> None:
    lines = [json.loads(x) for x in CORPUS.read_text().splitlines() if x.strip()]
    result = evaluate(lines)
    assert result["lines"] >= 300
    assert result["recall"] >= 0.95, result["misses"]
    for lang, kinds in result["recall_by_language_and_kind"].items():
        assert kinds["card"] >= 0.95, (lang, result["misses"])
        assert kinds["iban"] >= 0.8, (lang, result["misses"])
        assert kinds["email"] >= 0.8, (lang, result["misses"])
    assert sum(result["false_positive_spans"].values()) <= 6, result["misses"]


def test_heldout_corpus_recall() -> None:
    """Lines written after the rules, never used to change them: a check against overfitting."""
    lines = [json.loads(x) for x in HELDOUT.read_text().splitlines() if x.strip()]
    result = evaluate(lines)
    assert result["lines"] >= 150
    # bounds a little under the first measurement (0.869 overall, cards 0.875-0.929): a
    # regression check; the misses are deliberately not looked at (bench/RESULTS.md)
    assert result["recall"] >= 0.85, result["recall_by_language_and_kind"]
    for lang, kinds in result["recall_by_language_and_kind"].items():
        assert kinds["card"] >= 0.85, (lang, kinds)
    assert sum(result["false_positive_spans"].values()) <= 8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4242 4242 4242 4242 exp 04/27 cvv 123", "card [CARD] exp [EXPIRY] cvv [CVV]"),
        ("4242-4242-4242-4242", "[CARD]"),
        ("4242424242424242.", "[CARD]."),
        ("four two four two four two four two four two four two four two four two", "[CARD]"),
        (
            "it's forty two forty two, um, forty two forty two forty two forty two forty two forty two",
            "it's [CARD]",
        ),
        ("double four one one one one one one one one one one one one one eight", "[CARD]"),
        (
            "Karte vier eins eins eins eins eins eins eins eins eins eins eins eins eins eins eins",
            "Karte [CARD]",
        ),
        (
            "карта четыре один один один один один один один один один один один один один один один",
            "карта [CARD]",
        ),
        ("Amex 3782 822463 10005, four digit code 1234", "Amex [CARD], four digit code [CVV]"),
        ("IBAN DE89 3704 0044 0532 0130 00", "IBAN [IBAN]"),
        ("iban gb82west12345698765432", "iban [IBAN]"),
        ("account number 12345678 please", "account number [BANK_ACCOUNT] please"),
        ("write to anna.lee@example.com", "write to [EMAIL]"),
        ("anna dot lee at gmail dot com", "[EMAIL]"),
    ],
)
def test_formats_are_redacted(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 4242 4242 4242 4241 ships today",  # fails Luhn
        "the gate code is 123",  # a code without card talk
        "we take cards, it's $1,299.99 for two or three days",
        "I'm at home, call me back at five",
        "am 12.03.2025 um 15:30 in 10115 Berlin",
        "заказ номер 123456 будет готов в 15:00",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact(text).text == text


def test_phones_only_when_asked() -> None:
    text = "call me on (512) 555-0199"
    assert redact(text).text == text
    assert redact(text, phones=True).text == "call me on [PHONE]"


def test_luhn() -> None:
    assert luhn("4242424242424242")
    assert not luhn("4242424242424241")


def run(
    args: list[str], stdin: str | bytes = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [*CLI, "redact", *args], input=data, capture_output=True, cwd=cwd, check=False
    )


def test_cli_redacts_text_and_json_lines(tmp_path: Path) -> None:
    done = run([], "card 4242 4242 4242 4242\nmail a.b@example.org\n")
    assert done.returncode == 0
    assert done.stdout.decode() == "card [CARD]\nmail [EMAIL]\n"
    lines = '{"id": 1, "text": "IBAN DE89 3704 0044 0532 0130 00"}\n{"id": 2, "text": "hi"}\n'
    done = run([], lines)
    assert done.returncode == 0
    assert [json.loads(x) for x in done.stdout.decode().splitlines()] == [
        {"id": 1, "text": "IBAN [IBAN]"},
        {"id": 2, "text": "hi"},
    ]
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(lines)
    assert run(["--in", str(source), "--out", str(target)]).returncode == 0
    assert "[IBAN]" in target.read_text()


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"text": "ok"}\n{"text": 5}\n', "line 2: expected an object with a string `text` field"),
        ('{"text": "ok"}\nnot json\n', "line 2: not JSON"),
        (b"\xff\xfe card", "not UTF-8"),
    ],
)
def test_cli_bad_input_writes_nothing(tmp_path: Path, stdin: str | bytes, message: str) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("before")
    source = tmp_path / "in.txt"
    source.write_bytes(stdin.encode() if isinstance(stdin, str) else stdin)
    done = run(["--in", str(source), "--out", str(target)])
    assert done.returncode == 1
    assert message in done.stderr.decode()
    assert target.read_text() == "before"
    assert not list(tmp_path.glob("*.partial"))


def test_cli_missing_input_file(tmp_path: Path) -> None:
    done = run(["--in", str(tmp_path / "nope.txt")])
    assert done.returncode == 1
    assert "no such file" in done.stderr.decode()


def test_cli_large_input(tmp_path: Path) -> None:
    line = "Caller: my card is 4242 4242 4242 4242, thanks. " * 20 + "\n"
    source = tmp_path / "big.txt"
    source.write_text(line * 2000)  # about 2 MB
    done = run(["--in", str(source)])
    assert done.returncode == 0
    assert done.stdout.decode().count("[CARD]") == 40_000
    assert "4242" not in done.stdout.decode()
