"""Tracking writes that wait for the commit (tracking/later.py), on both databases and stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, select

from callscope.api.problems import NotFound
from callscope.tracking.models import PageView, VisitorSession
from callscope.tracking.schemas import Ping, SessionStart
from callscope.tracking.service import Tracker, read_ahead
from tests.dni import CHROME_UA, ORIGIN, tracker, website
from tests.factories import Tenant

pytestmark = pytest.mark.usefixtures("lease_store")
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def start(t: Tracker, at: datetime, url: str = f"{ORIGIN}/") -> Any:
    return t.start(SessionStart(url=url, user_agent=CHROME_UA), at)


def test_one_transaction_reads_its_own_waiting_writes(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant, pool_size=2, hold_seconds=60)
    with app.state.sessionmaker() as db:
        t = tracker(app, web, db)
        a = start(t, T0)
        b = start(t, T0 + timedelta(seconds=5))
        # a's session row is not written yet: the ping must still find it
        t.ping(a.session_id, Ping(url=f"{ORIGIN}/pricing"), T0 + timedelta(seconds=70))
        # a is held until 70 + 60 + 20 = 150 s, b until 85 s: at 100 s only b's number is
        # free. Were a's extension still waiting, a's old hold (80 s) would look older.
        c = start(t, T0 + timedelta(seconds=100))
        db.commit()
    assert c.swaps[0].to == b.swaps[0].to != a.swaps[0].to
    with app.state.sessionmaker() as db:
        row = db.scalars(select(VisitorSession).filter_by(public_id=a.session_id)).one()
        views = db.scalars(select(PageView.url).filter_by(session_id=row.id)).all()
    assert row.last_seen_at.replace(tzinfo=UTC) == T0 + timedelta(seconds=70)
    assert row.last_url == f"{ORIGIN}/pricing"
    assert views == [f"{ORIGIN}/pricing"]


def test_a_rollback_drops_the_waiting_writes(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant, pool_size=1)
    with app.state.sessionmaker() as db:
        t = tracker(app, web, db)
        dropped = start(t, T0)
        db.rollback()
        kept = start(t, T0 + timedelta(seconds=1))
        db.commit()
    with app.state.sessionmaker() as db:
        ids = db.scalars(select(VisitorSession.public_id)).all()
    assert ids == [kept.session_id] != [dropped.session_id]


def test_many_visits_in_one_transaction_send_one_statement_per_kind(
    tenant: Tenant, app: FastAPI, lease_store: str
) -> None:
    web = website(tenant, pool_size=20)
    with app.state.sessionmaker() as db:
        t = tracker(app, web, db)
        started = [start(t, T0) for _ in range(16)]
        db.commit()
    statements: list[tuple[str, bool]] = []

    def seen(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements.append((sql.split()[0] + " " + sql.split()[1], many))

    engine = app.state.sessionmaker.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with app.state.sessionmaker() as db:
            t = tracker(app, web, db)
            for i, s in enumerate(started):
                t.ping(s.session_id, Ping(url=f"{ORIGIN}/p{i}"), T0 + timedelta(seconds=30))
            db.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reads = [s for s, _ in statements if s.startswith("SELECT")]
    writes = [(s, many) for s, many in statements if s.split()[0] in {"INSERT", "UPDATE"}]
    # the 16 lookups are reads; the seen-and-held updates, the page moves and the page
    # views are one executemany each, and with the SQL lease store the hold extensions too
    assert len(reads) == 16
    assert sorted(writes) == sorted(
        [("UPDATE visitor_sessions", True)] * 2
        + [("INSERT INTO", True)]
        + ([("UPDATE tracking_numbers", True)] if lease_store == "sql" else [])
    )
    with app.state.sessionmaker() as db:
        assert db.query(PageView).count() == 16


def test_a_batch_reads_its_sessions_ahead_in_one_select(tenant: Tenant, app: FastAPI) -> None:
    web = website(tenant, pool_size=20, hold_seconds=60)  # pings every 20 s
    with app.state.sessionmaker() as db:
        t = tracker(app, web, db)
        started = [start(t, T0) for _ in range(8)]
        db.commit()
    ids = [s.session_id for s in started]
    site_id = app.state.site_configs.get(db, web.key).site_id
    selects: list[str] = []

    def seen(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if sql.startswith("SELECT"):
            selects.append(sql)

    engine = app.state.sessionmaker.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with app.state.sessionmaker() as db:
            wanted = [(site_id, i) for i in ids] + [
                (site_id, "forged-session-id"),
                (site_id, ids[0]),
            ]
            read_ahead(db, wanted)
            t = tracker(app, web, db)
            for i, session_id in enumerate(ids):
                t.ping(session_id, Ping(url=f"{ORIGIN}/p{i}"), T0 + timedelta(seconds=30))
            with pytest.raises(NotFound):
                t.ping("forged-session-id", Ping(), T0 + timedelta(seconds=30))
            # the same session again in the batch: read again, with the first ping's writes
            t.ping(ids[0], Ping(url=f"{ORIGIN}/again"), T0 + timedelta(seconds=40))
            db.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(selects) == 2  # the read-ahead, and ids[0] read again after its touch
    with app.state.sessionmaker() as db:
        row = db.scalars(select(VisitorSession).filter_by(public_id=ids[0])).one()
        views = db.scalars(select(PageView.url).filter_by(session_id=row.id)).all()
    assert row.last_seen_at.replace(tzinfo=UTC) == T0 + timedelta(seconds=40)
    assert row.lease_expires_at.replace(tzinfo=UTC) == T0 + timedelta(seconds=40 + 60 + 20)
    assert sorted(views) == [f"{ORIGIN}/again", f"{ORIGIN}/p0"]


def test_a_session_of_another_site_is_not_found_by_reading_ahead(
    tenant: Tenant, app: FastAPI
) -> None:
    mine, theirs = website(tenant, pool_size=2), website(tenant, pool_size=2)
    with app.state.sessionmaker() as db:
        their_session = start(tracker(app, theirs, db), T0).session_id
        db.commit()
    with app.state.sessionmaker() as db:
        my_site = app.state.site_configs.get(db, mine.key).site_id
        read_ahead(db, [(my_site, their_session)])
        with pytest.raises(NotFound):
            tracker(app, mine, db).ping(their_session, Ping(), T0 + timedelta(seconds=5))
