"""`/api/v1/reports/...`: every dashboard report as JSON, and as CSV.

HTTP only: parse the query (`ReportQuery`, plus `group_by` for sources), resolve it in the
account's time zone, call the query in `queries`, and shape the answer. `GET <name>.csv`
gives the same report flattened to one table (see `csvout`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from callscope.accounts.auth import CurrentPrincipal
from callscope.accounts.models import Account
from callscope.api.deps import SessionDep
from callscope.api.problems import NotFound
from callscope.reports import csvout, queries
from callscope.reports.filters import ReportFilter, ReportQuery, resolve
from callscope.reports.schemas import (
    AttributionReport,
    GroupBy,
    Overview,
    SourcesReport,
    TopicsReport,
    WhenReport,
    WhereReport,
)

router = APIRouter(prefix="/reports", tags=["reports"])

R = TypeVar("R", bound=BaseModel)
CSV_MEDIA = "text/csv; charset=utf-8"


class SourcesQuery(ReportQuery):
    group_by: GroupBy = Field(default="source", description="the dimension rows are grouped by")


def _filter(session: Session, account_id: int, query: ReportQuery) -> ReportFilter:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account")
    return resolve(query, account.id, account.timezone)


def _csv(name: str, f: ReportFilter, table: csvout.Table) -> Response:
    filename = f"callscope-{name}-{f.period.first.isoformat()}-to-{f.period.last.isoformat()}.csv"
    return Response(
        content=csvout.render(*table).encode("utf-8"),
        media_type=CSV_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "the report as one CSV table"}
}


def _simple(
    name: str,
    model: type[R],
    run: Callable[[Session, ReportFilter], R],
    table: Callable[[R], csvout.Table],
    summary: str,
) -> None:
    """Register GET /reports/<name> (JSON) and GET /reports/<name>.csv for one report."""

    def as_json(
        q: Annotated[ReportQuery, Query()], session: SessionDep, who: CurrentPrincipal
    ) -> R:
        return run(session, _filter(session, who.account_id, q))

    def as_csv(
        q: Annotated[ReportQuery, Query()], session: SessionDep, who: CurrentPrincipal
    ) -> Response:
        f = _filter(session, who.account_id, q)
        return _csv(name, f, table(run(session, f)))

    router.add_api_route(
        f"/{name}.csv",
        as_csv,
        methods=["GET"],
        summary=f"{summary} (CSV)",
        response_class=Response,
        responses=_CSV_DOC,
        name=f"report_{name}_csv",
    )
    router.add_api_route(
        f"/{name}",
        as_json,
        methods=["GET"],
        response_model=model,
        summary=summary,
        name=f"report_{name}",
    )


_simple(
    "overview",
    Overview,
    queries.overview,
    csvout.overview_table,
    "Calls, answered, missed, qualified, first-time, leads; by day; vs the previous period",
)
_simple(
    "when",
    WhenReport,
    queries.when,
    csvout.when_table,
    "Calls by local weekday and hour, missed calls by hour",
)
_simple(
    "where",
    WhereReport,
    queries.where,
    csvout.where_table,
    "Calls by location, by agent and by caller region",
)
_simple(
    "attribution",
    AttributionReport,
    queries.attribution,
    csvout.attribution_table,
    "Qualified calls credited to sources by six attribution models",
)
_simple(
    "topics",
    TopicsReport,
    queries.topics,
    csvout.topics_table,
    "Top key phrases per category and source; sentiment per source",
)


@router.get(
    "/sources.csv",
    summary="Calls by source, channel, medium, campaign or keyword (CSV)",
    response_class=Response,
    responses=_CSV_DOC,
)
def sources_csv(
    q: Annotated[SourcesQuery, Query()], session: SessionDep, who: CurrentPrincipal
) -> Response:
    f = _filter(session, who.account_id, q)
    return _csv(
        f"sources-by-{q.group_by}", f, csvout.sources_table(queries.sources(session, f, q.group_by))
    )


@router.get(
    "/sources",
    response_model=SourcesReport,
    summary="Calls by source, channel, medium, campaign or keyword, with outcomes",
)
def sources(
    q: Annotated[SourcesQuery, Query()], session: SessionDep, who: CurrentPrincipal
) -> SourcesReport:
    return queries.sources(session, _filter(session, who.account_id, q), q.group_by)
