"""The tenant-scoped repository every domain builds on.

A repository is made for one account and every query it runs filters on that
`account_id`, so an id from another account is simply not found (404), never
forbidden (403), which would confirm it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callscope.api.problems import Conflict, NotFound
from callscope.db.base import Base

M = TypeVar("M", bound=Base)


class TenantRepository(Generic[M]):
    model: type[M]
    noun: str  # for "<noun> not found"

    def __init__(self, session: Session, account_id: int) -> None:
        self.session = session
        self.account_id = account_id

    def scoped(self) -> Select[M]:
        return select(self.model).where(self._column("account_id") == self.account_id)

    def get(self, object_id: int) -> M | None:
        return self.session.scalars(
            self.scoped().where(self._column("id") == object_id)
        ).one_or_none()

    def require(self, object_id: int) -> M:
        obj = self.get(object_id)
        if obj is None:
            raise NotFound(self.noun)
        return obj

    def page(
        self, limit: int, after_id: int | None, *filters: ColumnElement[bool]
    ) -> tuple[Sequence[M], int | None]:
        """Up to `limit` rows in id order after `after_id`, and the id to continue from."""
        query = self.scoped().where(*filters)
        if after_id is not None:
            query = query.where(self._column("id") > after_id)
        rows = self.session.scalars(query.order_by(self._column("id")).limit(limit + 1)).all()
        if len(rows) > limit:
            rows = rows[:limit]
            return rows, rows[-1].id  # type: ignore[attr-defined]
        return rows, None

    def add(self, obj: M) -> M:
        obj.account_id = self.account_id  # type: ignore[attr-defined]
        self.session.add(obj)
        self.session.flush()
        return obj

    def delete(self, obj: M, in_use: str) -> None:
        """Delete a row; if other rows still refer to it (RESTRICT), raise Conflict(in_use)."""
        try:
            with self.session.begin_nested():
                self.session.delete(obj)
        except IntegrityError:
            raise Conflict(in_use) from None

    def _column(self, name: str) -> Any:
        return getattr(self.model, name)
