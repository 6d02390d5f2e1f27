"""The analysis chain for one recording: decode, transcribe, redact.

`analyze` is what both `callscope analyze FILE` and the analysis job run, so the command
line shows exactly what the server stores. Redaction runs on the whole transcript's text
(turns joined in time order, so a question in one turn and the answer in the next are read
together) and is mapped back onto the words: a redacted number becomes one word holding the
placeholder, with the time span of the words it replaced. Those spans, for card numbers,
codes and expiry dates, are what `silence` blanks in the stored audio.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from callscope import redaction
from callscope.config import Settings
from callscope.speech.audio import load
from callscope.speech.transcribe import Transcriber, Transcript, Turn, Word

PAD = 0.25  # seconds silenced either side of a redacted number's words


@dataclass(frozen=True)
class Blank:
    speaker: str
    start: float
    end: float
    kind: str


def analyze(
    path: Path | str,
    settings: Settings,
    transcriber: Transcriber | None = None,
    language: str | None = None,
    languages: list[str] | None = None,
    phones: bool = False,
) -> tuple[Transcript, list[Blank]]:
    audio = load(path, settings.speech_max_seconds)
    transcript = (transcriber or Transcriber(settings)).transcribe(audio, language, languages)
    blanks = redact_transcript(transcript, phones)
    return transcript, blanks


def redact_transcript(transcript: Transcript, phones: bool = False) -> list[Blank]:
    """Redact the transcript in place; the time spans of what was redacted."""
    located: list[tuple[int, int, Turn, int]] = []  # start, end, turn, word index
    pieces: list[str] = []
    offset = 0
    for turn in transcript.turns:
        for k, word in enumerate(turn.words):
            if k:
                pieces.append(" ")
                offset += 1
            located.append((offset, offset + len(word.text), turn, k))
            pieces.append(word.text)
            offset += len(word.text)
        pieces.append("\n")
        offset += 1
    text = "".join(pieces)
    spans = redaction.find(text, phones)
    blanks: list[Blank] = []
    replaced: dict[tuple[int, int], str] = {}  # (turn id, word index) -> new text or ""
    for span in spans:
        hit = [(t, k) for s, e, t, k in located if s < span.end and e > span.start]
        by_turn: dict[int, list[int]] = {}
        turns = {id(t): t for t, _ in hit}
        for t, k in hit:
            by_turn.setdefault(id(t), []).append(k)
        for tid, ks in by_turn.items():
            turn = turns[tid]
            first, last = turn.words[ks[0]], turn.words[ks[-1]]
            replaced[(tid, ks[0])] = redaction.PLACEHOLDERS[span.kind]
            for k in ks[1:]:
                replaced[(tid, k)] = ""
            first.end = last.end
            first.probability = min(turn.words[k].probability for k in ks)
            if span.kind in redaction.PAYMENT_KINDS:
                blanks.append(Blank(turn.speaker, first.start, last.end, span.kind))
        transcript.redactions[span.kind] = transcript.redactions.get(span.kind, 0) + 1
    for turn in transcript.turns:
        kept: list[Word] = []
        for k, word in enumerate(turn.words):
            new = replaced.get((id(turn), k))
            if new == "":
                continue
            if new is not None:
                word.text = new
            kept.append(word)
        turn.words = kept
        turn.text = " ".join(w.text for w in kept)
    return blanks


def silence(path: Path, blanks: list[Blank], speakers: list[str]) -> Path:
    """Write a copy of the recording with the blanked spans silenced, as 16-bit PCM WAV.

    Dual-channel audio is silenced on the speaking party's channel only; mono everywhere.
    The original file is replaced (same folder, `.wav`), so no unredacted copy is kept.
    """
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        channels = stream.codec_context.channels
        layout = "stereo" if channels == 2 else "mono"
        resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
        chunks = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
    samples = np.concatenate(chunks).reshape(-1, channels).copy()
    for blank in blanks:
        a = max(0, int((blank.start - PAD) * rate))
        b = min(samples.shape[0], int((blank.end + PAD) * rate))
        if channels == 2 and blank.speaker in speakers:
            samples[a:b, speakers.index(blank.speaker)] = 0
        else:
            samples[a:b, :] = 0
    target = path.with_suffix(".wav")
    partial = path.with_suffix(".redacting.wav")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype(np.int16).tobytes())
    partial.replace(target)
    if target != path:
        path.unlink(missing_ok=True)
    return target
