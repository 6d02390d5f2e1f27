"""Phone-call audio made in the test run: espeak-ng voices through a phone line with sox.

Synthetic voices are hard for Whisper (see docs/speech.md), so tests on these files check
plumbing (channels, turns, timing, redaction) with loose word-error bounds; accuracy is
judged on the real human clips in tests/data/speech.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

RATE = 8000
VOICES = {"en": "en-us", "de": "de", "ru": "ru"}
PHONE = ["-r", str(RATE), "-e", "u-law", "-b", "8"]  # G.711 at 8 kHz
BAND = ["sinc", "300-3400"]


def need_tools() -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run `make system-deps` (Debian's espeak-ng and sox)")


def say(text: str, lang: str, out: Path, speed: int = 150) -> Path:
    """One utterance as 8 kHz 16-bit mono PCM (band-passed like a phone line)."""
    need_tools()
    raw = out.with_suffix(".raw.wav")
    subprocess.run(
        ["espeak-ng", "-v", VOICES[lang], "-s", str(speed), "-w", str(raw), text], check=True
    )
    subprocess.run(
        ["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out), *BAND], check=True
    )
    raw.unlink()
    return out


def read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def read_stereo(path: Path) -> np.ndarray:
    """Samples as (frames, channels) int16."""
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2
        assert w.getframerate() == RATE
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return data.reshape(-1, w.getnchannels())


def write(path: Path, channels: list[np.ndarray]) -> None:
    frames = np.stack(channels, axis=1) if len(channels) > 1 else channels[0]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames.astype(np.int16).tobytes())


def call(turns: list[tuple[str, str, str]], out: Path, gap: float = 0.6, ulaw: bool = True) -> Path:
    """A dual-channel call: turns of (speaker 'caller' | 'agent', language, text).

    The caller is on the left channel and the agent on the right, as in Twilio's dual
    recordings; each turn starts `gap` seconds after the previous one ends.
    """
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    pause = np.zeros(int(gap * RATE), dtype=np.int16)
    for i, (speaker, lang, text) in enumerate(turns):
        voice = read(say(text, lang, out.parent / f"{out.stem}-{i}.wav"))
        silence = np.zeros_like(voice)
        mine, other = (left, right) if speaker == "caller" else (right, left)
        mine += [pause, voice]
        other += [pause, silence]
    pcm = out.with_suffix(".pcm.wav")
    write(pcm, [np.concatenate(left), np.concatenate(right)])
    if ulaw:
        subprocess.run(["sox", str(pcm), *PHONE, str(out)], check=True)
        pcm.unlink()
    else:
        pcm.replace(out)
    return out


def mono(text: str, lang: str, out: Path) -> Path:
    pcm = say(text, lang, out.with_suffix(".pcm.wav"))
    subprocess.run(["sox", str(pcm), *PHONE, str(out)], check=True)
    return out
