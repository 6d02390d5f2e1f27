"""All SQL for accounts, users and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callscope.accounts.models import Account, ApiToken, User


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, account_id: int) -> Account | None:
        return self.session.get(Account, account_id)

    def list(self) -> Sequence[Account]:
        return self.session.scalars(select(Account).order_by(Account.id)).all()

    def user_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email)).one_or_none()


class TokenRepository:
    """Tokens of one account, except `by_hash`, which is how a request finds its account."""

    def __init__(self, session: Session, account_id: int) -> None:
        self.session = session
        self.account_id = account_id

    @staticmethod
    def by_hash(session: Session, token_hash: str) -> ApiToken | None:
        return session.scalars(
            select(ApiToken).where(ApiToken.token_hash == token_hash)
        ).one_or_none()

    def list(self, include_revoked: bool = False) -> Sequence[ApiToken]:
        query = select(ApiToken).where(ApiToken.account_id == self.account_id)
        if not include_revoked:
            query = query.where(ApiToken.revoked_at.is_(None))
        return self.session.scalars(query.order_by(ApiToken.id)).all()

    def get(self, token_id: int) -> ApiToken | None:
        return self.session.scalars(
            select(ApiToken).where(ApiToken.account_id == self.account_id, ApiToken.id == token_id)
        ).one_or_none()

    def by_prefix(self, prefix: str) -> Sequence[ApiToken]:
        return self.session.scalars(
            select(ApiToken).where(
                ApiToken.account_id == self.account_id, ApiToken.prefix == prefix
            )
        ).all()

    def revoke(self, token: ApiToken, when: datetime) -> None:
        if token.revoked_at is None:
            token.revoked_at = when
