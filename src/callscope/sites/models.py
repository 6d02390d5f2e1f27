"""Site table."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from callscope.db.base import Base, CreatedMixin, IdMixin, JSONValue, TenantMixin


class Site(IdMixin, CreatedMixin, TenantMixin, Base):
    __tablename__ = "sites"

    name: Mapped[str] = mapped_column(String(200))
    # Hostnames the snippet may run on (CORS); "example.com" also allows its subdomains.
    domains: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    # Public: it appears in the snippet's <script> tag.
    site_key: Mapped[str] = mapped_column(String(32), unique=True)
    # The number printed on the site, which the snippet swaps for a tracking number.
    business_number: Mapped[str | None] = mapped_column(String(16), default=None)
