"""The call model for the demo: trained while the calls are seeded, and shared between demos.

The shared model trains in seconds the first time and is cached in `<data_dir>/models/`
(intel/model.py). A new demo data dir (a test's, a second checkout's) would train it again,
so the demo also keeps the trained file in a per-user cache (`$XDG_CACHE_HOME/callscope/models`,
else `~/.cache/callscope/models`) and starts a new data dir from it. The file is named by
the corpus digest and the scikit-learn version, so a stale one is never used: the model
code trains again and replaces it. Only the demo does this; `callscope serve` keeps
everything in its data dir.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
from multiprocessing.process import BaseProcess
from pathlib import Path

from callscope.intel.model import shared_model

log = logging.getLogger("callscope.demo")
PATTERN = "intel-*.pkl"


def user_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "callscope" / "models"


def borrow(models: Path) -> None:
    """Give a data dir without a model the per-user cache's (a hard link where possible)."""
    if any(models.glob(PATTERN)):
        return
    for cached in user_cache().glob(PATTERN):
        _place(cached, models / cached.name)


def keep(models: Path) -> None:
    """Put the data dir's model in the per-user cache, in place of older ones."""
    cache = user_cache()
    for trained in models.glob(PATTERN):
        if (cache / trained.name).is_file():
            continue
        _place(trained, cache / trained.name)
        for stale in cache.glob(PATTERN):
            if stale.name != trained.name:
                stale.unlink(missing_ok=True)


def _place(source: Path, target: Path) -> None:
    partial = target.with_suffix(f".{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, partial)
        except OSError:  # another file system, or links not allowed
            shutil.copyfile(source, partial)
        partial.replace(target)
    except OSError as exc:  # a cache is a convenience: the model trains without it
        partial.unlink(missing_ok=True)
        log.warning("cannot cache the call model in %s: %s", target.parent, exc)


def train_in_background(models: Path) -> BaseProcess | None:
    """Train the shared model into `models` in a second process when no model is there, so
    that it trains while the calls are seeded; None when there is nothing to train.

    A process, not a thread: featurising is Python and would wait on the GIL. Start it
    before the database is opened (the child is forked and must share no connection);
    whatever becomes of it, `Intelligence.prepare` then loads the cached model or trains it.
    """
    if any(models.glob(PATTERN)):
        return None
    process = multiprocessing.get_context("fork").Process(
        target=shared_model, args=(models,), name="callscope-demo-model", daemon=True
    )
    process.start()
    return process
