"""`callscope import asterisk-cdr`: read a Master.csv into calls, safely re-runnable.

Each good row is stored as a raw event keyed by its uniqueid (or, without one, by the
row's own content), in batches of BATCH rows: the raw rows of a batch are committed first,
then its calls are built in a second transaction (cdr_bulk.py, the processor's steps in
bulk; events an earlier run stored but did not build are built at the end). Importing the
same file again, or the same file after the PBX appended to it, stores only the rows not
seen before. Bad rows are kept out and reported with their line
number and reason. A last line with no line end is left for the next run: the PBX may be
writing it right now.

Recordings: with `--recordings DIR` every audio file under DIR whose name holds a uniqueid
(FreePBX names them like `in-5125550111-5125550199-20261130-140311-1764533391.1234.wav`)
is linked to the call with that uniqueid, where it lies; callscope does not copy it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from callscope.calls import cdr_bulk
from callscope.calls.facts import region_of
from callscope.calls.inbox import RawEvent
from callscope.calls.processor import process_pending
from callscope.calls.providers.asterisk import RowError, parse_row
from callscope.db.base import utcnow
from callscope.numbers.models import TrackingNumber

BATCH = 10_000
MAX_LINE_BYTES = 16_384
KEY_CHARS = 128  # call_events.event_key, call_key and calls.provider_call_id
AUDIO = {".wav", ".mp3", ".ogg", ".gsm", ".wav49", ".opus", ".flac"}
UNIQUEID_IN_NAME = re.compile(r"(?<![\d.])(\d{9,11}\.\d{1,9})(?![\d])")


@dataclass
class BadRow:
    line: int
    reason: str


@dataclass
class Report:
    rows: int = 0
    new: int = 0
    seen: int = 0
    bad: list[BadRow] = field(default_factory=list)
    recordings: int = 0
    incomplete_last_line: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "new": self.new,
            "already_imported": self.seen,
            "bad": [{"line": b.line, "reason": b.reason} for b in self.bad],
            "recordings_linked": self.recordings,
            "incomplete_last_line": self.incomplete_last_line,
        }


def index_recordings(directory: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        if path.suffix.lower() in AUDIO and path.is_file():
            match = UNIQUEID_IN_NAME.search(path.name)
            if match:
                found.setdefault(match.group(1), str(path.resolve()))
    return found


def _lines(stream: BinaryIO, report: Report) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(stream, start=1):
        if not raw.endswith(b"\n"):
            report.incomplete_last_line = True
            return
        yield number, raw


def _account_region(session: Session, account_id: int) -> str | None:
    numbers = session.scalars(
        select(TrackingNumber.number).where(TrackingNumber.account_id == account_id)
    ).all()
    regions = Counter(r for r in map(region_of, numbers) if r)
    return regions.most_common(1)[0][0] if regions else None


def _refresh_statistics(session: Session) -> None:
    """ANALYZE after a bulk load grew the tables (batches 1, 2, 4, 8...), on PostgreSQL.

    Autovacuum analyzes a table only after it changed by a tenth, and during an import that
    comes late: planning on the statistics of an almost empty table, PostgreSQL reads
    `call_key IN (...)` by scanning every event of the account (75 ms a query at 70,000
    rows, and growing) instead of through the index.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE call_events, calls"))
        session.commit()


def import_cdr(
    maker: sessionmaker[Session],
    account_id: int,
    stream: BinaryIO,
    zone: ZoneInfo,
    recordings: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    batch_rows: int = BATCH,
) -> Report:
    report = Report()
    with maker() as session:
        region = _account_region(session, account_id)
    batch: list[RawEvent] = []
    linked = 0
    flushes = 0

    def flush() -> None:
        nonlocal linked, flushes
        if not batch:
            return
        with maker() as session:
            stored = cdr_bulk.store(session, batch)
            session.commit()
            flushes += 1
            if flushes & (flushes - 1) == 0:
                _refresh_statistics(session)
        with maker() as session:
            cdr_bulk.build(session, account_id, stored)
            session.commit()
        report.new += len(stored)
        report.seen += len(batch) - len(stored)
        report.recordings += linked
        linked = 0
        if progress:
            progress(len(batch))
        batch.clear()

    received = utcnow()
    for line_no, raw in _lines(stream, report):
        report.rows += 1
        if len(raw) > MAX_LINE_BYTES:
            report.bad.append(BadRow(line_no, f"longer than {MAX_LINE_BYTES} bytes"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.bad.append(BadRow(line_no, f"not UTF-8 (byte {exc.start + 1})"))
            continue
        if not text.strip():
            report.rows -= 1
            continue
        try:
            row = next(csv.reader([text], strict=True))
            event_key, call_key, cols = parse_row(row, zone)
        except csv.Error as exc:
            report.bad.append(BadRow(line_no, f"not CSV: {exc}"))
            continue
        except RowError as exc:
            report.bad.append(BadRow(line_no, str(exc)))
            continue
        if len(event_key) > KEY_CHARS or len(call_key) > KEY_CHARS:
            report.bad.append(
                BadRow(
                    line_no,
                    f"uniqueid, linkedid or sequence too long (over {KEY_CHARS} characters together)",
                )
            )
            continue
        payload: dict[str, object] = {"row": cols, "call_key": call_key, "tz": zone.key}
        if region:
            payload["region"] = region
        if recordings and cols.get("uniqueid") in recordings:
            payload["recording"] = recordings[cols["uniqueid"]]
            linked += 1
        payload["line"] = line_no
        batch.append(RawEvent(account_id, "asterisk", event_key, call_key, payload, received))
        if len(batch) >= batch_rows:
            flush()
    flush()
    with maker() as session:  # events an earlier run stored but did not get to build
        while process_pending(session, limit=BATCH, account_id=account_id).events:
            session.commit()
        session.commit()
    return report
