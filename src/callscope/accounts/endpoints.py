"""HTTP for the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from callscope.accounts import service
from callscope.accounts.auth import CurrentPrincipal
from callscope.accounts.schemas import AccountPublic, AccountUpdate, WebhookSecret
from callscope.api.deps import SessionDep

router = APIRouter(prefix="/account", tags=["account"])


@router.get("", response_model=AccountPublic, summary="The account of this token")
def get_account(session: SessionDep, who: CurrentPrincipal) -> AccountPublic:
    return AccountPublic.of(service.get_account(session, who.account_id))


@router.patch("", response_model=AccountPublic, summary="Update the account's settings")
def update_account(
    data: AccountUpdate, session: SessionDep, who: CurrentPrincipal
) -> AccountPublic:
    account = service.update_account(session, who.account_id, data)
    session.commit()
    return AccountPublic.of(account)


@router.post(
    "/webhook-secret",
    response_model=WebhookSecret,
    summary="Rotate the secret that signs generic call webhooks (the old one stops working)",
)
def rotate_webhook_secret(session: SessionDep, who: CurrentPrincipal) -> WebhookSecret:
    secret = service.rotate_webhook_secret(session, who.account_id)
    session.commit()
    return WebhookSecret(webhook_secret=secret)
