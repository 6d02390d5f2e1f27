"""The dashboard in real Chromium against `callscope serve`: what a marketer does each morning.

A small fixed account (America/Chicago) is written to the database; its insights come from
the real model. The test signs in, filters by a source and a date range, opens a call,
plays its recording, corrects its category and sees the report change, and exports CSV.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import math
import struct
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from callscope.accounts.schemas import AccountCreate
from callscope.accounts.service import create_account
from callscope.analysis.models import TranscriptRecord
from callscope.calls.models import Call
from callscope.config import Settings
from callscope.db.engine import make_sessionmaker
from callscope.intel.service import Intelligence, document_of, store
from callscope.numbers.models import Channel, Source
from tests.browser import launch, screenshot
from tests.server import Server, running

PASSWORD = "morning coffee 42"
ZONE = ZoneInfo("America/Chicago")

CALLS = [
    # (source, days ago, local hour, status, talk seconds, turns)
    (
        "Google Ads",
        1,
        9,
        "answered",
        140,
        [
            ("agent", "Rapid Rooter Plumbing, this is Dana, how can I help?"),
            ("caller", "Hi, my kitchen drain is clogged and water is backing up into the sink."),
            ("agent", "We can send a technician tomorrow between eight and ten. Does that work?"),
            ("caller", "Yes, please book me for tomorrow morning. My address is 12 Oak Street."),
            ("agent", "You're booked for tomorrow at eight, see you then."),
        ],
    ),
    (
        "Google Ads",
        1,
        14,
        "answered",
        80,
        [
            ("agent", "Rapid Rooter Plumbing, how can I help you?"),
            ("caller", "How much do you charge to replace a fifty gallon water heater?"),
            (
                "agent",
                "Usually between twelve and sixteen hundred installed, depending on the unit.",
            ),
            ("caller", "Okay, I'm getting a few quotes, I'll call back. Thanks."),
        ],
    ),
    ("Google Ads", 2, 11, "missed", 0, []),
    (
        "Flyer",
        1,
        10,
        "answered",
        95,
        [
            ("agent", "Rapid Rooter Plumbing, Sam speaking."),
            ("caller", "I got your flyer. My water heater is leaking, can someone come today?"),
            ("agent", "Yes, a technician can be there at three this afternoon."),
            ("caller", "Great, please schedule it, I'll be home."),
        ],
    ),
    ("Flyer", 40, 10, "answered", 60, []),  # outside the default 30-day range
]


def wav(path: Path, seconds: float = 4.0) -> int:
    """A mono 8 kHz recording of a tone: something the player can really play."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path.stat().st_size


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture
def dashboard(
    db: Engine, database_url: str, tmp_path: Path
) -> Iterator[tuple[Server, dict[str, Any]]]:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    maker = make_sessionmaker(db)
    today = datetime.now(ZONE).date()
    with maker() as session:
        created = create_account(
            session,
            AccountCreate(
                name="Browser Plumbing",
                email="owner@browser.example",
                password=PASSWORD,
                timezone="America/Chicago",
            ),
        )
        account_id = created.account.id
        sources = {
            name: Source(account_id=account_id, name=name, channel=channel)
            for name, channel in (("Google Ads", Channel.paid_search), ("Flyer", Channel.offline))
        }
        session.add_all(sources.values())
        session.flush()
        recording = tmp_path / "call-1.wav"
        size = wav(recording)
        calls = []
        for i, (source, ago, hour, status, talk, turns) in enumerate(CALLS):
            local = datetime.combine(today - timedelta(days=ago), time(hour), ZONE)
            call = Call(
                account_id=account_id,
                provider="demo",
                provider_call_id=f"browser-{i}",
                status=status,
                caller=f"+1512555{2000 + i:04d}",
                tracking_number="+15125550111",
                started_at=local.astimezone(UTC),
                answered_at=local.astimezone(UTC) if status == "answered" else None,
                talk_seconds=talk,
                source_id=sources[source].id,
                attribution="static",
                first_time_caller=True,
                qualified=talk >= 60,
            )
            if i == 0:
                call.recording_status = "stored"
                call.recording_path = str(recording)
                call.recording_bytes = size
                call.recording_channels = 1
            session.add(call)
            session.flush()
            calls.append(call)
            if turns:
                clock = 0.0
                rows = []
                for speaker, text in turns:
                    rows.append(
                        {"speaker": speaker, "start": clock, "end": clock + 3, "text": text}
                    )
                    clock += 3.5
                session.add(
                    TranscriptRecord(
                        account_id=account_id,
                        call_id=call.id,
                        language="en",
                        language_source="account",
                        model="fixture",
                        model_version="fixture",
                        device="cpu",
                        channels=2,
                        duration_seconds=talk,
                        speech_seconds=clock,
                        processing_seconds=0,
                        real_time_factor=0,
                        text="\n".join(f"{r['speaker']}: {r['text']}" for r in rows),
                        turns=rows,
                        redactions={},
                    )
                )
        session.flush()
        brain = Intelligence(settings)
        context = brain.context(session, account_id)
        brain.prepare(context)
        analysed = [c for c in calls if c.status == "answered"]
        records = [
            session.scalar(select(TranscriptRecord).where(TranscriptRecord.call_id == c.id))
            for c in analysed
        ]
        pairs = [(c, r) for c, r in zip(analysed, records, strict=True) if r is not None]
        results = brain.analyze(
            [document_of(r) for _, r in pairs],
            context,
            [(c.talk_seconds, c.first_time_caller) for c, _ in pairs],
        )
        categories = {}
        for (call, _), result in zip(pairs, results, strict=True):
            row = store(session, call, result, brain.classifier.version)
            categories[call.provider_call_id] = row.category
        session.commit()
        info = {
            "email": "owner@browser.example",
            "flyer": sources["Flyer"].id,
            "first_call": calls[0].id,
            "categories": categories,
            "today": today,
        }
    with running(
        "--database-url", database_url, "--data-dir", str(tmp_path), "serve", "--no-migrate"
    ) as server:
        yield server, info


def kpi(page: Any, name: str) -> int:
    return int(page.locator(f'[data-kpi="{name}"] .value').inner_text().replace(",", ""))


def test_a_morning_in_the_dashboard(
    browser: Any, dashboard: tuple[Server, dict[str, Any]], database_url: str
) -> None:
    server, info = dashboard
    backend = database_url.split(":")[0].split("+")[0]
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # sign in: the login page, then back to the page asked for
    page.goto(f"{server.url}/calls")
    assert "/login?next=/calls" in page.url
    page.fill('input[name="email"]', info["email"])
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{server.url}/calls")
    assert page.locator("tr[data-call-id]").count() == 4  # the 40-day-old call is out of range

    # the overview, default range: four calls, one missed
    page.click("header nav >> text=Overview")
    page.wait_for_selector('#report[data-loaded="true"]')
    assert kpi(page, "calls") == 4
    assert kpi(page, "missed") == 1
    screenshot(page, f"dashboard-overview-{backend}")

    # filter by a source and a date range: the flyer's calls of the last 45 days
    start = info["today"] - timedelta(days=44)
    page.select_option('select[name="source"]', str(info["flyer"]))
    page.fill('input[name="from"]', start.isoformat())
    page.fill('input[name="to"]', info["today"].isoformat())
    page.click("form.filters button[type=submit]")
    page.wait_for_selector('#report[data-loaded="true"]')
    assert f"source={info['flyer']}" in page.url
    assert f"from={start.isoformat()}" in page.url
    assert kpi(page, "calls") == 2
    # the filters stay when moving to another report
    page.click("header nav >> text=Sources")
    page.wait_for_selector('#report[data-loaded="true"]')
    assert f"source={info['flyer']}" in page.url
    assert page.locator('select[name="source"]').input_value() == str(info["flyer"])
    table = page.locator("table.report-table").first.inner_text()
    assert "Flyer" in table
    assert "Google Ads" not in table
    screenshot(page, f"dashboard-sources-{backend}")

    # export CSV of what is on screen
    with page.expect_download() as download:
        page.click("#csv")
    body = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["source"] for r in rows] == ["Flyer"]  # grouped by source, the default
    assert rows[0]["calls"] == "2"

    # open the first Google Ads call from the call log, play its recording
    page.goto(f"{server.url}/calls?q=kitchen")
    assert page.locator("tr[data-call-id]").count() == 1
    page.click("tr[data-call-id] >> text=Open")
    page.wait_for_url(f"{server.url}/calls/{info['first_call']}")
    assert "clogged" in page.locator("#transcript").inner_text()
    page.click("button.ts >> nth=1")  # a timestamp: seeks and plays
    page.wait_for_function(
        "() => { const p = document.getElementById('player');"
        " return p && !p.paused && p.currentTime > 3.6 || (p && p.ended); }",
        timeout=15000,
    )
    ranged = page.evaluate(
        """async (url) => {
            const r = await fetch(url, {headers: {Range: 'bytes=0-99'}});
            return [r.status, (await r.arrayBuffer()).byteLength];
        }""",
        f"/api/v1/calls/{info['first_call']}/recording",
    )
    assert ranged == [206, 100]
    screenshot(page, f"dashboard-call-{backend}")

    # correct the category in one click, and see the overview change
    before = info["categories"]["browser-0"]
    target = "sale" if before != "sale" else "quote"
    overview = f"{server.url}/?from={(info['today'] - timedelta(days=3)).isoformat()}"
    counts_before = category_counts(page, overview)
    page.goto(f"{server.url}/calls/{info['first_call']}")
    page.select_option('#correct select[name="category"]', target)
    page.click("#correct button[type=submit]")
    page.wait_for_selector(f'#category:text-is("{target}")')
    counts_after = category_counts(page, overview)
    assert counts_after.get(target, 0) == counts_before.get(target, 0) + 1
    assert counts_after.get(before, 0) == counts_before.get(before, 0) - 1
    screenshot(page, f"dashboard-after-correction-{backend}")

    # every other report draws from its JSON without a script error
    for name, expect in [
        ("attribution", "Google Ads"),
        ("when", "Mon"),
        ("where", "(none)"),
        ("topics", "kitchen"),
    ]:
        page.goto(f"{server.url}/reports/{name}")
        page.wait_for_selector('#report[data-loaded="true"]')
        assert expect in page.locator("#report").inner_text(), name
        screenshot(page, f"dashboard-{name}-{backend}")
    page.goto(f"{server.url}/numbers")
    page.goto(f"{server.url}/settings")
    assert "Browser Plumbing" in page.content()

    # sign out: the session is gone
    page.click("header >> text=Sign out")
    page.wait_for_url(f"{server.url}/login")
    page.goto(f"{server.url}/")
    assert "/login" in page.url
    assert errors == []
    context.close()


def category_counts(page: Any, url: str) -> dict[str, int]:
    """The overview's category table as the page shows it."""
    page.goto(url)
    page.wait_for_selector('#report[data-loaded="true"]')
    table = page.locator('table.report-table[data-name="categories"]')
    counts = {}
    for row in table.locator("tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        counts[cells[0]] = int(cells[1])
    return counts
