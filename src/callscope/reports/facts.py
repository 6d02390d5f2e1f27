"""The SQL every report builds on: one row of facts per call, and the measures over them.

`call_facts` selects the calls a filter matches, one row each, with what the measures need
(status, qualified, caller history, whether its category is a lead) plus the columns a
report groups by. Reports aggregate over it as a subquery, so GROUP BY runs in the database
on a named column (PostgreSQL would not match two copies of an expression with parameters).

Definitions (docs/reports.md states them for users):
- answered: status `answered`; missed: `missed`, `busy`, `failed` or `voicemail` (the caller
  reached no person); a call still ringing is counted in calls only.
- lead: the call's insight category is one the account marks `is_lead`.
- first_time / repeat: the caller history flag; calls from unknown callers are neither.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, null, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from callscope.calls.models import Call, CallStatus
from callscope.categories.models import Category
from callscope.intel.models import CallInsight
from callscope.numbers.models import Source
from callscope.reports.filters import Period, ReportFilter, conditions
from callscope.tracking.models import VisitorSession

MISSED = (CallStatus.missed, CallStatus.busy, CallStatus.failed, CallStatus.voicemail)
NONE = "(none)"


# Per report transaction, PostgreSQL only. A report runs a few heavy statements:
# - plan_cache_mode: psycopg prepares a statement once it has run 5 times, and PostgreSQL then
#   switches to a generic plan, blind to the values, after 5 more: for attribution's chunks of
#   2000 callers that plan walked the whole of visitor_sessions (12 s a chunk at 5 million
#   sessions, instead of 40 ms). Planning each statement afresh costs a millisecond.
# - jit: the planner's row guess for unnesting key phrases makes topics look costly enough to
#   JIT-compile with inlining and optimisation: 1.5 s of compiling for a 0.2 s query.
# - work_mem: the default 4 MB spills a 90-day report's sorts and hashes to disk.
# - enable_hashjoin: the planner prices probing a call's insight as a disk read and hashes all
#   of the account's insights instead; the probes (index-only, ix_call_insights_reports) take
#   half the time. Every join of a report is a lookup by key, which a nested loop does well.
REPORT_SETTINGS = {
    "plan_cache_mode": "force_custom_plan",
    "jit": "off",
    "work_mem": "32MB",
    "enable_hashjoin": "off",
}


# For a report that reads a whole period's calls and folds them into few groups (when):
# the planner prices starting a parallel worker above reading 120,000 index entries alone,
# and then reads them alone (275 ms against 184 ms with one worker, measured).
PARALLEL_SETTINGS = {"parallel_setup_cost": "10", "parallel_tuple_cost": "0.001"}


def report_settings(session: Session, *, parallel: bool = False) -> None:
    """Settings for the rest of this transaction (`SET LOCAL`: they end with the request's)."""
    if session.get_bind().dialect.name == "postgresql":
        settings = REPORT_SETTINGS | (PARALLEL_SETTINGS if parallel else {})
        for name, value in settings.items():
            session.execute(text(f"SET LOCAL {name} = '{value}'"))


def lead_keys(session: Session, account_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Category.key).where(Category.account_id == account_id, Category.is_lead)
        )
    )


def call_facts(
    f: ReportFilter,
    leads: list[str],
    *extra: ColumnElement[Any],
    period: Period | None = None,
    origin: bool = False,
    insight: bool = True,
) -> Subquery:
    """The filtered calls as a subquery; `origin` joins their session and source, `insight`
    (for category, sentiment and leads) their insight."""
    is_lead = case((CallInsight.category.in_(leads), 1), else_=0) if leads else literal(0)
    query: Select[Any] = select(
        Call.id.label("call_id"),
        Call.status,
        Call.qualified,
        Call.first_time_caller,
        Call.talk_seconds,
        Call.source_id,
        (CallInsight.category if insight else null()).label("category"),
        (CallInsight.sentiment if insight else null()).label("sentiment"),
        (is_lead if insight else literal(0)).label("is_lead"),
        *extra,
    ).select_from(Call)
    if insight:
        query = query.outerjoin(
            CallInsight,
            and_(CallInsight.call_id == Call.id, CallInsight.account_id == f.account_id),
        )
    if origin:
        query = query.outerjoin(
            VisitorSession,
            and_(VisitorSession.id == Call.session_id, VisitorSession.account_id == f.account_id),
        ).outerjoin(Source, and_(Source.id == Call.source_id, Source.account_id == f.account_id))
    return query.where(*conditions(f, period)).subquery("facts")


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def measures(facts: Subquery) -> list[ColumnElement[Any]]:
    """calls, answered, missed, qualified, first_time, repeat, leads, answered_talk."""
    c = facts.c
    return [
        func.count().label("calls"),
        _count_if(c.status == CallStatus.answered).label("answered"),
        _count_if(c.status.in_(MISSED)).label("missed"),
        _count_if(c.qualified.is_(True)).label("qualified"),
        _count_if(c.first_time_caller.is_(True)).label("first_time"),
        _count_if(c.first_time_caller.is_(False)).label("repeat"),
        func.coalesce(func.sum(c.is_lead), 0).label("leads"),
        func.coalesce(
            func.sum(case((c.status == CallStatus.answered, c.talk_seconds), else_=0)), 0
        ).label("answered_talk"),
    ]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def source_names(session: Session, account_id: int, ids: set[int]) -> dict[int, Source]:
    if not ids:
        return {}
    rows = session.scalars(
        select(Source).where(Source.account_id == account_id, Source.id.in_(ids))
    )
    return {s.id: s for s in rows}


def phrases_of(dialect: str, column: Any) -> Any:
    """The elements of a JSON array column as a table to join (`.c.value`)."""
    if dialect == "postgresql":
        return func.jsonb_array_elements_text(column).table_valued("value").lateral("phrase")
    return func.json_each(column).table_valued("value").alias("phrase")
