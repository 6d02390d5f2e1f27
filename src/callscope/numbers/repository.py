"""All SQL for sources, pools and tracking numbers."""

from __future__ import annotations

from sqlalchemy import exists, select

from callscope.db.repository import TenantRepository
from callscope.numbers.models import Pool, Source, TrackingNumber


class SourceRepository(TenantRepository[Source]):
    model = Source
    noun = "source"

    def name_taken(self, name: str, other_than: int | None = None) -> bool:
        query = self.scoped().where(Source.name == name)
        if other_than is not None:
            query = query.where(Source.id != other_than)
        return self.session.scalars(query).first() is not None


class PoolRepository(TenantRepository[Pool]):
    model = Pool
    noun = "pool"


class NumberRepository(TenantRepository[TrackingNumber]):
    model = TrackingNumber
    noun = "number"

    def active_number_exists(self, number: str, other_than: int | None = None) -> bool:
        """Across all accounts: a phone number can ring at one place only."""
        condition = (TrackingNumber.number == number) & TrackingNumber.active
        if other_than is not None:
            condition = condition & (TrackingNumber.id != other_than)
        return bool(self.session.scalar(select(exists().where(condition))))

    def has_active_in_pool(self, pool_id: int) -> bool:
        query = self.scoped().where(TrackingNumber.pool_id == pool_id, TrackingNumber.active)
        return self.session.scalars(query.limit(1)).first() is not None
