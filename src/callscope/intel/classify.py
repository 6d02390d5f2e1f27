"""Category and sentiment for a batch of calls, with an account's own examples on top.

The shared model (model.py) knows the nine built-in categories. An account adds its own
categories with examples, and corrects calls; both become its **memory**: a category head
of its own, trained on the corpus plus the account's examples (each weighing as much as
twenty corpus calls), over the shared features. The shared model is never retrained, and no
account sees another's examples. A nearest-neighbour vote was tried first and dropped:
over these features, calls of one category are hardly closer to each other than to
others (cosine 0.20 against 0.19 on the corpus), while a trained head finds the words that
matter. Training the head takes a second or two and is cached until the account's
examples or corrections change. Verdicts the account's head changed say `method: "account"`.

A call with no words at all is silence, which the taxonomy files under spam: that is the
one rule here, and the verdict says so (`method: "rule"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.linear_model import SGDClassifier

from callscope.intel.model import ACCOUNT_WEIGHT, CATEGORIES, SharedModel, shared_model
from callscope.intel.text import Document

REVIEW_BELOW = 0.5


@dataclass
class Verdict:
    category: str
    confidence: float
    needs_review: bool
    language: str | None
    sentiment: str
    sentiment_confidence: float
    method: str  # model, account, rule (service.py adds llm)
    scores: dict[str, float] = field(default_factory=dict)  # the top three, for review screens


@dataclass
class Memory:
    """An account's own category head: the corpus plus its custom examples and corrections."""

    categories: tuple[str, ...]  # every key the account may be given, built-in first
    size: int = 0
    head: SGDClassifier | None = None

    @classmethod
    def build(
        cls,
        model: SharedModel,
        examples: Sequence[tuple[str, Document]],
        categories: Sequence[str] = CATEGORIES,
        background: Sequence[tuple[str, Document]] = (),
    ) -> Memory:
        """`background`: the account's recent calls as categorised, weighing one each. They
        teach the head the account's own trade words, so that words every call of the
        business uses ("fridge" at an appliance shop) are not taken for a custom category's."""
        allowed = tuple(dict.fromkeys([*CATEGORIES, *categories]))
        kept = [(label, doc) for label, doc in examples if label in allowed and doc.words()]
        if not kept:
            return cls(allowed)
        extra = [(label, doc) for label, doc in background if label in allowed and doc.words()]
        matrix = model.vectors([doc for _, doc in [*kept, *extra]])
        weights = [ACCOUNT_WEIGHT] * len(kept) + [1.0] * len(extra)
        labels = [label for label, _ in [*kept, *extra]]
        head = model.account_head(matrix, labels, weights)
        return cls(allowed, len(kept), head)

    def __len__(self) -> int:
        return self.size


class Classifier:
    def __init__(
        self,
        model: SharedModel | None = None,
        review_below: float = REVIEW_BELOW,
        cache: Path | None = None,
    ) -> None:
        self._model = model
        self.review_below = review_below
        self.cache = cache

    @property
    def model(self) -> SharedModel:
        """Trained on first use (about a second), not when a server starts."""
        if self._model is None:
            self._model = shared_model(self.cache)
        return self._model

    @property
    def version(self) -> str:
        return self.model.version

    def memory(
        self,
        examples: Sequence[tuple[str, Document]],
        categories: Sequence[str] = CATEGORIES,
        background: Sequence[tuple[str, Document]] = (),
    ) -> Memory:
        return Memory.build(self.model, examples, categories, background)

    def classify(
        self, documents: Sequence[Document], memory: Memory | None = None
    ) -> list[Verdict]:
        if not documents:
            return []
        vectors = self.model.vectors(documents)
        names, shared = self.model.categories(vectors)
        moods, mood_probs = self.model.sentiments(vectors)
        categories = memory.categories if memory is not None else tuple(CATEGORIES)
        probs = np.zeros((len(documents), len(categories)))
        index = {c: i for i, c in enumerate(categories)}
        for j, name in enumerate(names):
            if name in index:
                probs[:, index[name]] = shared[:, j]
        shared_best = [names[int(j)] for j in np.argmax(shared, axis=1)]
        if memory is not None and memory.head is not None:
            own = memory.head.predict_proba(vectors)
            probs = np.zeros((len(documents), len(categories)))
            for j, name in enumerate(memory.head.classes_):
                if name in index:
                    probs[:, index[str(name)]] = own[:, j]
        probs /= probs.sum(axis=1, keepdims=True)
        verdicts = []
        for row, document in enumerate(documents):
            mood = int(np.argmax(mood_probs[row]))
            if not document.words():
                verdicts.append(
                    Verdict("spam", 1.0, False, document.lang(), "neutral", 1.0, "rule")
                )
                continue
            order = np.argsort(probs[row])[::-1]
            best = int(order[0])
            confidence = float(probs[row, best])
            verdicts.append(
                Verdict(
                    category=categories[best],
                    confidence=round(confidence, 4),
                    needs_review=confidence < self.review_below,
                    language=document.lang(),
                    sentiment=moods[mood],
                    sentiment_confidence=round(float(mood_probs[row, mood]), 4),
                    method="model" if categories[best] == shared_best[row] else "account",
                    scores={categories[int(i)]: round(float(probs[row, i]), 4) for i in order[:3]},
                )
            )
        return verdicts
