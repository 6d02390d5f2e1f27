"""Phone-call audio made in the test run: espeak-ng voices through a phone line with sox.

Synthetic voices are hard for Whisper (see docs/speech.md), so tests on these files check
plumbing (channels, turns, timing, redaction) with loose word-error bounds; accuracy is
judged on the real human clips in tests/data/speech.

The files are the same on every run. sox dithers with random noise when it lowers the
sample depth, and one random generation in a few was heard differently (a spoken card
number became "for too far too far"), so a test could fail on an unchanged tree. Here sox
runs without dither (`-D`) and the same low noise is added from a generator seeded by the
text; Whisper itself is seeded (`speech.transcribe.SEED`). Plain `-D`, with no noise at
all, was tried and made 9 speech tests fail on every run.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
import zlib
from pathlib import Path

import numpy as np
import pytest

RATE = 8000
VOICES = {"en": "en-us", "de": "de", "ru": "ru"}
PHONE = ["-r", str(RATE), "-e", "u-law", "-b", "8"]  # G.711 at 8 kHz
BAND = ["sinc", "300-3400"]
DITHER_16 = 1  # peak of sox's dither to 16 bits, in 16-bit steps
DITHER_ULAW = 4  # and to G.711's 14 bits


def dither(samples: np.ndarray, key: str, peak: int) -> np.ndarray:
    """Triangular noise of `peak` steps, the same for the same key."""
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    noise = rng.integers(-peak, peak, samples.size, endpoint=True)
    noise = noise + rng.integers(-peak, peak, samples.size, endpoint=True)
    mixed = samples.astype(np.int32) + noise.reshape(samples.shape) // 2
    return np.clip(mixed, -32768, 32767).astype(np.int16)


def to_ulaw(pcm: Path, out: Path, key: str) -> None:
    with wave.open(str(pcm)) as w:
        channels = w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    frames = dither(data, key, DITHER_ULAW).reshape(-1, channels)
    write(pcm, [frames[:, c] for c in range(channels)])
    subprocess.run(["sox", "-D", str(pcm), *PHONE, str(out)], check=True)


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
        ["sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out), *BAND],
        check=True,
    )
    raw.unlink()
    write(out, [dither(read(out), f"{lang}:{speed}:{text}", DITHER_16)])
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
        to_ulaw(pcm, out, repr(turns))
        pcm.unlink()
    else:
        pcm.replace(out)
    return out


def mono(text: str, lang: str, out: Path) -> Path:
    pcm = say(text, lang, out.with_suffix(".pcm.wav"))
    to_ulaw(pcm, out, f"{lang}:{text}")
    return out
