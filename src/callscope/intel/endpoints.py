"""HTTP for a call's analysis: category, sentiment, lead score and insights; corrections."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from callscope.accounts.auth import CurrentPrincipal
from callscope.api.deps import IdPath, SessionDep
from callscope.api.problems import InvalidField, NotFound
from callscope.api.types import InputModel
from callscope.calls.repository import CallRepository
from callscope.categories.repository import CategoryRepository
from callscope.intel.schemas import AnalysisPublic
from callscope.intel.service import Intelligence, correct

router = APIRouter(prefix="/calls", tags=["calls"])


class AnalysisPatch(InputModel):
    category: str = Field(min_length=1, max_length=64, description="a category key of the account")


def intelligence(request: Request) -> Intelligence:
    state = request.app.state
    if getattr(state, "intelligence", None) is None:
        state.intelligence = Intelligence(state.settings)
    result: Intelligence = state.intelligence
    return result


@router.get(
    "/{call_id}/analysis",
    response_model=AnalysisPublic,
    summary="The call's category, sentiment, lead score and insights",
)
def get_analysis(call_id: IdPath, session: SessionDep, who: CurrentPrincipal) -> AnalysisPublic:
    repo = CallRepository(session, who.account_id)
    repo.require(call_id)
    row = repo.insights({call_id}).get(call_id)
    if row is None:
        raise NotFound("analysis")
    return AnalysisPublic.model_validate(row)


@router.patch(
    "/{call_id}/analysis",
    response_model=AnalysisPublic,
    summary="Correct the call's category; the account's model learns from it",
)
def patch_analysis(
    call_id: IdPath,
    body: AnalysisPatch,
    request: Request,
    session: SessionDep,
    who: CurrentPrincipal,
) -> AnalysisPublic:
    brain = intelligence(request)
    brain.prepare(None)  # load the model before the transaction (the SQLite write lock) begins
    call = CallRepository(session, who.account_id).require(call_id)
    if CategoryRepository(session, who.account_id).by_key(body.category) is None:
        raise InvalidField(("body", "category"), f"the account has no category {body.category!r}")
    row = correct(session, brain, call, body.category, who.token_id, who.user_id)
    session.commit()
    session.refresh(row)
    return AnalysisPublic.model_validate(row)
