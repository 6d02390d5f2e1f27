"""Category table."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, CreatedMixin, IdMixin, JSONValue, TenantMixin


class Category(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    is_lead: Mapped[bool] = mapped_column(default=False)
    builtin: Mapped[bool] = mapped_column(default=False)
