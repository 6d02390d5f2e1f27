"""Twilio Programmable Voice: the voice webhook, status callbacks and recording callbacks.

One inbound call produces, in no guaranteed order:
- the voice webhook (`/hooks/twilio/voice`): CallSid, From (the caller), To (the tracking
  number), CallerName, FromCity/FromState/FromCountry. Twilio sends it as the call starts
  and it has no timestamp, so its arrival time is the call's start;
- status callbacks (`/hooks/twilio/status`), of three kinds we ask for or that a number may
  be configured with: the `<Dial action>` request when the forwarded leg ends (DialCallStatus,
  DialCallDuration), the `<Number statusCallback>` events of the forwarded leg (ParentCallSid,
  CallStatus, Timestamp, CallDuration), and the number's own status callback for the call
  (CallStatus, Timestamp, CallDuration);
- the recording callback (`/hooks/twilio/recording`): RecordingUrl, RecordingStatus,
  RecordingChannels (2 for `record-from-answer-dual`).
Parameter names: https://www.twilio.com/docs/usage/webhooks/voice-webhooks and the TwiML
`<Dial>` reference.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from twilio.twiml.voice_response import Dial, VoiceResponse

from callscope.calls.facts import Facts
from callscope.calls.models import CallStatus

DIAL_STATUS = {
    "completed": CallStatus.answered,
    "answered": CallStatus.answered,
    "busy": CallStatus.busy,
    "no-answer": CallStatus.missed,
    "canceled": CallStatus.missed,
    "failed": CallStatus.failed,
}
LEG_STATUS = DIAL_STATUS | {
    "queued": CallStatus.ringing,
    "initiated": CallStatus.ringing,
    "ringing": CallStatus.ringing,
    "in-progress": CallStatus.answered,
}


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def call_sid(params: dict[str, str]) -> str | None:
    """The inbound call an event is about (a forwarded leg reports its parent)."""
    return params.get("ParentCallSid") or params.get("CallSid")


def normalize(payload: dict[str, Any], received_at: datetime) -> Facts:
    kind = payload["kind"]
    p: dict[str, str] = payload["params"]
    sid = call_sid(p) or ""
    if kind == "voice":
        return Facts(
            call_key=sid,
            status=CallStatus.ringing,
            direction="inbound",
            caller_raw=p.get("From"),
            caller_name=p.get("CallerName") or None,
            caller_city=p.get("FromCity") or None,
            caller_state=p.get("FromState") or None,
            caller_country=p.get("FromCountry") or None,
            tracking_number_raw=p.get("To"),
            started_at=received_at,
            seen_at=received_at,
        )
    if kind == "recording":
        completed = p.get("RecordingStatus", "completed") == "completed"
        return Facts(
            call_key=sid,
            recording_url=p.get("RecordingUrl") if completed else None,
            recording_channels=_int(p.get("RecordingChannels")),
            seen_at=received_at,
        )
    at = _timestamp(p.get("Timestamp")) or received_at
    if "DialCallStatus" in p:  # the <Dial action>: the forwarded leg is over
        status = DIAL_STATUS.get(p["DialCallStatus"])
        return Facts(
            call_key=sid,
            status=status,
            talk_seconds=_int(p.get("DialCallDuration")) if status is CallStatus.answered else 0,
            ended_at=at,
            seen_at=received_at,
        )
    if p.get("ParentCallSid"):  # an event of the forwarded leg
        leg = p.get("CallStatus", "")
        status = LEG_STATUS.get(leg)
        facts = Facts(call_key=sid, status=status, forward_to_raw=p.get("To"), seen_at=at)
        if leg in {"in-progress", "answered"}:
            facts.answered_at = at
        elif leg == "completed":
            facts.ended_at = at
            facts.talk_seconds = _int(p.get("CallDuration"))
        elif status is not None and status is not CallStatus.ringing:
            facts.ended_at = at
            facts.talk_seconds = 0
        return facts
    # The number's own status callback for the inbound call: it tells when the call ended,
    # not whether the forwarded line answered (Twilio itself answered the inbound leg).
    leg = p.get("CallStatus", "")
    facts = Facts(
        call_key=sid,
        direction="inbound",
        caller_raw=p.get("From"),
        tracking_number_raw=p.get("To"),
        seen_at=at,
    )
    if leg in {"completed", "busy", "no-answer", "canceled", "failed"}:
        facts.ended_at = at
        if leg != "completed":
            facts.status = LEG_STATUS[leg]
    return facts


def forward_twiml(
    *,
    forward_to: str | None,
    caller: str | None,
    record: bool,
    disclosure: str | None,
    status_url: str,
    recording_url: str,
) -> str:
    """TwiML that rings the tracking number's forward-to line with the caller's own id."""
    response = VoiceResponse()
    if forward_to is None:
        response.say("This number is not in service.")
        response.hangup()
        return str(response)
    if record and disclosure:
        response.say(disclosure)
    options: dict[str, Any] = {"action": status_url, "method": "POST", "answer_on_bridge": True}
    if caller:
        options["caller_id"] = caller
    if record:
        options["record"] = "record-from-answer-dual"
        options["recording_status_callback"] = recording_url
        options["recording_status_callback_event"] = "completed"
    dial = Dial(**options)
    dial.number(
        forward_to,
        status_callback=status_url,
        status_callback_event="answered completed",
        status_callback_method="POST",
    )
    response.append(dial)
    return str(response)
