"""`callscope import asterisk-cdr`, run as a user runs it, on a demo database."""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from callscope.calls import cdr_bulk, cdr_import
from callscope.calls.providers import asterisk
from callscope.db.engine import make_engine, make_sessionmaker
from tests.cli import run
from tests.conftest import scratch_postgresql

FLYER = "+15125550111"


def cdr_line(
    uniqueid: str | None,
    *,
    src: str = "5125557401",
    dst: str = "5125550111",
    start: str = "2026-11-30 14:03:11",
    answer: str = "2026-11-30 14:03:20",
    end: str = "2026-11-30 14:05:20",
    duration: str = "129",
    billsec: str = "120",
    disposition: str = "ANSWERED",
    lastapp: str = "Dial",
    clid: str = '"Jane Roe" <5125557401>',
    extra: tuple[str, ...] = (),
) -> str:
    cols = [
        "",
        src,
        dst,
        "from-trunk",
        clid,
        "PJSIP/trunk-00000001",
        "PJSIP/201-00000002",
        lastapp,
        "PJSIP/201,30",
        start,
        answer,
        end,
        duration,
        billsec,
        disposition,
        "DOCUMENTATION",
    ]
    if uniqueid is not None:
        cols.append(uniqueid)
    cols.extend(extra)
    quoted = [c if c.isdigit() else '"' + c.replace('"', '""') + '"' for c in cols]
    return ",".join(quoted) + "\n"


@pytest.fixture
def fresh_postgresql() -> Iterator[str]:
    """An empty PostgreSQL database for one demo seed, dropped afterwards."""
    with scratch_postgresql("callscope_cdr", driver="postgresql+psycopg") as url:
        yield url


BOTH = pytest.mark.parametrize("demo", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def demo(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The demo business, on SQLite unless a test asks for both backends (`BOTH`)."""
    data = tmp_path / "demo"
    env: dict[str, str] = {}
    url = f"sqlite:///{data / 'callscope.db'}"
    if getattr(request, "param", "sqlite") == "postgresql":
        url = request.getfixturevalue("fresh_postgresql")
        env = {"CALLSCOPE_DATABASE_URL": url}
    # The seed writes a few thousand rows: on a busy machine with PostgreSQL, more than 60 s.
    seeded = run("demo", "--seed-only", "--json", "--data-dir", str(data), env=env, timeout=600)
    assert seeded.returncode == 0, seeded.stderr
    info: dict[str, Any] = json.loads(seeded.stdout)
    info.update(dir=data, env=env, url=url)
    return info


def cli(demo: dict[str, Any], *args: str) -> Any:
    return run("--data-dir", str(demo["dir"]), *args, env=demo["env"], timeout=600)


def imported(demo: dict[str, Any], path: Path, *extra: str) -> dict[str, Any]:
    result = cli(demo, "import", "asterisk-cdr", str(path), "--json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def query(demo: dict[str, Any], sql: str) -> list[dict[str, Any]]:
    engine = make_engine(demo["url"])
    try:
        with engine.connect() as db:
            return [dict(r._mapping) for r in db.execute(text(sql))]
    finally:
        engine.dispose()


def calls(demo: dict[str, Any], where: str = "provider = 'asterisk'") -> list[dict[str, Any]]:
    rows = query(demo, f"SELECT * FROM calls WHERE {where} ORDER BY started_at")
    for row in rows:  # as SQLite stores them, whichever backend
        for name, value in row.items():
            if isinstance(value, datetime):
                row[name] = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return rows


@BOTH
def test_rows_become_calls_and_a_rerun_or_grown_file_adds_only_new_rows(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    recordings = tmp_path / "monitor" / "2026" / "11" / "30"
    recordings.mkdir(parents=True)
    (recordings / "in-5125550111-5125557401-20261130-140311-1764533391.17.wav").write_bytes(b"RIFF")
    master = tmp_path / "Master.csv"
    master.write_text(
        cdr_line("1764533391.17")  # answered, with a recording
        + cdr_line(
            "1764533391.18",
            src="5125557402",
            answer="",
            billsec="0",
            duration="25",
            disposition="NO ANSWER",
            end="2026-11-30 14:03:36",
        )
        + cdr_line(None, src="5125557403", dst="5125559999")  # 16 columns, unknown number
        + cdr_line(
            "1764533391.20",
            src="5125557404",
            lastapp="VoiceMail",
            extra=("userfield", "", "1764533391.20", "3"),
        )
    )
    report = imported(
        demo, master, "--recordings", str(tmp_path / "monitor"), "--tz", "America/Chicago"
    )
    assert report.pop("reports_refreshed_s") >= 0  # the reports' rollups, brought up to date
    assert report == {
        "rows": 4,
        "new": 4,
        "already_imported": 0,
        "bad": [],
        "recordings_linked": 1,
        "incomplete_last_line": False,
    }
    rows = {c["provider_call_id"]: c for c in calls(demo)}
    answered = rows["1764533391.17"]
    assert answered["status"] == "answered"
    assert answered["talk_seconds"] == 120
    assert answered["ring_seconds"] == 9
    assert answered["caller"] == "+15125557401"
    assert answered["caller_name"] == "Jane Roe"
    assert answered["agent"] == "201"
    assert answered["tracking_number"] == FLYER
    assert answered["attribution"] == "static"
    assert answered["started_at"].startswith("2026-11-30 20:03:11")  # 14:03 in Austin, UTC-6
    assert answered["recording_status"] == "stored"
    assert answered["recording_path"].endswith(".17.wav")
    assert rows["1764533391.18"]["status"] == "missed"
    assert rows["1764533391.18"]["ring_seconds"] == 25
    assert rows["1764533391.20"]["status"] == "voicemail"
    unknown = next(c for k, c in rows.items() if k.startswith("row:"))
    assert unknown["attribution"] == "none"
    assert unknown["tracking_number"] == "+15125559999"
    assert analysis_jobs(demo) == [(answered["id"], "queued")]  # the call with a recording

    again = imported(demo, master)
    assert (again["new"], again["already_imported"]) == (0, 4)
    assert analysis_jobs(demo) == [(answered["id"], "queued")]  # a rerun adds no second job
    with master.open("a") as out:
        out.write(
            cdr_line(
                "1764533391.30",
                src="5125557401",
                start="2026-12-01 09:00:00",
                answer="2026-12-01 09:00:05",
                end="2026-12-01 09:02:05",
            )
        )
    grown = imported(demo, master)
    assert (grown["new"], grown["already_imported"]) == (1, 4)
    assert len(calls(demo)) == 5
    repeat = calls(demo, "provider_call_id = '1764533391.30'")[0]
    assert repeat["first_time_caller"] == 0
    assert repeat["qualified"] == 0


def analysis_jobs(demo: dict[str, Any]) -> list[tuple[int, str]]:
    rows = query(demo, "SELECT call_id, state FROM jobs WHERE kind = 'analyze'")
    return [(r["call_id"], r["state"]) for r in rows]


@BOTH
def test_bad_rows_are_reported_with_line_numbers_and_good_rows_kept(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    master = tmp_path / "Master.csv"
    master.write_bytes(
        cdr_line("1764533391.1").encode()
        + b'"","5125557401","5125550111"\n'  # 3 columns
        + cdr_line("1764533391.3", start="30/11/2026 14:03").encode()
        + cdr_line("1764533391.4", billsec="abc").encode()
        + cdr_line("1764533391.5", disposition="EXPLODED").encode()
        + cdr_line("1764533391.6", billsec="500").encode()
        + cdr_line("1764533391.7", clid='"Caf\xe9" <1>').encode("latin-1")
        + b'"unterminated,"quote\n'
        + cdr_line("1764533391.9", extra=("", "", "1764533391.9", "3" * 150)).encode()  # key
        + b"\n"
        + cdr_line("1764533391.10").encode()
        + cdr_line("1764533391.11").encode()[:40]  # the PBX is still writing this line
    )
    report = imported(demo, master)
    bad = {b["line"]: b["reason"] for b in report["bad"]}
    assert sorted(bad) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "columns" in bad[2]
    assert "start" in bad[3]
    assert "billsec" in bad[4]
    assert "disposition" in bad[5]
    assert "more than duration" in bad[6]
    assert "UTF-8" in bad[7]
    assert bad[8]
    assert "too long" in bad[9]
    assert report["new"] == 2
    assert report["incomplete_last_line"] is True
    assert {c["provider_call_id"] for c in calls(demo)} == {"1764533391.1", "1764533391.10"}
    again = cli(demo, "import", "asterisk-cdr", str(master))
    assert again.returncode == 0
    assert "line 3: start" in again.stderr
    assert "0 new calls" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/Master.csv"], "no such file"),
        (["{master}", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["{master}", "--account", "999"], "no account 999"),
        (["{master}", "--recordings", "/no/such/dir"], "not a directory"),
    ],
)
def test_bad_import_options(
    demo: dict[str, Any], tmp_path: Path, args: list[str], message: str
) -> None:
    master = tmp_path / "Master.csv"
    master.write_text(cdr_line("1.1"))
    argv = [a.replace("{master}", str(master)) for a in args]
    result = cli(demo, "import", "asterisk-cdr", *argv)
    assert result.returncode != 0
    assert message in result.stderr
    assert calls(demo) == []


def in_process(demo: dict[str, Any], path: Path, batch: int) -> cdr_import.Report:
    """The importer called directly, to choose its batch size."""
    engine = make_engine(demo["url"])
    try:
        maker = make_sessionmaker(engine)
        with maker() as session:
            account = session.execute(text("SELECT min(id) FROM accounts")).scalar_one()
        with path.open("rb") as stream:
            return cdr_import.import_cdr(
                maker, account, stream, ZoneInfo("America/Chicago"), batch_rows=batch
            )
    finally:
        engine.dispose()


def stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]


@BOTH
def test_batches_rows_of_one_call_and_reruns_build_each_call_once(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    missed = {"answer": "", "billsec": "0", "disposition": "NO ANSWER"}
    master = tmp_path / "Master.csv"
    master.write_text(
        cdr_line("1764533391.1", src="5125557401", start="2026-11-30 09:00:00")
        # One call in two rows (sequence 1 and 2), split over two batches of three rows ...
        + cdr_line("1764533391.2", extra=("", "", "1764533391.2", "1"), **missed)
        + cdr_line("1764533391.3", src="", clid="", start="2026-11-30 10:00:00")  # anonymous
        + cdr_line("1764533391.2", extra=("", "", "1764533391.2", "2"))
        # ... and one in two rows of the same batch.
        + cdr_line("1764533391.5", src="5125557405", extra=("", "", "1764533391.5", "1"), **missed)
        + cdr_line("1764533391.5", src="5125557405", extra=("", "", "1764533391.5", "2"))
        + cdr_line("1764533391.7", src="5125557401", start="2026-12-01 09:00:00")
    )
    report = in_process(demo, master, batch=3)
    assert (report.rows, report.new, report.seen, report.bad) == (7, 7, 0, [])
    rows = {c["provider_call_id"]: c for c in calls(demo)}
    assert sorted(rows) == [f"1764533391.{i}" for i in (1, 2, 3, 5, 7)]
    for key in ("1764533391.2", "1764533391.5"):  # the answered row wins, whatever the order
        assert (rows[key]["status"], rows[key]["talk_seconds"]) == ("answered", 120)
    assert rows["1764533391.3"]["caller"] is None
    assert rows["1764533391.3"]["first_time_caller"] is None
    assert rows["1764533391.3"]["qualified"] in (1, True)  # anonymous counts as new
    assert rows["1764533391.1"]["first_time_caller"] in (1, True)
    assert rows["1764533391.7"]["first_time_caller"] in (0, False)  # a repeat, next batch
    assert all(c["created_at"] for c in rows.values())  # the table's defaults are filled
    if "updated_at" in rows["1764533391.1"]:
        assert all(c["updated_at"] for c in rows.values())
    pending = query(demo, "SELECT count(*) AS n FROM call_events WHERE processed_at IS NULL")
    assert pending == [{"n": 0}]

    before = stable(calls(demo))
    again = in_process(demo, master, batch=2)
    assert (again.new, again.seen) == (0, 7)
    assert stable(calls(demo)) == before


@BOTH
def test_an_earlier_call_imported_later_makes_the_stored_call_a_repeat(
    demo: dict[str, Any], tmp_path: Path
) -> None:
    master = tmp_path / "Master.csv"
    master.write_text(cdr_line("1764533391.40", start="2026-12-01 09:00:00"))
    imported(demo, master)
    assert calls(demo)[0]["first_time_caller"] in (1, True)
    with master.open("a") as out:
        out.write(cdr_line("1764533391.41", start="2026-11-30 09:00:00"))
    assert imported(demo, master)["new"] == 1
    earlier, later = calls(demo)
    assert (earlier["first_time_caller"], earlier["qualified"]) in ((1, 1), (True, True))
    assert (later["first_time_caller"], later["qualified"]) in ((0, 0), (False, False))


@BOTH
def test_rows_stored_by_a_run_that_died_are_built_by_the_next(
    demo: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = tmp_path / "Master.csv"
    master.write_text(cdr_line("1764533391.50") + cdr_line("1764533391.51", src="5125557402"))

    def dies(*_: Any) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(cdr_bulk, "build", dies)
    with pytest.raises(RuntimeError):
        in_process(demo, master, batch=cdr_import.BATCH)
    assert calls(demo) == []  # the raw rows were kept, the calls not built
    monkeypatch.undo()
    report = in_process(demo, master, batch=cdr_import.BATCH)
    assert (report.new, report.seen) == (0, 2)
    assert {c["provider_call_id"] for c in calls(demo)} == {"1764533391.50", "1764533391.51"}


def test_bulk_writes_store_what_sqlalchemy_stores() -> None:
    dialect = sqlite.dialect()
    column = cdr_bulk.CALLS.c.started_at
    expected = column.type.dialect_impl(dialect).bind_processor(dialect)
    assert expected is not None
    for value in (
        datetime(2026, 11, 30, 14, 3, 11, tzinfo=ZoneInfo("America/Chicago")),
        datetime(2026, 3, 8, 2, 0, 0, 5, tzinfo=UTC),
    ):
        assert cdr_bulk._converter(column, dialect)(value) == expected(value)
    with pytest.raises(ValueError, match="naive"):
        cdr_bulk._converter(column, dialect)(datetime(2026, 11, 30))
    defaults = cdr_bulk._defaults(cdr_bulk.CALLS, {"started_at", "status"})
    assert defaults["tags"] == []
    assert defaults["recording_attempts"] == 0
    assert isinstance(defaults["created_at"], datetime)


@pytest.mark.parametrize(
    "line",
    [
        cdr_line("1764533391.60"),
        cdr_line("1764533391.61", answer="", billsec="0", disposition="NO ANSWER"),
        cdr_line("1764533391.62", end="", lastapp="VoiceMail"),
        cdr_line(None, src="", clid="", disposition="BUSY", answer="", billsec="0"),
        # The hour that does not exist, and one that happens twice, in Chicago.
        cdr_line("1764533391.63", start="2026-03-08 02:30:00", answer="2026-03-08 03:00:01"),
        cdr_line("1764533391.64", start="2026-11-01 01:30:00", end="2026-11-01 01:59:59"),
        cdr_line("1764533391.65", start="2026-11-30T14:03:11+00:00", extra=("x", "", "", "4")),
    ],
)
def test_facts_read_at_import_are_what_the_stored_row_gives(line: str) -> None:
    """The importer builds calls from the times `parse_row` read, not by normalizing again."""
    zone = ZoneInfo("America/Chicago")
    row = next(csv.reader([line], strict=True))
    parsed = asterisk.parse_row(row, zone)
    payload: dict[str, Any] = {"row": parsed.cols, "call_key": parsed.call_key, "tz": zone.key}
    payload["region"] = "US"
    received = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    from_import = asterisk.read_facts(payload, parsed.times, received)
    stored = json.loads(json.dumps(payload))  # as the processor reads it back
    assert from_import == asterisk.normalize(stored, received)
    for name in ("started_at", "answered_at", "ended_at"):  # same instant and same zone
        ours, theirs = (
            getattr(from_import, name),
            getattr(asterisk.normalize(stored, received), name),
        )
        assert (ours and (ours.utcoffset(), ours.tzinfo)) == (
            theirs and (theirs.utcoffset(), theirs.tzinfo)
        )


def test_the_collector_is_off_during_an_import_and_as_it_was_after() -> None:
    was = gc.isenabled()
    try:
        for before in (True, False):
            (gc.enable if before else gc.disable)()
            with cdr_import._collections_per_batch():
                assert not gc.isenabled()
            assert gc.isenabled() is before
    finally:
        (gc.enable if was else gc.disable)()
