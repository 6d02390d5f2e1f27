"""What callers talk about: the most frequent key phrases per category and per source, and
sentiment counts per source.

Key phrases are a JSON array on each call's insight; the database unnests it (json_each on
SQLite, jsonb_array_elements_text on PostgreSQL), counts calls per phrase and keeps the top
`TOP_PHRASES` of each group with a window function, so only those rows leave the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    cast,
    distinct,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from callscope.intel.models import CallInsight
from callscope.reports import rollups
from callscope.reports.facts import NONE, call_facts, phrases_of, report_settings, source_names
from callscope.reports.filters import ReportFilter
from callscope.reports.models import ReportDay, ReportPhrase
from callscope.reports.schemas import (
    CategoryPhrases,
    FilterEcho,
    PhraseCount,
    SourcePhrases,
    SourceSentiment,
    TopicsReport,
)

TOP_PHRASES = 10


def _ranked(mentions: Any, key: Any, dim: str) -> Any:
    """The top phrases of each value of `key`, from the per-(category, source) mentions."""
    summed = (
        select(key.label("grp"), mentions.c.phrase, func.sum(mentions.c.calls).label("calls"))
        .group_by(key, mentions.c.phrase)
        .subquery(f"by_{dim}")
    )
    rank = func.row_number().over(
        partition_by=summed.c.grp, order_by=(summed.c.calls.desc(), summed.c.phrase)
    )
    ranked = select(summed, rank.label("rank")).subquery(f"ranked_{dim}")
    category = ranked.c.grp if dim == "category" else cast(null(), String)
    source_id = ranked.c.grp if dim == "source" else cast(null(), BigInteger)
    return select(
        literal(dim, String).label("dim"),
        category.label("category"),
        source_id.label("source_id"),
        ranked.c.phrase,
        ranked.c.calls,
        ranked.c.rank,
    ).where(ranked.c.rank <= TOP_PHRASES)


def _mentions(session: Session, facts: Subquery) -> Any:
    """Calls per (category, source, phrase) among the filtered calls: the phrases unnested."""
    phrase = phrases_of(session.get_bind().dialect.name, facts.c.key_phrases)
    return (
        select(
            facts.c.category,
            facts.c.source_id,
            phrase.c.value.label("phrase"),
            func.count(distinct(facts.c.call_id)).label("calls"),
        )
        .select_from(facts)
        .join(phrase, true())
        .group_by(facts.c.category, facts.c.source_id, phrase.c.value)
        .cte("mentions")
    )


def _rolled_mentions(f: ReportFilter) -> Any:
    """The same, summed over the days' counts (a call is in one day only)."""
    p = ReportPhrase
    return (
        select(p.category, p.source_id, p.phrase, func.sum(p.calls).label("calls"))
        .where(*rollups.where(p, f))
        .group_by(p.category, p.source_id, p.phrase)
        .cte("mentions")
    )


def _top(
    session: Session, mentions: Any
) -> tuple[dict[str, list[PhraseCount]], dict[int | None, list[PhraseCount]]]:
    """Top phrases (by calls mentioning them) per category and per source, in one statement:
    the per-(category, source) mentions ranked both ways."""
    both = union_all(
        _ranked(mentions, mentions.c.category, "category"),
        _ranked(mentions, mentions.c.source_id, "source"),
    ).subquery("top")
    per_category: dict[str, list[PhraseCount]] = {}
    per_source: dict[int | None, list[PhraseCount]] = {}
    for r in session.execute(select(both).order_by(both.c.dim, both.c.rank)):
        item = PhraseCount(phrase=r.phrase, calls=int(r.calls))
        if r.dim == "category":
            per_category.setdefault(r.category, []).append(item)
        else:
            per_source.setdefault(r.source_id, []).append(item)
    return per_category, per_source


def topics(session: Session, f: ReportFilter, *, rolled: bool | None = None) -> TopicsReport:
    """From the daily rollups when they can answer the filter (`rolled=None`), else, or with
    `rolled=False`, from the calls."""
    rolled = f.rolled_up if rolled is None else rolled
    if rolled and not rollups.fresh(session, f.account_id):
        rolled = False  # not built yet for a large account: from the calls
    report_settings(session)
    sentiment: dict[Any, dict[str, int]] = {}
    if rolled:
        per_category, per_source = _top(session, _rolled_mentions(f))
        d = ReportDay
        counts = (
            select(d.source_id, d.sentiment, func.sum(d.calls).label("calls"))
            .where(*rollups.where(d, f), d.sentiment.is_not(None))
            .group_by(d.source_id, d.sentiment)
        )
    else:
        facts = call_facts(f, [], CallInsight.key_phrases.label("key_phrases"))
        c = facts.c
        per_category, per_source = _top(session, _mentions(session, facts))
        counts = (
            select(c.source_id, c.sentiment, func.count().label("calls"))
            .where(c.sentiment.is_not(None))
            .group_by(c.source_id, c.sentiment)
        )
    for r in session.execute(counts):
        sentiment.setdefault(r.source_id, {})[r.sentiment] = int(r.calls)
    names = source_names(session, f.account_id, {k for k in (*per_source, *sentiment) if k})

    def name(source_id: int | None) -> str:
        return names[source_id].name if source_id in names else NONE

    return TopicsReport(
        filter=FilterEcho.model_validate(f.echo()),
        by_category=[
            CategoryPhrases(category=k, phrases=per_category[k])
            for k in sorted(k for k in per_category if k is not None)
        ],
        by_source=sorted(
            (SourcePhrases(source_id=k, source=name(k), phrases=v) for k, v in per_source.items()),
            key=lambda s: (s.source, s.source_id or 0),
        ),
        sentiment_by_source=sorted(
            (
                SourceSentiment(source_id=k, source=name(k), sentiment=dict(sorted(v.items())))
                for k, v in sentiment.items()
            ),
            key=lambda s: (s.source, s.source_id or 0),
        ),
    )
