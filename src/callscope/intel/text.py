"""A call as text: speaker turns or plain text, the language it is in, and its words.

Everything the categoriser and the insights read comes through `Document`, so a transcript
from Whisper (turns with speakers), a line of `callscope classify` and a stored transcript
are treated the same. Mono recordings have one speaker, `unknown`: their words count as the
caller's, since it is the caller whose intent and mood we are after.

Language detection is needed only when nothing upstream knows the language (Whisper reports
it for our own transcripts). It covers the languages the models were trained on: Cyrillic
script means Russian, and German is told from English by function words and umlauts. A text
that gives no evidence gets `None`, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SPEAKERS = ("agent", "caller", "unknown")
LANGUAGES = ("en", "de", "ru")
MAX_TEXT_CHARS = 100_000  # a 4-hour call is about 250,000 characters; the head is enough

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[a-zA-ZäöüßÄÖÜ]")

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "a",
            "about",
            "all",
            "am",
            "an",
            "and",
            "any",
            "are",
            "as",
            "at",
            "be",
            "been",
            "but",
            "by",
            "can",
            "could",
            "did",
            "do",
            "does",
            "don't",
            "for",
            "from",
            "get",
            "got",
            "had",
            "has",
            "have",
            "he",
            "her",
            "here",
            "hi",
            "him",
            "his",
            "how",
            "i",
            "i'm",
            "if",
            "in",
            "is",
            "it",
            "it's",
            "just",
            "know",
            "like",
            "me",
            "my",
            "no",
            "not",
            "now",
            "of",
            "oh",
            "ok",
            "okay",
            "on",
            "one",
            "or",
            "our",
            "out",
            "so",
            "that",
            "that's",
            "the",
            "their",
            "them",
            "then",
            "there",
            "they",
            "this",
            "to",
            "uh",
            "um",
            "up",
            "us",
            "was",
            "we",
            "well",
            "were",
            "what",
            "when",
            "where",
            "which",
            "who",
            "will",
            "with",
            "would",
            "yeah",
            "yes",
            "you",
            "you're",
            "your",
        ]
    ),
    "de": frozenset(
        [
            "aber",
            "also",
            "am",
            "an",
            "auch",
            "auf",
            "aus",
            "bei",
            "bin",
            "bis",
            "bitte",
            "da",
            "dann",
            "das",
            "dass",
            "dem",
            "den",
            "der",
            "des",
            "die",
            "doch",
            "du",
            "ein",
            "eine",
            "einen",
            "einem",
            "einer",
            "er",
            "es",
            "für",
            "gut",
            "habe",
            "haben",
            "hallo",
            "ich",
            "ihr",
            "ihnen",
            "im",
            "in",
            "ist",
            "ja",
            "jetzt",
            "kann",
            "kein",
            "keine",
            "mal",
            "man",
            "mein",
            "mich",
            "mir",
            "mit",
            "nach",
            "nein",
            "nicht",
            "noch",
            "nur",
            "oder",
            "sehr",
            "sie",
            "sind",
            "so",
            "und",
            "uns",
            "von",
            "vor",
            "war",
            "was",
            "wie",
            "wir",
            "wird",
            "zu",
            "zum",
            "zur",
            "äh",
            "ähm",
            "genau",
            "okay",
        ]
    ),
    "ru": frozenset(
        [
            "а",
            "алло",
            "без",
            "бы",
            "был",
            "была",
            "было",
            "вам",
            "вас",
            "во",
            "вот",
            "все",
            "всё",
            "вы",
            "да",
            "для",
            "до",
            "его",
            "ее",
            "её",
            "если",
            "есть",
            "ещё",
            "еще",
            "же",
            "за",
            "здравствуйте",
            "и",
            "из",
            "или",
            "им",
            "их",
            "к",
            "как",
            "ко",
            "когда",
            "кто",
            "ли",
            "мне",
            "мы",
            "на",
            "не",
            "нет",
            "ни",
            "но",
            "ну",
            "о",
            "об",
            "он",
            "она",
            "они",
            "от",
            "по",
            "под",
            "при",
            "про",
            "с",
            "со",
            "так",
            "там",
            "то",
            "тоже",
            "только",
            "у",
            "уже",
            "хорошо",
            "что",
            "чтобы",
            "это",
            "я",
            "э",
        ]
    ),
}
_MARKERS = {
    "en": frozenset(
        [
            "the",
            "and",
            "you",
            "is",
            "are",
            "i",
            "it",
            "this",
            "that",
            "what",
            "have",
            "with",
            "your",
        ]
    ),
    "de": frozenset(
        [
            "und",
            "ich",
            "ist",
            "das",
            "die",
            "der",
            "nicht",
            "sie",
            "wir",
            "ja",
            "haben",
            "mit",
            "ein",
            "eine",
        ]
    ),
}


@dataclass(frozen=True)
class Turn:
    speaker: str
    text: str


@dataclass
class Document:
    """One call's words, split by who said them."""

    turns: tuple[Turn, ...]
    language: str | None = None
    _words: list[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_text(cls, text: str, language: str | None = None) -> Document:
        text = text[:MAX_TEXT_CHARS]
        return cls((Turn("unknown", text),) if text.strip() else (), language)

    @classmethod
    def from_turns(
        cls, turns: Iterable[Mapping[str, Any]], language: str | None = None
    ) -> Document:
        kept: list[Turn] = []
        size = 0
        for turn in turns:
            speaker, text = str(turn.get("speaker") or "unknown"), str(turn.get("text") or "")
            if speaker not in SPEAKERS:
                raise ValueError(f"speaker must be one of {', '.join(SPEAKERS)}, not {speaker!r}")
            if size >= MAX_TEXT_CHARS or not text.strip():
                continue
            text = text[: MAX_TEXT_CHARS - size]
            size += len(text)
            kept.append(Turn(speaker, text.strip()))
        return cls(tuple(kept), language)

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.turns)

    @property
    def caller_text(self) -> str:
        """What the caller said; all of it when speakers are unknown."""
        return " ".join(t.text for t in self.turns if t.speaker != "agent")

    @property
    def agent_text(self) -> str:
        return " ".join(t.text for t in self.turns if t.speaker == "agent")

    @property
    def has_speakers(self) -> bool:
        return any(t.speaker != "unknown" for t in self.turns)

    def words(self) -> list[str]:
        if self._words is None:
            self._words = words(self.text)
        return self._words

    def lang(self) -> str | None:
        """The given language, else the detected one."""
        if self.language is None:
            self.language = detect_language(self.text)
        return self.language


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def detect_language(text: str) -> str | None:
    """en, de or ru from the text itself; None when it does not say."""
    sample = text[:4000]
    cyrillic = len(CYRILLIC.findall(sample))
    latin = len(LATIN.findall(sample))
    if cyrillic + latin < 3:
        return None
    if cyrillic > latin:
        return "ru"
    tokens = words(sample)
    en = sum(1 for w in tokens if w in _MARKERS["en"])
    de = sum(1 for w in tokens if w in _MARKERS["de"])
    de += 2 * len(re.findall(r"[äöüß]", sample.lower()))
    if en == de == 0:
        return None
    return "de" if de > en else "en"


def normalize_language(value: str | None) -> str | None:
    """'de-DE', 'DE', 'german' -> 'de'; unknown names pass through lowercased for the record."""
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    names = {"english": "en", "german": "de", "deutsch": "de", "russian": "ru"}
    value = names.get(value, value)
    return value.split("-")[0].split("_")[0][:8]


def content_words(tokens: Sequence[str], language: str | None) -> list[str]:
    stop = STOPWORDS.get(language or "", frozenset()) | STOPWORDS["en"]
    return [w for w in tokens if w not in stop and len(w) > 1 and not w.isdigit()]
