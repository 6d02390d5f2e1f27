"""All SQL of the calls API: filtered, keyset-paginated lists (newest first) and lookups."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select

from callscope.api.problems import InvalidField
from callscope.calls.models import Call
from callscope.calls.schemas import CallQuery
from callscope.db.repository import TenantRepository
from callscope.intel.models import CallInsight
from callscope.numbers.models import Source
from callscope.phones import to_e164
from callscope.tracking.models import VisitorSession


def encode_cursor(call: Call) -> str:
    raw = json.dumps({"t": call.started_at.isoformat(), "id": call.id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        at, call_id = datetime.fromisoformat(data["t"]), data["id"]
        if not isinstance(call_id, int) or isinstance(call_id, bool) or at.tzinfo is None:
            raise ValueError
        return at, call_id
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        raise InvalidField(("query", "cursor"), "not a cursor this API returned") from None


def _e164(value: str, field: str) -> str:
    try:
        return to_e164(value)
    except ValueError as exc:
        raise InvalidField(("query", field), str(exc)) from None


class CallRepository(TenantRepository[Call]):
    model = Call
    noun = "call"

    def list(self, q: CallQuery) -> tuple[Sequence[Call], str | None]:
        query = self.scoped()
        if q.started_from:
            query = query.where(Call.started_at >= q.started_from)
        if q.started_to:
            query = query.where(Call.started_at < q.started_to)
        if q.source_id:
            query = query.where(Call.source_id == q.source_id)
        if q.status:
            query = query.where(Call.status == q.status)
        if q.qualified is not None:
            query = query.where(Call.qualified.is_(q.qualified))
        if q.first_time is not None:
            query = query.where(Call.first_time_caller.is_(q.first_time))
        if q.caller:
            query = query.where(Call.caller == _e164(q.caller, "caller"))
        if q.tracking_number:
            query = query.where(Call.tracking_number == _e164(q.tracking_number, "tracking_number"))
        if q.provider_call_id:
            query = query.where(Call.provider_call_id == q.provider_call_id)
        if q.cursor:
            at, last_id = decode_cursor(q.cursor)
            query = query.where(
                or_(Call.started_at < at, and_(Call.started_at == at, Call.id < last_id))
            )
        rows = self.session.scalars(
            query.order_by(Call.started_at.desc(), Call.id.desc()).limit(q.limit + 1)
        ).all()
        if len(rows) > q.limit:
            rows = rows[: q.limit]
            return rows, encode_cursor(rows[-1])
        return rows, None

    def sources(self, ids: set[int]) -> dict[int, Source]:
        if not ids:
            return {}
        rows = self.session.scalars(
            select(Source).where(Source.account_id == self.account_id, Source.id.in_(ids))
        )
        return {s.id: s for s in rows}

    def insights(self, ids: set[int]) -> dict[int, CallInsight]:
        if not ids:
            return {}
        rows = self.session.scalars(
            select(CallInsight).where(
                CallInsight.account_id == self.account_id, CallInsight.call_id.in_(ids)
            )
        )
        return {r.call_id: r for r in rows}

    def sessions(self, ids: set[int]) -> dict[int, VisitorSession]:
        if not ids:
            return {}
        rows = self.session.scalars(
            select(VisitorSession).where(
                VisitorSession.account_id == self.account_id, VisitorSession.id.in_(ids)
            )
        )
        return {s.id: s for s in rows}

    def caller_calls(self, caller: str) -> Sequence[Call]:
        return self.session.scalars(
            self.scoped().where(Call.caller == caller).order_by(Call.started_at, Call.id)
        ).all()

    def visitor_sessions(self, visitor_ids: set[str]) -> Sequence[VisitorSession]:
        if not visitor_ids:
            return []
        return self.session.scalars(
            select(VisitorSession)
            .where(
                VisitorSession.account_id == self.account_id,
                VisitorSession.visitor_id.in_(visitor_ids),
            )
            .order_by(VisitorSession.started_at, VisitorSession.id)
        ).all()
