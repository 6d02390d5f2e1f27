"""Call intelligence: held-out accuracy, `callscope classify` throughput, and the whole chain.

    python bench/intel.py [--lines 5000] [--json] [--skip-chain]

1. **Accuracy** on the held-out split (tests/data/intel/heldout-*.jsonl: industries the
   training corpus never mentions, written apart from it), with the language detected, not
   given: macro-F1 and per-class recall per language, the confusion matrix, caller
   sentiment macro-F1, lost reason and self-reported source (precision and recall over the
   calls that have one), and how many calls are flagged for review and how right those are.
2. **Throughput**: `callscope classify` on `--lines` held-out calls (repeated), run as a
   user runs it (a new process reading stdin and writing stdout). Baseline in the same run:
   a process that reads and writes the same JSON Lines and does nothing else, the I/O floor.
   Figures are transcripts per second, and the ratio is classify time over baseline time.
3. **The whole chain** on a 3-minute dual-channel call (espeak-ng through the phone line):
   transcribe (tiny.en, as for an English-only account), redact, categorise and insights,
   timed apart; the baseline is the call's own length.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.metrics import confusion_matrix, f1_score, recall_score  # noqa: E402

from callscope.intel.classify import Classifier  # noqa: E402
from callscope.intel.insights import heard_from, lost_reason  # noqa: E402
from callscope.intel.model import CATEGORIES, read_corpus  # noqa: E402
from callscope.intel.text import Document  # noqa: E402

HELDOUT = ROOT / "tests" / "data" / "intel"
LANGUAGES = ("en", "de", "ru")


def accuracy() -> dict[str, Any]:
    classifier = Classifier()
    report: dict[str, Any] = {}
    all_truth: list[str] = []
    all_pred: list[str] = []
    for language in LANGUAGES:
        examples = read_corpus([HELDOUT / f"heldout-{language}.jsonl"])
        docs = [Document(e.document.turns) for e in examples]  # language not given
        verdicts = classifier.classify(docs)
        truth = [e.category for e in examples]
        pred = [v.category for v in verdicts]
        all_truth += truth
        all_pred += pred
        recalls = recall_score(truth, pred, labels=list(CATEGORIES), average=None, zero_division=0)
        review = [v for v in verdicts if v.needs_review]
        review_right = sum(
            v.category == t for v, t in zip(verdicts, truth, strict=True) if v.needs_review
        )
        sure_right = sum(
            v.category == t for v, t in zip(verdicts, truth, strict=True) if not v.needs_review
        )
        lost = score_spans(
            [
                (e.lost_reason, lost_reason(d, e.category)[0])
                for e, d in zip(examples, docs, strict=True)
            ]
        )
        heard = score_spans(
            [(e.heard_from, heard_from(d)[0]) for e, d in zip(examples, docs, strict=True)]
        )
        notes = [
            (json.loads(line).get("note") or "")
            for line in (HELDOUT / f"heldout-{language}.jsonl").open(encoding="utf-8")
            if line.strip()
        ]
        hard = [i for i, note in enumerate(notes) if note.lower().startswith("hard")]
        hard_right = sum(pred[i] == truth[i] for i in hard)
        report[language] = {
            "hard_cases": len(hard),
            "hard_accuracy": round(hard_right / len(hard), 3) if hard else None,
            "calls": len(examples),
            "macro_f1": round(float(f1_score(truth, pred, average="macro")), 3),
            "accuracy": round(
                sum(p == t for p, t in zip(pred, truth, strict=True)) / len(truth), 3
            ),
            "recall": {c: round(float(r), 2) for c, r in zip(CATEGORIES, recalls, strict=True)},
            "sentiment_macro_f1": round(
                float(
                    f1_score(
                        [e.sentiment for e in examples],
                        [v.sentiment for v in verdicts],
                        average="macro",
                    )
                ),
                3,
            ),
            "language_detected": sum(v.language == language for v in verdicts),
            "needs_review": len(review),
            "accuracy_reviewed": round(review_right / len(review), 3) if review else None,
            "accuracy_not_reviewed": round(sure_right / (len(verdicts) - len(review)), 3),
            "lost_reason": lost,
            "heard_from": heard,
        }
    matrix = confusion_matrix(all_truth, all_pred, labels=list(CATEGORIES))
    report["all"] = {
        "macro_f1": round(float(f1_score(all_truth, all_pred, average="macro")), 3),
        "confusion": {
            "labels": list(CATEGORIES),
            "rows_true_columns_predicted": matrix.tolist(),
        },
    }
    return report


def score_spans(pairs: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    """Precision and recall of a label that most calls do not have."""
    said = [(t, p) for t, p in pairs if p is not None]
    has = [(t, p) for t, p in pairs if t is not None]
    right = sum(1 for t, p in pairs if p is not None and t == p)
    return {
        "labelled": len(has),
        "found": len(said),
        "precision": round(right / len(said), 2) if said else None,
        "recall": round(right / len(has), 2) if has else None,
    }


def throughput(lines: int) -> dict[str, Any]:
    examples = [json.loads(x) for p in sorted(HELDOUT.glob("heldout-*.jsonl")) for x in p.open()]
    rows = []
    for i in range(lines):
        e = examples[i % len(examples)]
        body = {"turns": e["turns"]} if "turns" in e else {"text": e["text"]}
        rows.append(json.dumps({"id": i, **body}, ensure_ascii=False))
    data = ("\n".join(rows) + "\n").encode()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"CALLSCOPE_DATA_DIR": tmp, "PATH": str(Path(sys.executable).parent)}
        cli = [sys.executable, "-m", "callscope", "classify"]
        subprocess.run(cli, input=data[:2000].rsplit(b"\n", 1)[0] + b"\n", env=env, check=True, capture_output=True)  # fmt: skip
        copy = [sys.executable, "-c", COPY]
        base = min(timed(copy, data, env) for _ in range(3))
        best = min(timed(cli, data, env) for _ in range(3))
        out = subprocess.run(cli, input=data, env=env, check=True, capture_output=True).stdout
    categories = Counter(json.loads(x)["category"] for x in out.decode().splitlines())
    return {
        "lines": lines,
        "classify_seconds": round(best, 2),
        "transcripts_per_second": round(lines / best),
        "baseline_seconds": round(base, 2),
        "baseline_per_second": round(lines / base),
        "ratio_to_baseline": round(best / base, 1),
        "categories": dict(categories.most_common()),
    }


COPY = """
import json, sys
for line in sys.stdin:
    if line.strip():
        row = json.loads(line)
        sys.stdout.write(json.dumps({"id": row["id"], "category": None}) + "\\n")
"""


def timed(command: list[str], data: bytes, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, input=data, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


CHAIN = [
    ("agent", "Thank you for calling Apex Appliances, this is Jordan, how can I help you today?"),
    ("caller", "Hi Jordan, I saw your van on Oak Street. My dishwasher stopped draining and I "
     "think the pump is broken. I would like to know what a repair costs."),
    ("agent", "I can help with that. What is the brand and how old is the machine?"),
    ("caller", "It is a Bosch, about six years old. It makes a humming noise and the water just "
     "sits at the bottom."),
    ("agent", "That sounds like the drain pump. The part is about eighty dollars and the labour "
     "is one hundred and twenty, so about two hundred dollars in total."),
    ("caller", "Okay, that is less than I feared. When could somebody come out?"),
    ("agent", "We have an opening on Thursday between nine and eleven in the morning."),
    ("caller", "Thursday morning works. Can I pay for the visit now?"),
    ("agent", "Of course. What is the card number?"),
    ("caller", "It is four two four two, four two four two, four two four two, four two four two."),
    ("agent", "And the expiry date and the security code?"),
    ("caller", "Expiry is twelve twenty eight and the code is one two three."),
    ("agent", "Thank you. You are booked for Thursday between nine and eleven. The technician "
     "will call you half an hour before he arrives."),
    ("caller", "Great. Do I need to empty the dishwasher before he comes?"),
    ("agent", "Yes please, and if you can, clear the space under the sink as well."),
    ("caller", "Will do. And if the pump is not the problem, what happens then?"),
    ("agent", "Then he will tell you what it is and what it costs before he does anything else."),
    ("caller", "That sounds fair. Thank you very much for your help, Jordan."),
    ("agent", "You are welcome. Is there anything else I can do for you today?"),
    ("caller", "No, that is everything. Have a nice day."),
]  # fmt: skip


def chain() -> dict[str, Any]:
    from tests import speechgen

    from callscope.config import Settings
    from callscope.intel.service import Intelligence
    from callscope.speech.audio import load
    from callscope.speech.pipeline import analyze
    from callscope.speech.transcribe import Transcriber

    with tempfile.TemporaryDirectory() as tmp:
        turns = [(speaker, "en", text) for speaker, text in CHAIN]
        path = Path(tmp) / "call.wav"
        # slow the speech to a phone call's pace: repeat the script until it is 3 minutes
        speechgen.call(turns + turns, path, gap=1.2)
        seconds = load(path, 3600).duration
        settings = Settings(data_dir=Path(tmp) / "data")
        transcriber = Transcriber(settings)
        intelligence = Intelligence(settings)
        analyze(path, settings, transcriber, languages=["en"])  # warm-up: load the models
        intelligence.analyze([Document.from_text("warm up")], None)
        start = time.perf_counter()
        transcript, _ = analyze(path, settings, transcriber, languages=["en"])
        speech = time.perf_counter() - start
        start = time.perf_counter()
        document = Document.from_turns(
            [{"speaker": t.speaker, "text": t.text} for t in transcript.turns], transcript.language
        )
        (result,) = intelligence.analyze([document], None)
        intel = time.perf_counter() - start
    return {
        "audio_seconds": round(seconds, 1),
        "transcribe_and_redact_seconds": round(speech, 2),
        "categorise_and_insights_seconds": round(intel, 4),
        "total_seconds": round(speech + intel, 2),
        "x_real_time": round(seconds / (speech + intel), 1),
        "category": result.verdict.category,
        "lead_score": result.found.lead_score,
        "topics": result.found.topics,
        "heard_from": result.found.heard_from,
        "redactions": transcript.redactions,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-chain", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"accuracy": accuracy()}
    if args.lines:
        result["throughput"] = throughput(args.lines)
    if not args.skip_chain:
        result["chain"] = chain()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    acc = result["accuracy"]
    print("held-out accuracy (language detected):")
    for language in LANGUAGES:
        r = acc[language]
        print(
            f"  {language}: macro-F1 {r['macro_f1']}, accuracy {r['accuracy']}, "
            f"sentiment macro-F1 {r['sentiment_macro_f1']}, review {r['needs_review']}/{r['calls']} "
            f"(right {r['accuracy_reviewed']} flagged, {r['accuracy_not_reviewed']} not)"
        )
        print("     recall " + ", ".join(f"{c} {v}" for c, v in r["recall"].items()))
        print(
            f"     hard cases (marked in the split's notes): {r['hard_cases']}, accuracy {r['hard_accuracy']}"
        )
        print(f"     lost reason {r['lost_reason']}, heard from {r['heard_from']}")
    print(f"  all: macro-F1 {acc['all']['macro_f1']}")
    labels = acc["all"]["confusion"]["labels"]
    print("  confusion (rows true, columns predicted): " + " ".join(c[:5] for c in labels))
    for label, row in zip(
        labels, acc["all"]["confusion"]["rows_true_columns_predicted"], strict=True
    ):
        print(f"    {label[:16]:16} " + " ".join(f"{n:5d}" for n in row))
    if "throughput" in result:
        t = result["throughput"]
        print(
            f"classify: {t['lines']} transcripts in {t['classify_seconds']} s = "
            f"{t['transcripts_per_second']}/s; I/O baseline {t['baseline_per_second']}/s; "
            f"ratio {t['ratio_to_baseline']}x"
        )
    if "chain" in result:
        c = result["chain"]
        print(
            f"chain on a {c['audio_seconds']} s dual-channel call: transcribe+redact "
            f"{c['transcribe_and_redact_seconds']} s, categorise+insights "
            f"{c['categorise_and_insights_seconds']} s, total {c['total_seconds']} s "
            f"({c['x_real_time']}x real time); {c['category']}, lead score {c['lead_score']}, "
            f"redactions {c['redactions']}"
        )


if __name__ == "__main__":
    main()
