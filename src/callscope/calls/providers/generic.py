"""The generic signed webhook (`POST /hooks/calls`): any PBX or provider can send it.

The body is validated on arrival (schemas.GenericCallEvent) and stored as sent; this reads
it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callscope.calls.facts import Facts
from callscope.calls.models import CallStatus

STATUS = {
    "ringing": CallStatus.ringing,
    "answered": CallStatus.answered,
    "completed": CallStatus.answered,
    "missed": CallStatus.missed,
    "busy": CallStatus.busy,
    "failed": CallStatus.failed,
    "voicemail": CallStatus.voicemail,
}


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def normalize(payload: dict[str, Any], received_at: datetime) -> Facts:
    return Facts(
        call_key=payload["call_id"],
        status=STATUS[payload["status"]],
        direction=payload.get("direction") or "inbound",
        caller_raw=payload.get("from"),
        caller_name=payload.get("caller_name"),
        tracking_number_raw=payload.get("to"),
        forward_to_raw=payload.get("forward_to"),
        started_at=_time(payload.get("started_at")),
        answered_at=_time(payload.get("answered_at")),
        ended_at=_time(payload.get("ended_at")),
        agent=payload.get("agent"),
        location=payload.get("location"),
        recording_url=payload.get("recording_url"),
        recording_channels=payload.get("recording_channels"),
        seen_at=received_at,
    )
