"""`callscope import asterisk-cdr`: read a Master.csv into calls, safely re-runnable.

Each good row is stored as a raw event keyed by its uniqueid (or, without one, by the
row's own content), in batches of BATCH rows: the raw rows of a batch are committed first,
then its calls are built in a second transaction (cdr_bulk.py, the processor's steps in
bulk; events an earlier run stored but did not build are built at the end). Importing the
same file again, or the same file after the PBX appended to it, stores only the rows not
seen before. Bad rows are kept out and reported with their line
number and reason. A last line with no line end is left for the next run: the PBX may be
writing it right now.

Speed: each row's times are parsed once, and the Facts read from them go with the row
(parse_row, read_facts), so building its call does not parse the stored row again; the
garbage collector runs once per batch rather than over and over while a batch is alive
(`_collections_per_batch`). Reading the next batch in a second thread while this one is
written was tried and was slower, on both backends: the writes give up the interpreter
for short spells only (SQLite per row), and each time wait to get it back.

Recordings: with `--recordings DIR` every audio file under DIR whose name holds a uniqueid
(FreePBX names them like `in-5125550111-5125550199-20261130-140311-1764533391.1234.wav`)
is linked to the call with that uniqueid, where it lies; callscope does not copy it.
"""

from __future__ import annotations

import csv
import gc
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from callscope.calls import cdr_bulk
from callscope.calls.facts import Facts, region_of
from callscope.calls.inbox import RawEvent
from callscope.calls.processor import process_pending
from callscope.calls.providers.asterisk import RowError, parse_row, read_facts
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


def _batches(
    stream: BinaryIO,
    account_id: int,
    zone: ZoneInfo,
    region: str | None,
    recordings: dict[str, str] | None,
    report: Report,
    batch_rows: int,
) -> Iterator[_Batch]:
    """The file's good rows in batches of `batch_rows`; bad ones go to the report."""
    received = utcnow()
    batch = _Batch()
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
            event_key, call_key, cols, times = parse_row(row, zone)
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
            batch.linked += 1
        payload["line"] = line_no
        batch.events.append(
            RawEvent(account_id, "asterisk", event_key, call_key, payload, received)
        )
        batch.facts.append(read_facts(payload, times, received))
        if len(batch.events) >= batch_rows:
            yield batch
            batch = _Batch()
            # The batch just written is gone now: collect its cycles, and nothing else
            # young is alive to be looked through (see _collections_per_batch).
            gc.collect(1)
    if batch.events:
        yield batch


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
    with _collections_per_batch():
        return _import(maker, account_id, stream, zone, recordings, progress, batch_rows)


@contextmanager
def _collections_per_batch() -> Iterator[None]:
    """Python's cyclic garbage collector off during the import, run once per batch instead.

    A batch holds a few hundred thousand live objects (rows, payloads, facts, call values),
    and the collector, counting allocations, would traverse them all again and again while
    the batch is built: a fifth to a third of the import's time. Almost nothing here forms
    a reference cycle; the little that does is collected after each batch (`_batches`),
    when the batch is gone. The collector's own setting is restored at the end.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Batch:
    """Good rows read from the file: their events, the facts read with them, recordings linked."""

    events: list[RawEvent] = field(default_factory=list)
    facts: list[Facts] = field(default_factory=list)
    linked: int = 0


def _import(
    maker: sessionmaker[Session],
    account_id: int,
    stream: BinaryIO,
    zone: ZoneInfo,
    recordings: dict[str, str] | None,
    progress: Callable[[int], None] | None,
    batch_rows: int,
) -> Report:
    report = Report()
    with maker() as session:
        region = _account_region(session, account_id)
    flushes = 0
    for batch in _batches(stream, account_id, zone, region, recordings, report, batch_rows):
        with maker() as session:
            stored = cdr_bulk.store(session, batch.events, batch.facts)
            session.commit()
            flushes += 1
            if flushes & (flushes - 1) == 0:
                _refresh_statistics(session)
        with maker() as session:
            cdr_bulk.build(session, account_id, stored)
            session.commit()
        report.new += len(stored)
        report.seen += len(batch.events) - len(stored)
        report.recordings += batch.linked
        if progress:
            progress(len(batch.events))
        del batch, stored  # gone before the next is read: see _batches
    with maker() as session:  # events an earlier run stored but did not get to build
        while process_pending(session, limit=BATCH, account_id=account_id).events:
            session.commit()
        session.commit()
    return report
