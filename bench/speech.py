"""Speech speed and accuracy: tiny.en and base on this machine's CPUs, int8.

    python bench/speech.py [--repeat 3] [--json]

Inputs, all made in the run and put through the phone line (8 kHz u-law, 300-3400 Hz):
- `real`: the six real human English clips of tests/data/speech joined into one file
  (46 s), with their reference text;
- `synthetic en/de/ru`: espeak-ng calls of about 30 s in each language (dual-channel).

Each configuration transcribes each input `--repeat` times after one warm-up (the model is
loaded once, outside the timing); the best wall time counts, as the machine is shared.
Speed is audio seconds per wall second ("x real time"); the ratio column compares each
configuration with the baseline measured in the same run on the same input: tiny.en, VAD
on, sequential (base, VAD on, sequential for German and Russian, which tiny.en cannot do).
Audio seconds are the call's length; a dual-channel call is two channels to transcribe.
Word error rates use the same normalisation as the tests (tests/wer.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import speechgen  # noqa: E402
from tests.wer import wer  # noqa: E402

from callscope.config import Settings  # noqa: E402
from callscope.speech.audio import load  # noqa: E402
from callscope.speech.transcribe import Transcriber  # noqa: E402

SYNTHETIC = {
    "en": [
        ("agent", "Thank you for calling Acme Plumbing, this is Sam speaking, how can I help?"),
        ("caller", "Hi, my water heater is leaking and I need someone to come out today."),
        ("agent", "I am sorry to hear that. What is your address?"),
        ("caller", "It is twelve Main Street, near the post office."),
        ("agent", "We can send a technician between two and four this afternoon."),
        ("caller", "That works, thank you very much."),
    ],
    "de": [
        ("agent", "Zahnarztpraxis Müller, guten Tag, was kann ich für Sie tun?"),
        ("caller", "Guten Tag, ich hätte gern einen Termin zur Kontrolle."),
        ("agent", "Gern, passt Ihnen Dienstag um zehn Uhr?"),
        ("caller", "Ja, Dienstag um zehn passt mir gut."),
        ("agent", "Dann bis Dienstag, auf Wiederhören."),
    ],
    "ru": [
        ("agent", "Автосалон Север, здравствуйте, чем могу помочь?"),
        ("caller", "Здравствуйте, я хочу записаться на тест драйв в субботу."),
        ("agent", "Конечно, на какое время вам удобно?"),
        ("caller", "В одиннадцать утра, если можно."),
        ("agent", "Записала вас на субботу, до встречи."),
    ],
}

CONFIGS = [
    ("tiny.en", True, 0),
    ("tiny.en", False, 0),
    ("tiny.en", True, 8),
    ("base", True, 0),
    ("base", False, 0),
    ("base", True, 8),
]


def inputs(work: Path) -> list[dict[str, Any]]:
    data = ROOT / "tests" / "data" / "speech"
    refs = json.loads((data / "transcripts.json").read_text())
    real = work / "real.wav"
    subprocess.run(
        ["sox", *[str(data / n) for n in refs], *speechgen.PHONE, "-c", "1", str(real),
         *speechgen.BAND],
        check=True,
    )  # fmt: skip
    out = [
        {
            "name": "real en",
            "path": real,
            "lang": "en",
            "ref": " ".join(r["text"] for r in refs.values()),
        }
    ]
    for lang, turns in SYNTHETIC.items():
        path = speechgen.call([(who, lang, text) for who, text in turns], work / f"{lang}.wav")
        out.append(
            {
                "name": f"synthetic {lang}",
                "path": path,
                "lang": lang,
                "ref": " ".join(t for _, t in turns),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips = inputs(work)
        for model, vad, batch in CONFIGS:
            settings = Settings(
                data_dir=work / "data",
                speech_model=model,
                speech_model_en=model,
                speech_vad=vad,
                speech_batch_size=batch,
                speech_device="cpu",
            )
            transcriber = Transcriber(settings)
            for clip in clips:
                if model.endswith(".en") and clip["lang"] != "en":
                    continue
                audio = load(clip["path"], 3600)
                transcriber.transcribe(audio, clip["lang"])  # warm-up, model load
                best = float("inf")
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    t = transcriber.transcribe(audio, clip["lang"])
                    best = min(best, time.perf_counter() - started)
                said = " ".join(turn.text for turn in t.turns)
                rows.append(
                    {
                        "model": model,
                        "vad": vad,
                        "batch": batch,
                        "input": clip["name"],
                        "audio_s": round(audio.duration, 1),
                        "channels": len(audio.channels),
                        "wall_s": round(best, 2),
                        "x_real_time": round(audio.duration / best, 1),
                        "wer": round(wer(clip["ref"], said), 3),
                    }
                )
                print(json.dumps(rows[-1]), file=sys.stderr)
    base: dict[str, float] = {}
    for r in rows:  # the first configuration run on an input is its baseline
        base.setdefault(r["input"], r["x_real_time"])
    for r in rows:
        r["ratio"] = round(r["x_real_time"] / base[r["input"]], 2)
    if args.json:
        print(json.dumps(rows))
        return
    print("| model | VAD | batch | input | call s | wall s | x real time | ratio | WER |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['ratio']:.2f}"
        print(
            f"| {r['model']} | {'on' if r['vad'] else 'off'} | {r['batch'] or '-'} | {r['input']} "
            f"| {r['audio_s']}{' (2 ch)' if r['channels'] == 2 else ''} | {r['wall_s']} | {r['x_real_time']} | {ratio} | {r['wer']:.3f} |"
        )


if __name__ == "__main__":
    main()
