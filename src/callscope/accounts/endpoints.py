"""HTTP for the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from callscope.accounts import service
from callscope.accounts.auth import CurrentPrincipal
from callscope.accounts.schemas import AccountPublic, AccountUpdate
from callscope.api.deps import SessionDep

router = APIRouter(prefix="/account", tags=["account"])


@router.get("", response_model=AccountPublic, summary="The account of this token")
def get_account(session: SessionDep, who: CurrentPrincipal) -> AccountPublic:
    return AccountPublic.model_validate(service.get_account(session, who.account_id))


@router.patch("", response_model=AccountPublic, summary="Update the account's settings")
def update_account(
    data: AccountUpdate, session: SessionDep, who: CurrentPrincipal
) -> AccountPublic:
    account = service.update_account(session, who.account_id, data)
    session.commit()
    return AccountPublic.model_validate(account)
