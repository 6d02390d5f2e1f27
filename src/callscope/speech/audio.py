"""Decode a call recording into 16 kHz float channels, refusing what is not phone audio.

PyAV (FFmpeg, already a faster-whisper dependency) reads any container a provider sends
(WAV with PCM or u-law, MP3, OGG, FLAC...). Each channel is kept apart: a dual-channel
recording has one party per channel, which is how speaker turns are found without guessing.
The checks run before the expensive part: a file that is empty, not audio, has more than
two channels, a sample rate outside 8-48 kHz, or is longer than `speech_max_seconds`
raises `AudioError` with the reason. A file cut short mid-stream keeps the audio decoded
up to the cut (`truncated` says so): a half-uploaded recording still yields a transcript.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

log = logging.getLogger("callscope.speech")

SAMPLE_RATE = 16_000  # what Whisper takes
MIN_RATE = 8_000
MAX_RATE = 48_000


class AudioError(ValueError):
    """The file cannot be transcribed; the message says why."""


@dataclass(frozen=True)
class Audio:
    channels: list[np.ndarray]  # float32 at SAMPLE_RATE, one array per channel
    source_rate: int
    duration: float  # seconds
    truncated: bool = False

    @property
    def dual(self) -> bool:
        return len(self.channels) == 2


def load(path: Path | str, max_seconds: float) -> Audio:
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({_reason(exc)})") from None
    with container:
        if not container.streams.audio:
            raise AudioError(f"{path}: the file has no audio stream")
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate or 0
        channels = stream.codec_context.channels or 0
        if not MIN_RATE <= rate <= MAX_RATE:
            raise AudioError(
                f"{path}: unsupported sample rate {rate} Hz (phone audio is {MIN_RATE}-{MAX_RATE} Hz)"
            )
        if channels not in (1, 2):
            raise AudioError(f"{path}: {channels} channels (expected mono or dual-channel)")
        known = _known_duration(container, stream)
        if known is not None and known > max_seconds:
            raise AudioError(
                f"{path}: {known:.0f} s of audio is over the limit of {max_seconds:.0f} s "
                "(CALLSCOPE_SPEECH_MAX_SECONDS)"
            )
        samples, truncated = _decode(container, stream, channels, max_seconds, path)
    if samples.size == 0:
        raise AudioError(f"{path}: no audio could be decoded")
    split = [np.ascontiguousarray(samples[c::channels]) for c in range(channels)]
    duration = split[0].shape[0] / SAMPLE_RATE
    if known is not None and duration < known - 0.5:
        truncated = True  # the header promised more than the file holds
    return Audio(split, rate, duration, truncated)


def _decode(
    container: av.container.InputContainer,
    stream: av.AudioStream,
    channels: int,
    max_seconds: float,
    path: Path,
) -> tuple[np.ndarray, bool]:
    resampler = av.AudioResampler(
        format="s16", layout="stereo" if channels == 2 else "mono", rate=SAMPLE_RATE
    )
    limit = int(max_seconds * SAMPLE_RATE * channels)
    parts: list[np.ndarray] = []
    total = 0
    truncated = False
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                array = out.to_ndarray().reshape(-1)
                parts.append(array)
                total += array.size
            if total > limit:
                raise AudioError(
                    f"{path}: more than {max_seconds:.0f} s of audio (CALLSCOPE_SPEECH_MAX_SECONDS)"
                )
        for out in resampler.resample(None):
            parts.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as exc:
        if not parts:
            raise AudioError(f"{path}: not a readable audio file ({_reason(exc)})") from None
        truncated = True
        log.warning("%s: decoding stopped early (%s); keeping what was read", path, _reason(exc))
    if not parts:
        return np.zeros(0, dtype=np.float32), truncated
    return np.concatenate(parts).astype(np.float32) / 32768.0, truncated


def _known_duration(container: av.container.InputContainer, stream: av.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
