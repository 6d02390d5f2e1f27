"""All SQL for categories."""

from __future__ import annotations

from sqlalchemy import select

from callscope.categories.models import Category
from callscope.db.repository import TenantRepository


class CategoryRepository(TenantRepository[Category]):
    model = Category
    noun = "category"

    def by_key(self, key: str) -> Category | None:
        return self.session.scalars(self.scoped().where(Category.key == key)).one_or_none()

    def keys(self) -> set[str]:
        query = select(Category.key).where(Category.account_id == self.account_id)
        return set(self.session.scalars(query).all())
