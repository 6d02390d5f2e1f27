"""Rules for categories: built-ins are seeded per account and keep their key and existence."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from callscope.api.pagination import ListQuery
from callscope.api.problems import Conflict, InvalidField
from callscope.categories.builtin import BUILTIN_CATEGORIES, BUILTIN_KEYS
from callscope.categories.models import Category
from callscope.categories.repository import CategoryRepository
from callscope.categories.schemas import CategoryCreate, CategoryUpdate


def seed_builtin(session: Session, account_id: int) -> None:
    """Give an account the built-in taxonomy; safe to call again (adds only missing keys)."""
    repo = CategoryRepository(session, account_id)
    present = repo.keys()
    for builtin in BUILTIN_CATEGORIES:
        if builtin.key not in present:
            repo.add(
                Category(
                    key=builtin.key,
                    name=builtin.name,
                    description=builtin.description,
                    examples=[],
                    is_lead=builtin.is_lead,
                    builtin=True,
                )
            )


class CategoryService:
    def __init__(self, session: Session, account_id: int) -> None:
        self.repo = CategoryRepository(session, account_id)

    def list(self, query: ListQuery) -> tuple[Sequence[Category], int | None]:
        return self.repo.page(query.limit, query.after_id())

    def get(self, category_id: int) -> Category:
        return self.repo.require(category_id)

    def create(self, data: CategoryCreate) -> Category:
        if data.key in BUILTIN_KEYS or self.repo.by_key(data.key) is not None:
            raise InvalidField(("body", "key"), f"category key {data.key!r} already exists")
        return self.repo.add(Category(**data.model_dump(), builtin=False))

    def update(self, category_id: int, data: CategoryUpdate) -> Category:
        category = self.get(category_id)
        changes = data.model_dump(exclude_unset=True)
        if category.builtin and "is_lead" in changes and changes["is_lead"] != category.is_lead:
            raise InvalidField(
                ("body", "is_lead"), "whether a built-in category is a lead is fixed"
            )
        for field, value in changes.items():
            setattr(category, field, value)
        self.repo.session.flush()
        return category

    def delete(self, category_id: int) -> None:
        category = self.get(category_id)
        if category.builtin:
            raise Conflict("built-in categories cannot be deleted")
        self.repo.delete(category, "the category is in use")
