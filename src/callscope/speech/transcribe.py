"""Transcribe decoded audio into speaker turns with word timestamps.

Which model and language (see `plan`): an explicit language wins; an account that speaks
only English gets the English-only model (tiny.en by default, the fastest); an account with
one other language gets the multilingual model told that language; an account with several
gets the multilingual model, which detects the language on the first 30 s of speech and
picks the most probable of the account's languages (`language_source` says "detected" when
Whisper's own first choice was among them with probability >= 0.5, else "guided"). Base
guesses poorly on short phone audio, so the language is always passed once chosen.

Dual-channel audio is transcribed per channel (`speech_channels` names them, Twilio's dual
recordings put the caller left and the agent right), then the segments (phrases) of both channels
are sorted by start time and joined into turns while the speaker stays the same. Mono audio has one
speaker, `unknown`: splitting one channel by voice is not cheap and honest enough here.
Silero VAD (faster-whisper's `vad_filter`) skips silence; a digitally silent channel is
not run at all. `condition_on_previous_text` is off: on phone audio it makes Whisper loop.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import BatchedInferencePipeline

from callscope.config import Settings
from callscope.speech.audio import SAMPLE_RATE, Audio
from callscope.speech.engine import ModelCache, ModelSpec, Runtime, resolve, runtime

UNKNOWN = "unknown"
SILENT_PEAK = 1e-3
SEED = 20261201
LOOPING = (
    2.4  # gzip compression ratio of a segment above which Whisper is looping (its own threshold)
)
PAUSE = 1.0  # seconds of silence inside a segment that end a phrase


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass
class Turn:
    speaker: str
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    language: str | None
    language_probability: float | None
    language_source: str  # given, account, detected, guided, none (no speech)
    model: str
    model_version: str
    device: str
    duration: float
    speech_seconds: float
    processing_seconds: float
    channels: int
    truncated: bool
    turns: list[Turn]
    redactions: dict[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(f"{t.speaker}: {t.text}" for t in self.turns)

    @property
    def real_time_factor(self) -> float:
        return self.processing_seconds / self.duration if self.duration else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["real_time_factor"] = round(self.real_time_factor, 4)
        out["text"] = self.text
        return out


@dataclass(frozen=True)
class Plan:
    setting: str
    model: str
    language: str | None
    source: str


def plan(settings: Settings, language: str | None, languages: list[str]) -> Plan:
    if language:
        english = language == "en"
        return Plan(*_model(settings, english), language, "given")
    if languages == ["en"]:
        return Plan(*_model(settings, True), "en", "account")
    if len(languages) == 1:
        return Plan(*_model(settings, False), languages[0], "account")
    return Plan(*_model(settings, False), None, "detect")


def _model(settings: Settings, english: bool) -> tuple[str, str]:
    if english:
        return "CALLSCOPE_SPEECH_MODEL_EN", settings.speech_model_en
    return "CALLSCOPE_SPEECH_MODEL", settings.speech_model


class Transcriber:
    def __init__(self, settings: Settings, cache: ModelCache | None = None) -> None:
        self.settings = settings
        self.cache = cache or ModelCache(settings.speech_cpu_threads)
        self.runtime: Runtime = runtime(
            settings.speech_device, settings.speech_compute_type, settings.speech_batch_size
        )

    def spec(self, p: Plan) -> ModelSpec:
        return resolve(p.setting, p.model, self.settings.data_dir)

    def transcribe(
        self, audio: Audio, language: str | None = None, languages: list[str] | None = None
    ) -> Transcript:
        p = plan(self.settings, language, languages or ["en", "de", "ru"])
        spec = self.spec(p)
        model = self.cache.get(spec, self.runtime)
        started = time.perf_counter()  # the model load (once per process) is not counted
        names = self._speakers(audio)
        live = [(name, ch) for name, ch in zip(names, audio.channels, strict=True) if _audible(ch)]
        chosen, probability, source = p.language, None, p.source
        if chosen is None:
            chosen, probability, source = self._detect(model, live, languages or [])
        pieces: list[tuple[str, list[Word]]] = []
        speech = 0.0
        for name, channel in live:
            segments, info = self._run(model, channel, chosen)
            speech += info.duration_after_vad if self.settings.speech_vad else info.duration
            for segment in segments:
                words = [
                    Word(_r(w.start), _r(w.end), w.word.strip(), _r(w.probability))
                    for w in segment.words or []
                    if w.word.strip()
                ]
                pieces += [(name, run) for run in split_at_pauses(words)]
        turns = merge_turns(pieces)
        if not turns:  # silence or noise: no language to speak of
            chosen, probability, source = None, None, "none"
        return Transcript(
            language=chosen,
            language_probability=probability,
            language_source=source,
            model=spec.name,
            model_version=spec.version,
            device=f"{self.runtime.device}/{self.runtime.compute_type}",
            duration=_r(audio.duration),
            speech_seconds=_r(speech),
            processing_seconds=_r(time.perf_counter() - started),
            channels=len(audio.channels),
            truncated=audio.truncated,
            turns=turns,
        )

    def _speakers(self, audio: Audio) -> list[str]:
        if not audio.dual:
            return [UNKNOWN]
        left, right = (s.strip() for s in self.settings.speech_channels.split(","))
        return [left, right]

    def _run(self, model: Any, channel: np.ndarray, language: str | None) -> tuple[list[Any], Any]:
        options: dict[str, Any] = {
            "language": language,
            "beam_size": self.settings.speech_beam_size,
            "word_timestamps": True,
            "vad_filter": self.settings.speech_vad,
            "condition_on_previous_text": False,
        }
        # Whisper falls back to sampling on hard audio: a fixed seed per channel makes the
        # same recording give the same transcript (re-analysis, tests). Process-wide, so
        # only exact when one transcription runs at a time, as on the default one worker.
        ctranslate2.set_random_seed(SEED)
        if self.runtime.batch_size > 1 and self.settings.speech_vad:
            pipeline = BatchedInferencePipeline(model)
            segments, info = pipeline.transcribe(
                channel, batch_size=self.runtime.batch_size, **options
            )
            batched = list(segments)
            # The batched pipeline has no temperature fallback: a chunk that loops ("4 .4
            # .4 .4 ..." on a dictated card number) comes back as it is. Such a chunk
            # compresses far too well; the channel is then decoded again sequentially,
            # whose fallback re-decodes exactly those windows.
            if not any(seg.compression_ratio > LOOPING for seg in batched):
                return batched, info
            ctranslate2.set_random_seed(SEED)
        segments, info = model.transcribe(channel, **options)
        return list(segments), info

    def _detect(
        self, model: Any, live: list[tuple[str, np.ndarray]], allowed: list[str]
    ) -> tuple[str | None, float | None, str]:
        if not live:
            return None, None, "none"
        # the channel with the most energy has the most speech to judge by
        _, channel = max(live, key=lambda item: float(np.abs(item[1]).mean()))
        try:
            top, top_p, everything = model.detect_language(
                audio=channel[: 60 * SAMPLE_RATE], vad_filter=self.settings.speech_vad
            )
        except ValueError:  # VAD found no speech at all
            return (allowed[0] if allowed else None), None, "guided"
        if not allowed:
            return top, _r(top_p), "detected"
        probs = dict(everything)
        best = max(allowed, key=lambda lang: probs.get(lang, 0.0))
        source = "detected" if top == best and top_p >= 0.5 else "guided"
        return best, _r(probs.get(best, 0.0)), source


def split_at_pauses(words: list[Word], pause: float = PAUSE) -> list[list[Word]]:
    """A segment's words cut where the speaker paused: VAD glues one channel's phrases
    together across the other party's turn, so one segment can span the whole exchange."""
    runs: list[list[Word]] = []
    for word in words:
        if runs and word.start - runs[-1][-1].end < pause:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def merge_turns(pieces: list[tuple[str, list[Word]]]) -> list[Turn]:
    """Segments of all channels in time order, joined into turns while the speaker stays.

    Whole segments (Whisper's phrases), not single words, are ordered: two people talking
    over each other then give two turns, not a word-by-word zip of both.
    """
    turns: list[Turn] = []
    for speaker, words in sorted(pieces, key=lambda item: (item[1][0].start, item[1][-1].end)):
        if turns and turns[-1].speaker == speaker:
            turn = turns[-1]
            turn.words.extend(words)
            turn.end = max(turn.end, words[-1].end)
        else:
            turns.append(Turn(speaker, words[0].start, words[-1].end, "", list(words)))
    for turn in turns:
        turn.text = " ".join(w.text for w in turn.words)
    return turns


def _audible(channel: np.ndarray) -> bool:
    return channel.size > 0 and float(np.abs(channel).max()) > SILENT_PEAK


def _r(value: float) -> float:
    return round(float(value), 3)
