"""The call log's query: the reports' filter, a text search, newest first, a page at a time.

The search matches the caller's or tracking number's digits, the caller's name, and the
transcript text (case-insensitive, `%` and `_` taken literally). Pages are keyset-paged on
(started_at, id), so a page deep in a million calls costs the same as the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select, tuple_
from sqlalchemy.orm import Session

from callscope.analysis.models import TranscriptRecord
from callscope.calls.models import Call
from callscope.reports.filters import ReportFilter, conditions

PAGE_SIZE = 50
MAX_QUERY_CHARS = 200


def search(
    session: Session,
    f: ReportFilter,
    text: str | None,
    after: tuple[datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[Sequence[Call], tuple[datetime, int] | None]:
    """The calls the reports count for `f`, matching `text`, newest first, after `after`."""
    query = select(Call).where(*conditions(f))
    if text:
        query = query.where(_matches(text[:MAX_QUERY_CHARS]))
    if after is not None:
        query = query.where(tuple_(Call.started_at, Call.id) < tuple_(*after))
    rows = session.scalars(
        query.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (rows[-1].started_at, rows[-1].id) if more and rows else None
    return rows, cursor


def _matches(text: str) -> ColumnElement[bool]:
    digits = re.sub(r"\D", "", text)
    clauses = [
        Call.caller_name.icontains(text, autoescape=True),
        exists().where(
            TranscriptRecord.call_id == Call.id,
            TranscriptRecord.text.icontains(text, autoescape=True),
        ),
    ]
    if len(digits) >= 3:
        clauses += [
            Call.caller.contains(digits, autoescape=True),
            Call.tracking_number.contains(digits, autoescape=True),
        ]
    return and_(or_(*clauses))
