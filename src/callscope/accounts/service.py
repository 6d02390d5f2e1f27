"""Rules for accounts, users and tokens. Callers (endpoints, CLI) own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from callscope.accounts.models import Account, ApiToken, Role, User
from callscope.accounts.repository import AccountRepository, TokenRepository
from callscope.accounts.schemas import AccountCreate, AccountUpdate
from callscope.accounts.security import (
    hash_password,
    hash_token,
    new_api_token,
    new_password,
    new_webhook_secret,
    visible_prefix,
)
from callscope.api.problems import InvalidField, NotFound
from callscope.categories.service import seed_builtin
from callscope.db.base import utcnow


@dataclass(frozen=True)
class NewAccount:
    account: Account
    admin: User
    password: str  # shown once
    token: str  # shown once


@dataclass(frozen=True)
class NewToken:
    row: ApiToken
    token: str  # shown once


def create_account(session: Session, data: AccountCreate) -> NewAccount:
    """An account with its admin user, the built-in categories and one API token."""
    email = data.email.lower()
    if AccountRepository(session).user_by_email(email) is not None:
        raise InvalidField(("body", "email"), "a user with this email exists")
    account = Account(
        name=data.name,
        timezone=data.timezone,
        currency=data.currency,
        sales_cycle_days=data.sales_cycle_days,
        qualified_call_seconds=data.qualified_call_seconds,
        webhook_secret=new_webhook_secret(),
    )
    session.add(account)
    session.flush()
    password = data.password or new_password()
    admin = User(
        account_id=account.id, email=email, password_hash=hash_password(password), role=Role.admin
    )
    session.add(admin)
    session.flush()
    seed_builtin(session, account.id)
    token = create_token(session, account.id, "initial", user_id=admin.id)
    return NewAccount(account=account, admin=admin, password=password, token=token.token)


def get_account(session: Session, account_id: int) -> Account:
    account = AccountRepository(session).get(account_id)
    if account is None:
        raise NotFound("account")
    return account


def rotate_webhook_secret(session: Session, account_id: int) -> str:
    account = get_account(session, account_id)
    account.webhook_secret = new_webhook_secret()
    session.flush()
    return account.webhook_secret


def update_account(session: Session, account_id: int, data: AccountUpdate) -> Account:
    account = get_account(session, account_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(account, field, value)
    session.flush()
    return account


def create_token(
    session: Session, account_id: int, name: str, user_id: int | None = None
) -> NewToken:
    get_account(session, account_id)
    token = new_api_token()
    row = ApiToken(
        account_id=account_id,
        user_id=user_id,
        name=name,
        prefix=visible_prefix(token),
        token_hash=hash_token(token),
    )
    session.add(row)
    session.flush()
    return NewToken(row=row, token=token)


def list_tokens(
    session: Session, account_id: int, include_revoked: bool = False
) -> Sequence[ApiToken]:
    get_account(session, account_id)
    return TokenRepository(session, account_id).list(include_revoked=include_revoked)


def revoke_token(session: Session, account_id: int, token_ref: str) -> ApiToken:
    """Revoke by id or by visible prefix; revoking twice is a no-op."""
    repo = TokenRepository(session, account_id)
    matches: Sequence[ApiToken]
    if token_ref.isdigit():
        found = repo.get(int(token_ref)) if len(token_ref) < 19 else None
        matches = [found] if found else []
    else:
        matches = repo.by_prefix(token_ref)
    if len(matches) != 1:
        raise NotFound("token")
    repo.revoke(matches[0], utcnow())
    session.flush()
    return matches[0]
