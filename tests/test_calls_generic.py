"""The generic signed call webhook, end to end: signature, storage, merge, attribution, history."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from callscope.calls.inbox import RawEvent, store
from callscope.db.base import utcnow
from callscope.web import create_app
from tests.calls import event_count, post_event, secret_of
from tests.dni import ORIGIN, website
from tests.factories import Tenant

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
CALLER = "+15125557001"


def event(call_id: str, status: str, number: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": f"{call_id}-{status}",
        "call_id": call_id,
        "from": CALLER,
        "to": number,
        "status": status,
        "started_at": T0.isoformat(),
    }
    if status in {"answered", "completed"}:
        body["answered_at"] = (T0 + timedelta(seconds=8)).isoformat()
    if status not in {"ringing", "answered"}:
        body["ended_at"] = (T0 + timedelta(seconds=128)).isoformat()
    return body | over


def send(client: TestClient, tenant: Tenant, app: FastAPI, body: dict[str, Any]) -> Any:
    response = post_event(client, tenant.account_id, secret_of(app, tenant.account_id), body)
    assert response.status_code == 202, response.text
    return response.json()


def calls(tenant: Tenant, query: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = tenant.ok("get", f"/calls{query}")["items"]
    return items


def test_a_signed_call_to_a_static_number_is_stored_and_attributed(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    source = tenant.source(name="Flyer", channel="offline", is_offline=True)
    number = tenant.number(source_id=source["id"], forward_to="+15125550100")["number"]
    assert send(client, tenant, app, event("c1", "ringing", number)) == {
        "event_id": "c1-ringing",
        "stored": True,
        "duplicate": False,
    }
    send(client, tenant, app, event("c1", "completed", number, agent="Maria", location="Austin"))
    [call] = calls(tenant)
    assert call["status"] == "answered"
    assert call["caller"] == CALLER
    assert call["tracking_number"] == number
    assert call["forward_to"] == "+15125550100"
    assert (call["ring_seconds"], call["talk_seconds"]) == (8, 120)
    assert call["source"] == {"id": source["id"], "name": "Flyer", "channel": "offline"}
    assert (call["attribution"], call["attribution_confidence"]) == ("static", 1.0)
    assert call["first_time_caller"] is True
    assert call["qualified"] is True
    assert (call["agent"], call["location"]) == ("Maria", "Austin")
    assert call["caller_country"] == "US"
    assert call["caller_region"] == "Texas"
    assert tenant.ok("get", f"/calls/{call['id']}") == call


def test_replays_and_any_order_give_the_same_call(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    number = tenant.number()["number"]
    in_order = [event("a", s, number) for s in ("ringing", "answered", "completed")]
    reversed_ = [event("b", s, number) for s in ("completed", "answered", "ringing")]
    for body in in_order:
        send(client, tenant, app, body)
    for body in reversed_ + reversed_:  # every event twice
        send(client, tenant, app, body)
    assert send(client, tenant, app, reversed_[0])["duplicate"] is True
    assert event_count(app) == 6
    a, b = sorted(calls(tenant), key=lambda c: c["provider_call_id"])
    skip = {"id", "provider_call_id", "first_time_caller", "qualified"}
    assert {k: v for k, v in a.items() if k not in skip} == {
        k: v for k, v in b.items() if k not in skip
    }
    assert a["status"] == "answered"
    assert a["talk_seconds"] == 120


def test_unknown_numbers_and_anonymous_callers_are_kept(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    send(client, tenant, app, event("u1", "completed", "+15125559999"))
    send(
        client,
        tenant,
        app,
        event("u2", "missed", tenant.number()["number"], **{"from": "anonymous"}),
    )
    send(
        client,
        tenant,
        app,
        event("u3", "completed", tenant.number()["number"], **{"from": "+266696687"}),
    )
    by_id = {c["provider_call_id"]: c for c in calls(tenant)}
    assert by_id["u1"]["attribution"] == "none"
    assert by_id["u1"]["source"] is None
    assert by_id["u2"]["caller"] is None
    assert by_id["u2"]["caller_raw"] == "anonymous"
    assert by_id["u2"]["first_time_caller"] is None
    assert by_id["u2"]["status"] == "missed"
    assert by_id["u3"]["caller"] is None
    assert by_id["u3"]["qualified"] is True


def test_repeat_callers_within_the_sales_cycle_even_when_imported_late(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    number = tenant.number()["number"]
    later = T0 + timedelta(days=10)
    send(
        client,
        tenant,
        app,
        event(
            "late",
            "completed",
            number,
            started_at=later.isoformat(),
            answered_at=(later + timedelta(seconds=5)).isoformat(),
            ended_at=(later + timedelta(seconds=300)).isoformat(),
        ),
    )
    assert calls(tenant)[0]["first_time_caller"] is True
    send(client, tenant, app, event("early", "completed", number))  # arrives after, happened before
    by_id = {c["provider_call_id"]: c for c in calls(tenant)}
    assert by_id["early"]["first_time_caller"] is True
    assert by_id["early"]["qualified"] is True
    assert by_id["late"]["first_time_caller"] is False
    assert by_id["late"]["qualified"] is False
    tenant.ok("patch", "/account", {"sales_cycle_days": 7})
    send(
        client,
        tenant,
        app,
        event(
            "third",
            "missed",
            number,
            started_at=(later + timedelta(days=3)).isoformat(),
            ended_at=(later + timedelta(days=3, seconds=9)).isoformat(),
        ),
    )
    by_id = {c["provider_call_id"]: c for c in calls(tenant)}
    # The caller's history is recomputed under the new 7-day cycle: "late" came 10 days after
    # "early" (a new lead again), "third" 3 days after "late" (a repeat).
    assert by_id["late"]["first_time_caller"] is True
    assert by_id["third"]["first_time_caller"] is False
    repeat = tenant.ok("get", f"/calls?first_time=false&caller=%2B{CALLER[1:]}")["items"]
    assert [c["provider_call_id"] for c in repeat] == ["third"]


def test_a_call_to_a_pool_number_goes_to_the_session_that_held_it(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    web = website(tenant, pool_size=2)
    google_id = web.sources["Google Ads"]
    answer = web.start(
        url=f"{ORIGIN}/?utm_source=google&utm_medium=cpc&utm_campaign=taps&gclid=xyz"
    ).json()
    number = answer["swaps"][0]["to"]
    now = utcnow()
    send(
        client,
        tenant,
        app,
        event(
            "dni",
            "completed",
            number,
            started_at=now.isoformat(),
            answered_at=(now + timedelta(seconds=3)).isoformat(),
            ended_at=(now + timedelta(seconds=90)).isoformat(),
        ),
    )
    before = now - timedelta(hours=3)
    send(
        client,
        tenant,
        app,
        event(
            "before",
            "missed",
            number,
            started_at=before.isoformat(),
            ended_at=(before + timedelta(seconds=9)).isoformat(),
            **{"from": "+15125557002"},
        ),
    )
    by_id = {c["provider_call_id"]: c for c in calls(tenant)}
    call = by_id["dni"]
    assert call["attribution"] == "session"
    assert call["session_id"] == answer["session_id"]
    assert call["attribution_confidence"] == 1.0
    assert call["source"]["id"] == google_id
    assert call["session"]["utm_campaign"] == "taps"
    assert call["session"]["click_id"] == "xyz"
    assert call["session"]["landing_url"].startswith(ORIGIN)
    assert by_id["before"]["attribution"] == "none"  # nobody held the number then
    journey = tenant.ok("get", f"/calls/{call['id']}/journey")
    assert [s["kind"] for s in journey["steps"]] == ["session", "call"]
    assert journey["steps"][0]["id"] == answer["session_id"]


def test_filters_and_pagination(tenant: Tenant, client: TestClient, app: FastAPI) -> None:
    number = tenant.number()["number"]
    for i in range(5):
        at = T0 + timedelta(hours=i)
        send(
            client,
            tenant,
            app,
            event(
                f"p{i}",
                "missed" if i % 2 else "completed",
                number,
                started_at=at.isoformat(),
                answered_at=None if i % 2 else (at + timedelta(seconds=5)).isoformat(),
                ended_at=(at + timedelta(seconds=200)).isoformat(),
                **{"from": f"+1512555710{i}"},
            ),
        )
    first = tenant.ok("get", "/calls?limit=2")
    assert [c["provider_call_id"] for c in first["items"]] == ["p4", "p3"]
    second = tenant.ok("get", f"/calls?limit=2&cursor={first['next_cursor']}")
    assert [c["provider_call_id"] for c in second["items"]] == ["p2", "p1"]
    assert [c["provider_call_id"] for c in calls(tenant, "?status=missed")] == ["p3", "p1"]
    window = f"?started_from={(T0 + timedelta(hours=1)).isoformat()}&started_to={(T0 + timedelta(hours=3)).isoformat()}"
    assert [c["provider_call_id"] for c in calls(tenant, window.replace("+", "%2B"))] == [
        "p2",
        "p1",
    ]
    assert [c["provider_call_id"] for c in calls(tenant, "?provider_call_id=p0")] == ["p0"]
    assert len(calls(tenant, "?qualified=true")) == 3
    assert len(calls(tenant, f"?tracking_number={number.replace('+', '%2B')}")) == 5
    for bad in (
        "?cursor=nope",
        "?caller=12",
        "?status=lost",
        "?limit=0",
        "?colour=red",
        "?started_from=yesterday",
    ):
        response = tenant.get(f"/calls{bad}")
        assert response.status_code == 422, (bad, response.text)


def test_another_accounts_call_is_not_found(
    tenant: Tenant, other: Tenant, client: TestClient, app: FastAPI
) -> None:
    send(client, tenant, app, event("mine", "completed", tenant.number()["number"]))
    call_id = calls(tenant)[0]["id"]
    for path in (f"/calls/{call_id}", f"/calls/{call_id}/recording", f"/calls/{call_id}/journey"):
        assert other.get(path).status_code == 404
    assert other.ok("get", "/calls")["items"] == []
    assert client.get("/api/v1/calls").status_code == 401


def test_unsigned_forged_stale_and_malformed_webhooks_change_nothing(
    tenant: Tenant, other: Tenant, client: TestClient, app: FastAPI
) -> None:
    secret = secret_of(app, tenant.account_id)
    body = event("x", "completed", "+15125550100")
    raw = json.dumps(body).encode()

    def post(headers: dict[str, str], content: bytes = raw) -> int:
        return client.post("/hooks/calls", content=content, headers=headers).status_code

    good = {"X-Callscope-Account": str(tenant.account_id)}
    from callscope.calls.hooks import sign

    now = int(time.time())
    assert post({}) == 422  # headers missing
    assert post(good | {"X-Callscope-Signature": "v1=abc"}) == 401
    assert post(good | {"X-Callscope-Signature": sign("wrong", raw, now)}) == 401
    assert post(good | {"X-Callscope-Signature": sign(secret, raw, now - 310)}) == 401
    assert post(good | {"X-Callscope-Signature": sign(secret, raw, now + 310)}) == 401
    assert post(good | {"X-Callscope-Signature": sign(secret, raw + b" ", now)}) == 401
    other_secret = secret_of(app, other.account_id)
    assert (
        post(
            {
                "X-Callscope-Account": str(other.account_id),
                "X-Callscope-Signature": sign(secret, raw, now),
            }
        )
        == 401
    )
    assert (
        post({"X-Callscope-Account": "0", "X-Callscope-Signature": sign(secret, raw, now)}) == 401
    )
    assert (
        post(
            {
                "X-Callscope-Account": "99999999",
                "X-Callscope-Signature": sign(other_secret, raw, now),
            }
        )
        == 401
    )
    assert (
        post({"X-Callscope-Account": "1; DROP", "X-Callscope-Signature": sign(secret, raw, now)})
        == 401
    )
    for content, status in (
        (b"{not json", 400),
        (json.dumps(body | {"status": "exploded"}).encode(), 422),
        (json.dumps(body | {"started_at": "2026-11-02T15:00:00"}).encode(), 422),  # no zone
        (json.dumps(body | {"ended_at": "2026-11-01T15:00:00Z"}).encode(), 422),
        (json.dumps(body | {"event_id": ""}).encode(), 422),
        (json.dumps(body | {"recording_url": "file:///etc/passwd"}).encode(), 422),
        (json.dumps(body | {"surprise": 1}).encode(), 422),
        (json.dumps([body]).encode(), 422),
    ):
        signed = good | {"X-Callscope-Signature": sign(secret, content, now)}
        assert post(signed, content) == status, content
    huge = json.dumps(body | {"agent": "x" * 100_000}).encode()
    assert post(good | {"X-Callscope-Signature": sign(secret, huge, now)}, huge) == 413
    assert event_count(app) == 0
    assert tenant.ok("get", "/calls")["items"] == []
    rotated = tenant.ok("post", "/account/webhook-secret")["webhook_secret"]
    assert rotated != secret
    assert rotated.startswith("whsec_")
    assert post(good | {"X-Callscope-Signature": sign(secret, raw, now)}) == 401
    assert post(good | {"X-Callscope-Signature": sign(rotated, raw, now)}) == 202


def test_events_stored_before_a_crash_are_processed_on_restart(
    tenant: Tenant, app: FastAPI, db: Any, settings: Any
) -> None:
    number = tenant.number()["number"]
    with app.state.sessionmaker() as session:  # stored, then the process "died"
        store(
            session,
            RawEvent(
                tenant.account_id,
                "generic",
                "e1",
                "crashed",
                event("crashed", "completed", number),
                utcnow(),
            ),
        )
        session.commit()
    restarted = create_app(settings.model_copy(update={"calls_sweep_seconds": 0.2}), engine=db)
    with TestClient(restarted) as fresh:  # start-up runs the first sweep
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            items = fresh.get("/api/v1/calls", headers=tenant.headers).json()["items"]
            if items:
                break
            time.sleep(0.1)
    assert [c["provider_call_id"] for c in items] == ["crashed"]


@pytest.mark.parametrize("payload", [{"kind": "voice"}, {"call_id": None}])
def test_an_unreadable_stored_event_is_set_aside(
    tenant: Tenant, app: FastAPI, payload: dict[str, Any]
) -> None:
    from callscope.calls.models import CallEvent
    from callscope.calls.processor import process_pending

    with app.state.sessionmaker() as session:
        store(session, RawEvent(tenant.account_id, "generic", "bad", "bad", payload, utcnow()))
        session.commit()
        result = process_pending(session)
        session.commit()
        row = session.query(CallEvent).one()
    assert result.failed == 1
    assert row.processed_at is not None
    assert row.error
