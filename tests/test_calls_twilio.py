"""Twilio: signed voice webhooks answered with TwiML, callbacks in any order, recordings fetched."""

from __future__ import annotations

import time
from typing import Any
from xml.etree import ElementTree

from fastapi import FastAPI
from fastapi.testclient import TestClient

from callscope.calls.recordings import fetch_due
from callscope.web import create_app
from tests.calls import WAV, enable_twilio, event_count, recording_server, twilio_post
from tests.factories import Tenant

CALLER = "+15125557301"
SID = "CA" + "f" * 32


def voice(number: str, sid: str = SID, **over: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC" + "1" * 32,
        "From": CALLER,
        "To": number,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "CallerName": "JANE DOE",
        "FromCity": "AUSTIN",
        "FromState": "TX",
        "FromCountry": "US",
    } | over


def leg(number: str, status: str, sid: str = SID, **over: str) -> dict[str, str]:
    return {
        "CallSid": "CA" + "e" * 32,
        "ParentCallSid": sid,
        "From": CALLER,
        "To": "+15125550100",
        "CallStatus": status,
        "Timestamp": "Mon, 02 Nov 2026 15:00:10 +0000",
    } | over


def dial_action(sid: str = SID, status: str = "completed", seconds: str = "95") -> dict[str, str]:
    return {"CallSid": sid, "DialCallStatus": status, "DialCallDuration": seconds, "To": "x"}


def the_call(tenant: Tenant) -> dict[str, Any]:
    [call] = tenant.ok("get", "/calls")["items"]
    return call  # type: ignore[no-any-return]


def test_voice_webhook_forwards_with_recording_and_callbacks(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    enable_twilio(app, tenant.account_id)
    tenant.ok("patch", "/account", {"recording_disclosure": "This call may be recorded."})
    number = tenant.number(forward_to="+15125550100")["number"]
    response = twilio_post(client, "/hooks/twilio/voice", voice(number))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.text)
    assert root.find("Say") is not None
    assert "recorded" in (root.find("Say").text or "")
    dial = root.find("Dial")
    assert dial is not None
    account = f"account={tenant.account_id}"
    assert dial.get("callerId") == CALLER
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("action") == f"http://127.0.0.1:8000/hooks/twilio/status?{account}"
    assert dial.get("recordingStatusCallback") == (
        f"http://127.0.0.1:8000/hooks/twilio/recording?{account}"
    )
    target = dial.find("Number")
    assert target is not None
    assert target.text == "+15125550100"
    assert target.get("statusCallbackEvent") == "answered completed"
    call = the_call(tenant)
    assert (call["status"], call["caller"], call["caller_name"]) == ("ringing", CALLER, "JANE DOE")
    assert (call["caller_city"], call["caller_state"], call["provider"]) == (
        "AUSTIN",
        "TX",
        "twilio",
    )


def test_no_recording_when_the_account_does_not_record(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    enable_twilio(app, tenant.account_id, record=False)
    number = tenant.number(forward_to="+15125550100")["number"]
    dial = ElementTree.fromstring(twilio_post(client, "/hooks/twilio/voice", voice(number)).text)
    assert dial.find("Dial") is not None
    assert dial.find("Dial").get("record") is None
    assert dial.find("Say") is None


def _lifecycle(client: TestClient, tenant: Tenant, number: str, order: list[str]) -> None:
    query = f"?account={tenant.account_id}"
    steps = {
        "voice": ("/hooks/twilio/voice", voice(number)),
        "answered": (f"/hooks/twilio/status{query}", leg(number, "in-progress")),
        "completed": (
            f"/hooks/twilio/status{query}",
            leg(
                number, "completed", CallDuration="95", Timestamp="Mon, 02 Nov 2026 15:01:45 +0000"
            ),
        ),
        "action": (f"/hooks/twilio/status{query}", dial_action()),
    }
    for name in order:
        path, params = steps[name]
        response = twilio_post(client, path, params)
        assert response.status_code == 200, (name, response.text)


def test_callbacks_in_any_order_and_twice_give_the_same_call(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    enable_twilio(app, tenant.account_id, record=False)
    number = tenant.number(forward_to="+15125550100")["number"]
    _lifecycle(client, tenant, number, ["action", "completed", "answered", "voice", "completed"])
    call = the_call(tenant)
    assert call["status"] == "answered"
    assert call["talk_seconds"] == 95
    assert call["tracking_number"] == number
    assert call["forward_to"] == "+15125550100"
    assert call["answered_at"] == "2026-11-02T15:00:10Z"
    assert event_count(app) == 4  # the repeated callback was stored once


def test_a_status_callback_before_the_voice_webhook_finds_its_account(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    enable_twilio(app, tenant.account_id, record=False)
    number = tenant.number(forward_to="+15125550100")["number"]
    # The number's own status callback (no ?account=): found by the tracking number.
    early = {
        "CallSid": SID,
        "From": CALLER,
        "To": number,
        "CallStatus": "no-answer",
        "Timestamp": "Mon, 02 Nov 2026 15:00:30 +0000",
    }
    assert twilio_post(client, "/hooks/twilio/status", early).status_code == 200
    assert the_call(tenant)["status"] == "missed"
    # A later event with no number in it: found by the CallSid already stored.
    late = dial_action(status="no-answer", seconds="0")
    assert twilio_post(client, "/hooks/twilio/status", late).status_code == 200
    assert twilio_post(client, "/hooks/twilio/voice", voice(number)).status_code == 200
    call = the_call(tenant)
    assert call["status"] == "missed"
    assert call["talk_seconds"] == 0
    assert call["caller"] == CALLER


def test_bad_twilio_requests_change_nothing(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    number = tenant.number(forward_to="+15125550100")["number"]
    assert (
        twilio_post(client, "/hooks/twilio/voice", voice(number)).status_code == 401
    )  # no token set
    enable_twilio(app, tenant.account_id)
    assert (
        twilio_post(client, "/hooks/twilio/voice", voice(number), signature="").status_code == 401
    )
    assert (
        twilio_post(client, "/hooks/twilio/voice", voice(number), signature="bm9wZQ==").status_code
        == 401
    )
    assert (
        twilio_post(client, "/hooks/twilio/voice", voice(number), token="cd" * 16).status_code
        == 401
    )
    forged = twilio_post(client, "/hooks/twilio/voice", voice("+15125559876"))
    assert forged.status_code == 404  # nobody's number: nothing to check the signature with
    assert twilio_post(client, "/hooks/twilio/voice", voice(number, CallSid="")).status_code == 422
    as_json = client.post("/hooks/twilio/voice", json=voice(number))
    assert as_json.status_code == 415
    bad_bytes = client.post(
        "/hooks/twilio/voice",
        content=b"From=%FF%FE&To=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
    )
    assert bad_bytes.status_code in {400, 401}
    huge = client.post(
        "/hooks/twilio/voice",
        content=b"From=" + b"1" * 70_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    assert event_count(app) == 0


def test_signatures_are_checked_against_the_public_url_behind_a_proxy(
    tenant: Tenant, db: Any, settings: Any
) -> None:
    behind = create_app(
        settings.model_copy(update={"public_url": "https://calls.example.com"}), engine=db
    )
    with TestClient(behind) as client:
        enable_twilio(behind, tenant.account_id, record=False)
        number = Tenant(tenant.account_id, tenant.token, client).number(forward_to="+15125550100")[
            "number"
        ]
        wrong = twilio_post(client, "/hooks/twilio/voice", voice(number))  # signed for 127.0.0.1
        assert wrong.status_code == 401
        right = twilio_post(
            client, "/hooks/twilio/voice", voice(number), public_url="https://calls.example.com"
        )
        assert right.status_code == 200
        dial = ElementTree.fromstring(right.text).find("Dial")
        assert dial is not None
        assert (dial.get("action") or "").startswith("https://calls.example.com/")


def test_recordings_are_fetched_with_basic_auth_and_served_with_ranges(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    enable_twilio(app, tenant.account_id)
    number = tenant.number(forward_to="+15125550100")["number"]
    with recording_server() as media:
        _lifecycle(client, tenant, number, ["voice", "answered"])
        recording = {
            "CallSid": SID,
            "RecordingSid": "RE1",
            "RecordingStatus": "completed",
            "RecordingUrl": f"{media.url}/2010-04-01/Accounts/AC1/Recordings/RE1",
            "RecordingChannels": "2",
            "RecordingDuration": "95",
        }
        path = f"/hooks/twilio/recording?account={tenant.account_id}"
        assert twilio_post(client, path, recording).status_code == 200  # before the call ends
        _lifecycle(client, tenant, number, ["completed", "action"])
        assert media.requests == [("/2010-04-01/Accounts/AC1/Recordings/RE1.wav", media.basic())]
    call = the_call(tenant)
    assert call["status"] == "answered"
    assert call["recording"]["status"] == "stored"
    assert call["recording"]["channels"] == 2
    assert call["recording"]["bytes"] == len(WAV)
    url = call["recording"]["download_url"]
    whole = client.get(url, headers=tenant.headers)
    assert whole.status_code == 200
    assert whole.content == WAV
    assert whole.headers["content-type"] == "audio/x-wav" or whole.headers[
        "content-type"
    ].startswith("audio/")
    part = client.get(url, headers=tenant.headers | {"Range": "bytes=4-11"})
    assert part.status_code == 206
    assert part.content == WAV[4:12]
    assert part.headers["content-range"] == f"bytes 4-11/{len(WAV)}"
    assert client.get(url).status_code == 401


def _generic_recording(
    tenant: Tenant, client: TestClient, app: FastAPI, url: str
) -> dict[str, Any]:
    from tests.calls import post_event, secret_of

    body = {
        "event_id": "r1",
        "call_id": "r1",
        "from": CALLER,
        "to": "+15125550100",
        "status": "completed",
        "started_at": "2026-11-02T15:00:00Z",
        "recording_url": url,
    }
    assert (
        post_event(client, tenant.account_id, secret_of(app, tenant.account_id), body).status_code
        == 202
    )
    return the_call(tenant)


def test_recording_errors_are_retried_later_and_oversized_ones_fail(
    tenant: Tenant, client: TestClient, app: FastAPI, settings: Any
) -> None:
    with recording_server() as media:
        call = _generic_recording(tenant, client, app, f"{media.url}/error.wav")
        assert call["recording"]["status"] == "pending"
        assert "503" in call["recording"]["error"]
        assert fetch_due(app.state.sessionmaker, settings) == 0  # not due yet: backed off
        assert len(media.requests) == 1


def test_a_recording_over_the_size_limit_fails_without_retry(
    tenant: Tenant, client: TestClient, app: FastAPI
) -> None:
    with recording_server() as media:
        media.big_bytes = app.state.settings.recording_max_bytes + 1
        call = _generic_recording(tenant, client, app, f"{media.url}/big.wav")
    assert call["recording"]["status"] == "failed"
    assert "limit" in call["recording"]["error"]
    assert call["recording"]["download_url"] is None


def test_a_recording_that_times_out_is_kept_pending(tenant: Tenant, db: Any, settings: Any) -> None:
    quick = create_app(settings.model_copy(update={"recording_timeout_seconds": 0.3}), engine=db)
    with TestClient(quick) as client, recording_server() as media:
        started = time.monotonic()
        call = _generic_recording(
            Tenant(tenant.account_id, tenant.token, client), client, quick, f"{media.url}/slow.wav"
        )
        assert time.monotonic() - started < 2
    assert call["recording"]["status"] == "pending"
    assert "timed out" in call["recording"]["error"]


def test_recordings_on_private_addresses_are_refused_unless_allowed(
    tenant: Tenant, db: Any, settings: Any
) -> None:
    strict = create_app(settings.model_copy(update={"recording_private_hosts": False}), engine=db)
    with TestClient(strict) as client, recording_server() as media:
        me = Tenant(tenant.account_id, tenant.token, client)
        call = _generic_recording(me, client, strict, f"{media.url}/internal.wav")
        assert media.requests == []  # never fetched
    assert call["recording"]["status"] == "failed"
    assert "private address" in call["recording"]["error"]
