"""Call intelligence for stored calls: the insights job, corrections, and an account's context.

The chain: the speech job stores a transcript and schedules an `insights` job on the
`text` queue in the same transaction (jobs/service.py); this job reads the transcript,
categorises it with the account's categories and memory, adds sentiment, lead score,
topics, key phrases, lost reason and how the caller heard of the business, and stores one
`call_insights` row, replaced on re-runs, committed together with the job's `done`.

A correction (`PATCH /api/v1/calls/{id}/analysis`) is stored with the token and user that
made it and the call's words; the account's memory (classify.py) is rebuilt from its
corrections and custom-category examples whenever either changes, so the next calls learn
from it at once. The shared model is never retrained by an account.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from callscope.analysis.models import TranscriptRecord
from callscope.calls.models import Call
from callscope.categories.models import Category
from callscope.config import Settings
from callscope.intel import insights
from callscope.intel.classify import Classifier, Memory, Verdict
from callscope.intel.llm import LlmClient, LlmError
from callscope.intel.models import CallInsight, CategoryCorrection
from callscope.intel.text import Document
from callscope.jobs.models import Job
from callscope.jobs.queue import Heartbeats
from callscope.jobs.runner import JobRunner
from callscope.numbers.models import Source

log = logging.getLogger("callscope.intel")

MAX_MEMORY = 2000  # the newest corrections and examples an account's memory holds
BACKGROUND = 300  # the account's own recent calls its head also learns from

# Words in a source's name that say which "how did you hear about us" answer it is.
SOURCE_HINTS: dict[str, tuple[str, ...]] = {
    "vehicle": ("van", "truck", "vehicle", "wrap", "fahrzeug", "auto", "машин"),
    "maps": ("maps", "business profile", "gbp", "карт", "2gis"),
    "search": ("google", "bing", "search", "seo", "organic", "yandex", "поиск"),
    "social": ("facebook", "instagram", "social", "tiktok", "vk", "соц"),
    "referral": ("referral", "friend", "word of mouth", "empfehlung", "рекоменд"),
    "print": ("flyer", "print", "mailer", "newspaper", "magazine", "zeitung", "листов"),
    "outdoor": ("billboard", "sign", "outdoor", "plakat", "билборд"),
    "tv_radio": ("radio", "tv", "television", "радио"),
    "directory": ("yelp", "directory", "yellow", "angi", "gelbe", "avito", "авито"),
    "website": ("website", "web site", "site", "сайт"),
}


@dataclass(frozen=True)
class CategoryInfo:
    key: str
    name: str
    description: str
    is_lead: bool


@dataclass
class Plan:
    """What an account's memory is to be trained on, read from the database."""

    fingerprint: str
    examples: list[tuple[str, Document]]
    keys: list[str]
    background: list[tuple[str, Document]]


@dataclass
class Context:
    """What an account brings to categorising: its categories, memory and sources.

    Reading it is quick; training its memory (a plan) is not, and happens in `prepare`,
    outside any database transaction (on SQLite a worker's transaction holds the write lock).
    """

    account_id: int
    categories: list[CategoryInfo]
    sources: list[tuple[int, str]]
    memory: Memory | None = None
    plan: Plan | None = None

    def is_lead(self, key: str) -> bool:
        return any(c.key == key and c.is_lead for c in self.categories)


@dataclass
class Result:
    verdict: Verdict
    found: insights.Insights
    heard_source_id: int | None
    llm: dict[str, Any] | None

    def fields(self) -> dict[str, Any]:
        """The analysis as stored and printed (`callscope analyze --json`)."""
        v, found = self.verdict, self.found
        return {
            "category": v.category,
            "confidence": v.confidence,
            "needs_review": v.needs_review,
            "method": v.method,
            "scores": v.scores,
            "language": v.language,
            "sentiment": v.sentiment,
            "sentiment_confidence": v.sentiment_confidence,
            "lead_score": found.lead_score,
            "lead_factors": [asdict(f) for f in found.lead_factors],
            "topics": found.topics,
            "key_phrases": found.key_phrases,
            "lost_reason": found.lost_reason,
            "lost_phrase": (found.lost_phrase or "")[:200] or None,
            "heard_from": found.heard_from,
            "heard_phrase": (found.heard_phrase or "")[:200] or None,
            "llm": self.llm,
        }


class Intelligence:
    """The classifier, the LLM client when configured, and per-account memories."""

    def __init__(self, settings: Settings, classifier: Classifier | None = None) -> None:
        self.settings = settings
        self.classifier = classifier or Classifier(
            review_below=settings.intel_review_below, cache=Path(settings.data_dir) / "models"
        )
        self.llm = LlmClient(settings) if settings.llm_url else None
        self._memories: dict[int, tuple[str, Memory]] = {}
        self._idf_top: float | None = None
        self._lock = threading.Lock()

    def context(self, session: Session, account_id: int, learn: bool = True) -> Context:
        """The account's context as stored; `learn=False` leaves out its memory."""
        rows = session.scalars(
            select(Category).where(Category.account_id == account_id).order_by(Category.id)
        ).all()
        categories = [CategoryInfo(c.key, c.name, c.description, c.is_lead) for c in rows]
        sources = [
            (s.id, s.name)
            for s in session.scalars(select(Source).where(Source.account_id == account_id))
        ]
        context = Context(account_id, categories, sources)
        if learn:
            found = self._memory(session, account_id, rows)
            if isinstance(found, Memory):
                context.memory = found
            else:
                context.plan = found
        return context

    def prepare(self, context: Context | None) -> None:
        """Load the shared model and train the account's memory if it is due (seconds)."""
        self.classifier.model  # noqa: B018 - trained or loaded on first use
        if context is None or context.plan is None:
            return
        plan = context.plan
        memory = self.classifier.memory(plan.examples, plan.keys, plan.background)
        with self._lock:
            self._memories[context.account_id] = (plan.fingerprint, memory)
        context.memory, context.plan = memory, None

    def _memory(self, session: Session, account_id: int, rows: Sequence[Category]) -> Memory | Plan:
        last, count = session.execute(
            select(func.max(CategoryCorrection.id), func.count()).where(
                CategoryCorrection.account_id == account_id
            )
        ).one()
        custom = [(c.key, tuple(c.examples or ())) for c in rows]
        fingerprint = hashlib.sha256(repr((last, count, custom)).encode()).hexdigest()
        with self._lock:
            cached = self._memories.get(account_id)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
        examples: list[tuple[str, Document]] = []
        for key, texts in custom:
            examples.extend((key, Document.from_text(str(t))) for t in texts)
        corrections = session.scalars(
            select(CategoryCorrection)
            .where(CategoryCorrection.account_id == account_id)
            .order_by(CategoryCorrection.id.desc())
            .limit(MAX_MEMORY)
        ).all()
        # A call corrected twice counts once: its latest correction.
        seen: set[int | None] = set()
        for c in corrections:
            if c.call_id is not None and c.call_id in seen:
                continue
            seen.add(c.call_id)
            examples.append((c.to_category, Document.from_turns(c.turns, c.language)))
        background = self._background(session, account_id, seen)
        return Plan(fingerprint, examples[:MAX_MEMORY], [c.key for c in rows], background)

    def _background(
        self, session: Session, account_id: int, corrected: set[int | None]
    ) -> list[tuple[str, Document]]:
        """The account's latest categorised calls, as the shared model saw them."""
        rows = session.execute(
            select(CallInsight.category, CallInsight.call_id, TranscriptRecord.turns)
            .join(TranscriptRecord, TranscriptRecord.call_id == CallInsight.call_id)
            .where(CallInsight.account_id == account_id, CallInsight.method == "model")
            .order_by(CallInsight.id.desc())
            .limit(BACKGROUND)
        ).all()
        return [
            (category, Document.from_turns(turns or []))
            for category, call_id, turns in rows
            if call_id not in corrected
        ]

    def analyze(
        self,
        documents: Sequence[Document],
        context: Context | None,
        facts: Sequence[tuple[int | None, bool | None]] | None = None,
    ) -> list[Result]:
        """Category and insights for each document; facts are (talk seconds, first-time)."""
        self.prepare(context)
        memory = context.memory if context is not None else None
        verdicts = self.classifier.classify(documents, memory)
        results = []
        for i, (document, verdict) in enumerate(zip(documents, verdicts, strict=True)):
            llm = self._ask_llm(document, context, verdict) if self.llm else None
            talk, first = facts[i] if facts else (None, None)
            results.append(self._insights(document, verdict, context, talk, first, llm))
        return results

    def _ask_llm(
        self, document: Document, context: Context | None, verdict: Verdict
    ) -> dict[str, Any]:
        assert self.llm is not None
        if context is not None:
            keys = [(c.key, c.description or c.name) for c in context.categories]
        else:
            from callscope.categories.builtin import BUILTIN_CATEGORIES

            keys = [(c.key, c.description) for c in BUILTIN_CATEGORIES]
        try:
            answer = self.llm.categorise(document, keys)
        except LlmError as exc:
            log.warning("LLM categorisation failed, the local model's answer stands: %s", exc)
            return {"model": self.settings.llm_model, "error": str(exc)}
        record = {"model": self.settings.llm_model, **answer.model_dump()}
        if self.settings.llm_mode == "instead" and document.words():
            verdict.category = answer.category
            verdict.confidence = round(answer.confidence, 4)
            verdict.needs_review = answer.confidence < self.classifier.review_below
            verdict.sentiment = answer.sentiment
            verdict.method = "llm"
        return record

    def _top(self) -> float:
        if self._idf_top is None:
            self._idf_top = max(self.classifier.model.idf.values(), default=1.0)
        return self._idf_top

    def _insights(
        self,
        document: Document,
        verdict: Verdict,
        context: Context | None,
        talk: int | None,
        first: bool | None,
        llm: dict[str, Any] | None,
    ) -> Result:
        category = verdict.category
        is_lead = context.is_lead(category) if context is not None else category in insights.LEADS
        lost, lost_phrase = insights.lost_reason(document, category)
        heard, heard_phrase = insights.heard_from(document)
        score, factors = insights.lead_score(
            document, category, is_lead, verdict.sentiment, talk, first, lost
        )
        found = insights.Insights(
            topics=insights.topics(document),
            key_phrases=insights.key_phrases(document, self.classifier.model.idf, self._top()),
            lost_reason=lost,
            lost_phrase=lost_phrase,
            heard_from=heard,
            heard_phrase=heard_phrase,
            lead_score=score,
            lead_factors=factors,
        )
        source_id = source_for(heard, context.sources) if context and heard else None
        return Result(verdict, found, source_id, llm)


def source_for(heard: str, sources: Sequence[tuple[int, str]]) -> int | None:
    """The account's source whose name says it is where the caller heard of the business."""
    hints = SOURCE_HINTS.get(heard, ())
    if not hints:
        return None
    # a hint starts a word of the name: "van" is in "Van wrap", not in "Advantage"
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(h) for h in hints) + ")")
    for source_id, name in sources:
        if pattern.search(name.lower()):
            return source_id
    return None


def document_of(record: TranscriptRecord) -> Document:
    return Document.from_turns(record.turns or [], record.language)


def store(session: Session, call: Call, result: Result, version: str) -> CallInsight:
    session.execute(delete(CallInsight).where(CallInsight.call_id == call.id))
    row = CallInsight(
        account_id=call.account_id,
        call_id=call.id,
        heard_source_id=result.heard_source_id,
        model_version=version[:300],
        **result.fields(),
    )
    session.add(row)
    return row


class InsightRunner(JobRunner):
    """The `insights` job on the `text` queue."""

    def __init__(
        self,
        maker: sessionmaker[Session],
        settings: Settings,
        heartbeats: Heartbeats,
        intelligence: Intelligence | None = None,
    ) -> None:
        super().__init__(maker, settings, heartbeats)
        self.intelligence = intelligence or Intelligence(settings)

    def work(self, session: Session, job: Job, attempts: int) -> None:
        call = session.get(Call, job.call_id) if job.call_id is not None else None
        record = None
        if call is not None:
            record = session.scalar(
                select(TranscriptRecord).where(TranscriptRecord.call_id == call.id)
            )
        if call is None or record is None:  # deleted since, or its transcript is: nothing to do
            self.done(session, job, attempts)
            return
        call_id, facts = call.id, (call.talk_seconds, call.first_time_caller)
        document = document_of(record)
        context = self.intelligence.context(session, call.account_id)
        session.commit()  # no transaction (no SQLite write lock) held while models train
        self.intelligence.prepare(context)
        (result,) = self.intelligence.analyze([document], context, [facts])
        call = session.get(Call, call_id)
        if call is None:
            self.done(session, job, attempts)
            return
        row = store(session, call, result, self.intelligence.classifier.version)
        correction = latest_correction(session, call.id)
        if correction is not None:  # a person's word outlives re-analysis
            apply_correction(row, correction, context, call)
        self.done(session, job, attempts)


def latest_correction(session: Session, call_id: int) -> CategoryCorrection | None:
    return session.scalar(
        select(CategoryCorrection)
        .where(CategoryCorrection.call_id == call_id)
        .order_by(CategoryCorrection.id.desc())
        .limit(1)
    )


def apply_correction(
    row: CallInsight, correction: CategoryCorrection, context: Context, call: Call
) -> None:
    row.category = correction.to_category
    row.confidence = 1.0
    row.needs_review = False
    row.method = "correction"
    row.corrected_by = correction.id
    document = Document.from_turns(correction.turns, correction.language)
    lost, _ = insights.lost_reason(document, row.category)
    score, factors = insights.lead_score(
        document,
        row.category,
        context.is_lead(row.category),
        row.sentiment,
        call.talk_seconds,
        call.first_time_caller,
        lost,
    )
    row.lead_score = score
    row.lead_factors = [asdict(f) for f in factors]


def correct(
    session: Session,
    intelligence: Intelligence,
    call: Call,
    category: str,
    token_id: int | None,
    user_id: int | None,
) -> CallInsight:
    """Store a person's category for a call and apply it; the caller validated the key.

    `token_id` is the API token that made the change (None from the dashboard), `user_id`
    the person (the token's owner, or who is logged in).
    """
    record = session.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == call.id))
    row = session.scalar(select(CallInsight).where(CallInsight.call_id == call.id))
    turns = [{"speaker": t["speaker"], "text": t["text"]} for t in (record.turns if record else [])]
    correction = CategoryCorrection(
        account_id=call.account_id,
        call_id=call.id,
        from_category=row.category if row is not None else None,
        to_category=category,
        token_id=token_id,
        user_id=user_id,
        language=record.language if record else None,
        turns=turns,
        text=" ".join(t["text"] for t in turns),
    )
    session.add(correction)
    session.flush()
    context = intelligence.context(session, call.account_id, learn=False)
    if row is None:
        document = Document.from_turns(turns, correction.language)
        (result,) = intelligence.analyze(
            [document], context, [(call.talk_seconds, call.first_time_caller)]
        )
        row = store(session, call, result, intelligence.classifier.version)
    apply_correction(row, correction, context, call)
    session.flush()
    return row
