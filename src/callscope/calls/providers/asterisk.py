"""Asterisk / FreePBX CDR rows (`cdr_csv`'s Master.csv).

Master.csv has no header. Its columns (cdr_csv.c) are:

    accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
    start, answer, end, duration, billsec, disposition, amaflags

then, when cdr.conf turns them on, uniqueid and userfield; some builds and cdr_custom
templates add peeraccount, linkedid and sequence after those. Times are local time of
the PBX ("2026-11-30 14:03:11", or UTC with usegmtime), `answer` is empty when nobody
answered, `duration` runs from start to end and `billsec` from answer to end, so the ring
time is duration - billsec. Dispositions: ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION.

`parse_row` checks one row and gives the payload stored for it (or says what is wrong),
with the times it read; `normalize` reads a stored payload back as `Facts`. Both go through
`read_facts`, the one place a row's columns become Facts: the importer gives it the times
`parse_row` already read (parsing them was a good part of the import's time), the
processor the times `normalize` reads again from the stored row.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from callscope.calls.facts import Facts
from callscope.calls.models import CallStatus

CORE = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
)
TRAILING = ("uniqueid", "userfield", "peeraccount", "linkedid", "sequence")
MAX_COLUMNS = len(CORE) + len(TRAILING)
MAX_FIELD_CHARS = 1000
UNIQUEID = re.compile(r"^\d{6,12}\.\d{1,12}$")
DISPOSITION = {
    "ANSWERED": CallStatus.answered,
    "NO ANSWER": CallStatus.missed,
    "BUSY": CallStatus.busy,
    "FAILED": CallStatus.failed,
    "CONGESTION": CallStatus.failed,
}
_CLID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<number>[^>]*)>\s*$')
_CHANNEL_PEER = re.compile(r"^[A-Za-z0-9_]+/(?P<peer>[^-@/]+)")


class RowError(ValueError):
    """One CDR row cannot be read; the message says why."""


def _columns(row: list[str]) -> dict[str, str]:
    if len(row) < len(CORE):
        raise RowError(f"{len(row)} columns; a CDR row has at least {len(CORE)}")
    if len(row) > MAX_COLUMNS:
        raise RowError(f"{len(row)} columns; a CDR row has at most {MAX_COLUMNS}")
    if max(map(len, row)) > MAX_FIELD_CHARS:
        raise RowError(f"a field is longer than {MAX_FIELD_CHARS} characters")
    out = dict(zip(CORE, row, strict=False))
    extra = row[len(CORE) :]
    # uniqueid is optional, and a build may log userfield without it: tell them apart by shape.
    names = list(TRAILING) if extra and UNIQUEID.match(extra[0]) else list(TRAILING[1:])
    for name, value in zip(names, extra, strict=False):
        out[name] = value
    return out


def _local_time(value: str, zone: ZoneInfo, column: str) -> datetime:
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise RowError(f"{column}: {value[:40]!r} is not a time like 2026-11-30 14:03:11") from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zone)


def _seconds(value: str, column: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise RowError(f"{column}: {value[:20]!r} is not a whole number of seconds") from None
    if not 0 <= number <= 7 * 86_400:
        raise RowError(f"{column}: {number} seconds is out of range")
    return number


class Times(NamedTuple):
    """A row's start, answer and end, in the PBX's zone; answer and end may be empty."""

    start: datetime
    answer: datetime | None
    end: datetime | None


class Row(NamedTuple):
    """A good row: its event key, call key, the columns stored, and the times read from them."""

    event_key: str
    call_key: str
    cols: dict[str, str]
    times: Times


def read_times(cols: dict[str, str], zone: ZoneInfo) -> Times:
    """The row's times; RowError when one is not a time."""
    answer, end = cols["answer"], cols["end"]
    return Times(
        _local_time(cols["start"], zone, "start"),
        _local_time(answer, zone, "answer") if answer.strip() else None,
        _local_time(end, zone, "end") if end.strip() else None,
    )


def parse_row(row: list[str], zone: ZoneInfo) -> Row:
    """The keys, columns and times of a good row; RowError for a bad one."""
    cols = _columns(row)
    times = read_times(cols, zone)
    duration = _seconds(cols["duration"], "duration")
    billsec = _seconds(cols["billsec"], "billsec")
    if billsec > duration:
        raise RowError(f"billsec {billsec} is more than duration {duration}")
    if cols["disposition"].strip().upper() not in DISPOSITION:
        raise RowError(f"disposition: unknown {cols['disposition'][:20]!r}")
    uniqueid = cols.get("uniqueid")
    # Without a uniqueid the row's own content is its identity: the same line read again
    # (a re-run, a grown file) is the same event.
    digest = hashlib.sha256("\x1f".join(row).encode()).hexdigest()[:32]
    if uniqueid:
        call_key = uniqueid
        event_key = f"{uniqueid}:{cols.get('sequence') or digest}"
    else:
        call_key = f"row:{digest}"
        event_key = call_key
    return Row(event_key, call_key, cols, times)


def _caller_name(clid: str, src: str) -> str | None:
    match = _CLID.match(clid)
    name = (match.group("name") if match else "").strip()
    if not name or name == src or name.lower() in {"unknown", "anonymous", "restricted"}:
        return None
    return name[:100]


def normalize(payload: dict[str, Any], received_at: datetime) -> Facts:
    times = read_times(payload["row"], ZoneInfo(payload["tz"]))
    return read_facts(payload, times, received_at)


def read_facts(payload: dict[str, Any], times: Times, received_at: datetime) -> Facts:
    """The Facts of a stored payload whose times were read already (`read_times`)."""
    cols: dict[str, str] = payload["row"]
    start, answer, end = times
    duration = int(cols["duration"])
    billsec = int(cols["billsec"])
    status = DISPOSITION[cols["disposition"].strip().upper()]
    if status is CallStatus.answered and cols["lastapp"].strip().lower() == "voicemail":
        status = CallStatus.voicemail
    peer = _CHANNEL_PEER.match(cols["dstchannel"])
    return Facts(
        call_key=payload["call_key"],
        status=status,
        direction="inbound",
        caller_raw=cols["src"] or None,
        caller_name=_caller_name(cols["clid"], cols["src"]),
        tracking_number_raw=cols["dst"] or None,
        region=payload.get("region"),
        started_at=start,
        answered_at=answer if status is not CallStatus.missed else None,
        ended_at=end or start + timedelta(seconds=duration),
        ring_seconds=duration - billsec,
        talk_seconds=billsec,
        agent=peer.group("peer")[:100] if peer else None,
        recording_path=payload.get("recording"),
        recording_channels=None,
        seen_at=received_at,
    )
