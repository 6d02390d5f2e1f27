"""Rules for sources, pools and tracking numbers.

A tracking number is bound to exactly one static source or one pool, never both; the
database enforces it too (CHECK constraint). References to sites, sources and pools are
looked up within the caller's account, so another account's id is "not found" (422 at the
field), never used. Releasing a number (DELETE) keeps the row, because calls made to it
keep pointing at it; a released number may be bought again elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callscope.api.pagination import ListQuery
from callscope.api.problems import Conflict, InvalidField, Problem, field_error
from callscope.calls.models import Call
from callscope.db.base import utcnow
from callscope.numbers.models import ExhaustionPolicy, Pool, Source, TrackingNumber
from callscope.numbers.repository import NumberRepository, PoolRepository, SourceRepository
from callscope.numbers.schemas import (
    NumberCreate,
    NumberFilters,
    NumberUpdate,
    PoolCreate,
    PoolFilters,
    PoolUpdate,
    SourceCreate,
    SourceUpdate,
)
from callscope.reports.models import CallCredit
from callscope.sites.repository import SiteRepository


class SourceService:
    def __init__(self, session: Session, account_id: int) -> None:
        self.repo = SourceRepository(session, account_id)

    def list(self, query: ListQuery) -> tuple[Sequence[Source], int | None]:
        return self.repo.page(query.limit, query.after_id())

    def get(self, source_id: int) -> Source:
        return self.repo.require(source_id)

    def create(self, data: SourceCreate) -> Source:
        if self.repo.name_taken(data.name):
            raise InvalidField(("body", "name"), f"a source named {data.name!r} exists")
        values = data.model_dump(mode="json", exclude_none=False)
        values["rules"] = [r.model_dump(mode="json", exclude_none=True) for r in data.rules]
        return self.repo.add(Source(**values))

    def update(self, source_id: int, data: SourceUpdate) -> Source:
        source = self.get(source_id)
        changes = data.model_dump(exclude_unset=True, mode="json")
        if "name" in changes and self.repo.name_taken(changes["name"], other_than=source.id):
            raise InvalidField(("body", "name"), f"a source named {changes['name']!r} exists")
        if data.rules is not None:
            changes["rules"] = [r.model_dump(mode="json", exclude_none=True) for r in data.rules]
        offline = changes.get("is_offline", source.is_offline)
        if offline and changes.get("rules", source.rules):
            raise InvalidField(("body", "rules"), "an offline source cannot have online rules")
        if changes.get("channel", source.channel) != source.channel:
            self._stamp_calls(source.id)  # their attribution credits depend on it
        for field, value in changes.items():
            setattr(source, field, value)
        self.repo.session.flush()
        return source

    def delete(self, source_id: int) -> None:
        source = self.get(source_id)
        with self.repo.session.begin_nested():
            # The calls' source goes with it (ON DELETE SET NULL would too, but unstamped:
            # the reports' rollups would keep counting them under the deleted id).
            self.repo.session.execute(
                update(Call)
                .where(Call.account_id == source.account_id, Call.source_id == source.id)
                .values(source_id=None)
            )
            # Sessions lose it too (SET NULL), unstamped: so do the credits of their touches.
            self.repo.session.execute(
                update(CallCredit)
                .where(
                    CallCredit.account_id == source.account_id, CallCredit.source_id == source.id
                )
                .values(source_id=None)
            )
            self.repo.delete(
                source, "numbers are bound to this source; rebind or release them first"
            )

    def _stamp_calls(self, source_id: int) -> None:
        """Mark the source's calls changed (`updated_at`), for the reports' rollups."""
        self.repo.session.execute(
            update(Call)
            .where(Call.account_id == self.repo.account_id, Call.source_id == source_id)
            .values(updated_at=utcnow())
        )


def _check_overflow(policy: ExhaustionPolicy, overflow: str | None) -> None:
    if policy is ExhaustionPolicy.overflow_number and overflow is None:
        raise InvalidField(
            ("body", "overflow_number"), "the overflow_number policy needs an overflow number"
        )


class PoolService:
    def __init__(self, session: Session, account_id: int) -> None:
        self.repo = PoolRepository(session, account_id)
        self.sites = SiteRepository(session, account_id)
        self.numbers = NumberRepository(session, account_id)

    def list(self, query: PoolFilters) -> tuple[Sequence[Pool], int | None]:
        where = [Pool.site_id == query.site_id] if query.site_id is not None else []
        return self.repo.page(query.limit, query.after_id(), *where)

    def get(self, pool_id: int) -> Pool:
        return self.repo.require(pool_id)

    def create(self, data: PoolCreate) -> Pool:
        if self.sites.get(data.site_id) is None:
            raise InvalidField(("body", "site_id"), "site not found")
        _check_overflow(data.exhaustion_policy, data.overflow_number)
        return self.repo.add(Pool(**data.model_dump()))

    def update(self, pool_id: int, data: PoolUpdate) -> Pool:
        pool = self.get(pool_id)
        changes = data.model_dump(exclude_unset=True)
        _check_overflow(
            changes.get("exhaustion_policy", pool.exhaustion_policy),
            changes.get("overflow_number", pool.overflow_number),
        )
        for field, value in changes.items():
            setattr(pool, field, value)
        self.repo.session.flush()
        return pool

    def delete(self, pool_id: int) -> None:
        pool = self.get(pool_id)
        if self.numbers.has_active_in_pool(pool.id):
            raise Conflict("the pool has active numbers; release or move them first")
        self.repo.delete(pool, "released numbers still refer to this pool")


class NumberService:
    def __init__(self, session: Session, account_id: int) -> None:
        self.session = session
        self.repo = NumberRepository(session, account_id)
        self.sources = SourceRepository(session, account_id)
        self.pools = PoolRepository(session, account_id)

    def list(self, query: NumberFilters) -> tuple[Sequence[TrackingNumber], int | None]:
        where: list[ColumnElement[bool]] = []
        if query.pool_id is not None:
            where.append(TrackingNumber.pool_id == query.pool_id)
        if query.source_id is not None:
            where.append(TrackingNumber.source_id == query.source_id)
        where.append(TrackingNumber.active == query.active)
        return self.repo.page(query.limit, query.after_id(), *where)

    def get(self, number_id: int) -> TrackingNumber:
        return self.repo.require(number_id)

    def create(self, data: NumberCreate) -> TrackingNumber:
        self._check_binding(data.source_id, data.pool_id)
        if self.repo.active_number_exists(data.number):
            raise InvalidField(("body", "number"), "this number is already in use", "duplicate")
        return self._saved(lambda: self.repo.add(TrackingNumber(**data.model_dump(), active=True)))

    def update(self, number_id: int, data: NumberUpdate) -> TrackingNumber:
        number = self.get(number_id)
        changes = data.model_dump(exclude_unset=True)
        if "source_id" in changes or "pool_id" in changes:
            self._check_binding(
                changes.get("source_id", number.source_id), changes.get("pool_id", number.pool_id)
            )
        reactivating = changes.get("active") is True and not number.active
        if reactivating and self.repo.active_number_exists(number.number, other_than=number.id):
            raise InvalidField(("body", "active"), "this number is in use elsewhere", "duplicate")

        def write() -> TrackingNumber:
            for field, value in changes.items():
                setattr(number, field, value)
            self.session.flush()
            return number

        return self._saved(write)

    def delete(self, number_id: int) -> None:
        self.get(number_id).active = False
        self.session.flush()

    def _check_binding(self, source_id: int | None, pool_id: int | None) -> None:
        if (source_id is None) == (pool_id is None):
            message = "a number is bound to either one static source or one pool"
            raise Problem(
                422,
                "validation-error",
                message,
                errors=[field_error(("body", f), message) for f in ("source_id", "pool_id")],
            )
        if source_id is not None and self.sources.get(source_id) is None:
            raise InvalidField(("body", "source_id"), "source not found")
        if pool_id is not None and self.pools.get(pool_id) is None:
            raise InvalidField(("body", "pool_id"), "pool not found")

    def _saved(self, write: Callable[[], TrackingNumber]) -> TrackingNumber:
        """Run a write; a concurrent insert of the same active number loses with a 422."""
        try:
            with self.session.begin_nested():
                return write()
        except IntegrityError:
            raise InvalidField(
                ("body", "number"), "this number is already in use", "duplicate"
            ) from None
