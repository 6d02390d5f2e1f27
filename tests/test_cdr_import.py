"""`callscope import asterisk-cdr`, run as a user runs it, on a demo database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli import run, run_json

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
def demo(tmp_path: Path) -> dict[str, Any]:
    data = tmp_path / "demo"
    info: dict[str, Any] = run_json("demo", "--seed-only", "--json", "--data-dir", str(data))
    info["dir"] = data
    return info


def imported(demo: dict[str, Any], path: Path, *extra: str) -> dict[str, Any]:
    result = run(
        "--data-dir", str(demo["dir"]), "import", "asterisk-cdr", str(path), "--json", *extra
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def calls(demo: dict[str, Any], where: str = "provider = 'asterisk'") -> list[dict[str, Any]]:
    with sqlite3.connect(demo["dir"] / "callscope.db") as db:
        db.row_factory = sqlite3.Row
        return [
            dict(r) for r in db.execute(f"SELECT * FROM calls WHERE {where} ORDER BY started_at")
        ]


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
    with sqlite3.connect(demo["dir"] / "callscope.db") as db:
        return list(db.execute("SELECT call_id, state FROM jobs WHERE kind = 'analyze'"))


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
        + b"\n"
        + cdr_line("1764533391.10").encode()
        + cdr_line("1764533391.11").encode()[:40]  # the PBX is still writing this line
    )
    report = imported(demo, master)
    bad = {b["line"]: b["reason"] for b in report["bad"]}
    assert sorted(bad) == [2, 3, 4, 5, 6, 7, 8]
    assert "columns" in bad[2]
    assert "start" in bad[3]
    assert "billsec" in bad[4]
    assert "disposition" in bad[5]
    assert "more than duration" in bad[6]
    assert "UTF-8" in bad[7]
    assert bad[8]
    assert report["new"] == 2
    assert report["incomplete_last_line"] is True
    assert {c["provider_call_id"] for c in calls(demo)} == {"1764533391.1", "1764533391.10"}
    text = run("--data-dir", str(demo["dir"]), "import", "asterisk-cdr", str(master))
    assert text.returncode == 0
    assert "line 3: start" in text.stderr
    assert "0 new calls" in text.stdout


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
    result = run("--data-dir", str(demo["dir"]), "import", "asterisk-cdr", *argv)
    assert result.returncode != 0
    assert message in result.stderr
    assert calls(demo) == []
