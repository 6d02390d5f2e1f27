"""The analysis job queue: a stored recording becomes a transcript, once, whatever happens.

Real parts throughout: the webhook stores the call, the recording is fetched over HTTP,
Huey (SQLite file or Redis) delivers the job, the bundled tiny.en model transcribes it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from callscope.analysis.models import TranscriptRecord
from callscope.analysis.worker import JobWorker
from callscope.calls.models import Call
from callscope.config import Settings
from callscope.jobs.models import Job
from callscope.jobs.queue import wait_for
from tests import speechgen
from tests.calls import post_event, recording_server, secret_of
from tests.conftest import REDIS_URL
from tests.factories import Tenant

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TURNS = [
    ("agent", "en", "What is the card number?"),
    ("caller", "en", "It is four two four two, four two four two, four two four two, four two "
     "four two."),
]  # fmt: skip


@pytest.fixture(scope="module")
def call_audio(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return speechgen.call(TURNS, tmp_path_factory.mktemp("audio") / "call.wav").read_bytes()


@pytest.fixture(params=["embedded", "redis"])
def job_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    values: dict[str, Any] = {"jobs_sweep_seconds": 0.2, "jobs_lease_seconds": 5}
    if request.param == "redis":
        request.getfixturevalue("redis_client")  # skips locally, fails under CI, without Redis
        values |= {
            "jobs_backend": "redis",
            "redis_url": SecretStr(REDIS_URL),
            "redis_prefix": f"cstest-{secrets.token_hex(4)}",
        }
    return settings.model_copy(update=values)


@pytest.fixture
def worker(app: FastAPI, job_settings: Settings) -> Iterator[JobWorker]:
    job_worker = JobWorker(app.state.sessionmaker, job_settings)
    job_worker.start()
    yield job_worker
    job_worker.stop()


def send_call(client: TestClient, app: FastAPI, tenant: Tenant, url: str, call_id: str) -> int:
    body = {
        "event_id": f"{call_id}-done",
        "call_id": call_id,
        "from": "+15125557001",
        "to": "+15125550100",
        "status": "completed",
        "started_at": T0.isoformat(),
        "answered_at": (T0 + timedelta(seconds=5)).isoformat(),
        "ended_at": (T0 + timedelta(seconds=60)).isoformat(),
        "recording_url": url,
    }
    response = post_event(client, tenant.account_id, secret_of(app, tenant.account_id), body)
    assert response.status_code == 202, response.text
    with app.state.sessionmaker() as db:
        return int(db.scalar(select(Call.id).where(Call.provider_call_id == call_id)) or 0)


def job_of(app: FastAPI, call_id: int) -> Job:
    with app.state.sessionmaker() as db:
        job = db.scalar(select(Job).where(Job.call_id == call_id, Job.kind == "analyze"))
        assert job is not None, "a stored recording must get an analysis job"
        return job


def transcripts(app: FastAPI, call_id: int) -> int:
    with app.state.sessionmaker() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(TranscriptRecord)
                .where(TranscriptRecord.call_id == call_id)
            )
            or 0
        )


def test_a_stored_recording_becomes_a_redacted_transcript(
    app: FastAPI, client: TestClient, tenant: Tenant, worker: JobWorker, call_audio: bytes
) -> None:
    with recording_server() as media:
        media.files["/rec/1.wav"] = call_audio
        call_id = send_call(client, app, tenant, media.url + "/rec/1.wav", "job-1")
    job = job_of(app, call_id)
    assert wait_for(app.state.sessionmaker, [job.id], 120)
    listed = tenant.ok("get", f"/jobs?call_id={call_id}")["items"]
    # the chain: the transcript's job queued the categorising job on the text queue
    assert wait_for(app.state.sessionmaker, [j["id"] for j in listed], 60)
    listed = tenant.ok("get", f"/jobs?call_id={call_id}")["items"]
    assert sorted(
        (j["kind"], j["queue"], j["state"], j["attempts"], j["error"]) for j in listed
    ) == [
        ("analyze", "speech", "done", 1, None),
        ("insights", "text", "done", 1, None),
    ]
    analysis = tenant.ok("get", f"/calls/{call_id}")["analysis"]
    assert analysis["category"] in {c["key"] for c in tenant.ok("get", "/categories")["items"]}
    assert "payment" in analysis["topics"]  # "what is the card number?"
    t = tenant.ok("get", f"/calls/{call_id}/transcript")
    assert t["model"] == "tiny.en"  # the account speaks English only (the default)
    assert t["channels"] == 2
    assert [turn["speaker"] for turn in t["turns"]] == ["agent", "caller"]
    assert "[CARD]" in t["text"]
    assert t["redactions"] == {"card": 1}
    assert "4242" not in t["text"].replace(" ", "").replace(",", "")
    assert t["real_time_factor"] > 0

    # run it again: still one transcript, replaced
    again = tenant.ok("post", f"/jobs/{job.id}/retry")
    assert again["state"] == "queued"
    assert wait_for(app.state.sessionmaker, [job.id], 120)
    assert transcripts(app, call_id) == 1
    assert tenant.ok("get", f"/jobs/{job.id}")["state"] == "done"


def test_audio_redaction_silences_the_card_in_the_stored_recording(
    app: FastAPI, client: TestClient, tenant: Tenant, worker: JobWorker, call_audio: bytes
) -> None:
    tenant.ok("patch", "/account", {"redact_audio": True})
    with recording_server() as media:
        media.files["/rec/2.wav"] = call_audio
        call_id = send_call(client, app, tenant, media.url + "/rec/2.wav", "job-2")
    assert wait_for(app.state.sessionmaker, [job_of(app, call_id).id], 120)
    t = tenant.ok("get", f"/calls/{call_id}/transcript")
    assert t["audio_redacted"] is True
    card = next(w for turn in t["turns"] for w in turn["words"] if w["text"].startswith("[CARD]"))
    audio = client.get(f"/api/v1/calls/{call_id}/recording", headers=tenant.headers)
    assert audio.status_code == 200
    stored = Path(job_settings_dir(app)) / "check.wav"
    stored.write_bytes(audio.content)
    samples = speechgen.read_stereo(stored)
    rate = speechgen.RATE
    caller = samples[int(card["start"] * rate) : int(card["end"] * rate), 0]
    assert caller.size > rate  # the card took more than a second to say
    assert abs(caller).max() == 0  # silenced on the caller's channel
    assert abs(samples[: int(2 * rate), 1]).max() > 0  # the agent's greeting is still there


def job_settings_dir(app: FastAPI) -> str:
    settings: Settings = app.state.settings
    return str(settings.data_dir)


def test_an_unreadable_recording_fails_with_the_reason_and_can_be_retried(
    app: FastAPI, client: TestClient, tenant: Tenant, worker: JobWorker, call_audio: bytes
) -> None:
    with recording_server() as media:  # serves bytes that are not audio
        call_id = send_call(client, app, tenant, media.url + "/rec/fake.wav", "job-3")
    job = job_of(app, call_id)
    assert wait_for(app.state.sessionmaker, [job.id], 60)
    failed = tenant.ok("get", "/jobs?state=failed")["items"]
    assert [j["id"] for j in failed] == [job.id]
    assert "not a readable audio file" in failed[0]["error"]
    assert failed[0]["attempts"] == 1  # not retried: a retry cannot help
    assert tenant.get(f"/calls/{call_id}/transcript").status_code == 404
    # the file is fixed (a re-upload), then the job is retried
    with app.state.sessionmaker() as db:
        path = Path(db.get_one(Call, call_id).recording_path or "")
    path.write_bytes(call_audio)
    assert tenant.ok("post", f"/jobs/{job.id}/retry")["state"] == "queued"
    assert wait_for(app.state.sessionmaker, [job.id], 120)
    assert tenant.ok("get", f"/jobs/{job.id}")["state"] == "done"


def test_a_transient_error_is_retried_after_a_pause(
    app: FastAPI, client: TestClient, tenant: Tenant, job_settings: Settings, call_audio: bytes
) -> None:
    with recording_server() as media:
        media.files["/rec/5.wav"] = call_audio
        call_id = send_call(client, app, tenant, media.url + "/rec/5.wav", "job-5")
        with app.state.sessionmaker() as db:
            path = Path(db.get_one(Call, call_id).recording_path or "")
        held = path.read_bytes()
        path.unlink()  # e.g. a network share that is away for a moment
    job = job_of(app, call_id)
    # The worker starts after the file is gone: started earlier, it could finish first.
    worker = JobWorker(app.state.sessionmaker, job_settings)
    worker.start()
    try:
        _retried_after_a_pause(app, tenant, job, path, held)
    finally:
        worker.stop()


def _retried_after_a_pause(app: FastAPI, tenant: Tenant, job: Job, path: Path, held: bytes) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = tenant.ok("get", f"/jobs/{job.id}")
        if current["attempts"] == 1 and current["state"] == "queued":
            break
        time.sleep(0.1)
    assert current["state"] == "queued"
    assert "is missing" in current["error"]
    pause = datetime.fromisoformat(current["run_after"]) - datetime.now(UTC)
    assert timedelta(seconds=20) < pause <= timedelta(seconds=30)  # the first backoff: 30 s
    time.sleep(1)
    assert tenant.ok("get", f"/jobs/{job.id}")["attempts"] == 1  # not before its time
    path.write_bytes(held)
    with app.state.sessionmaker() as db:  # let the pause pass
        db.get_one(Job, job.id).run_after = datetime.now(UTC)
        db.commit()
    assert wait_for(app.state.sessionmaker, [job.id], 120)
    done = tenant.ok("get", f"/jobs/{job.id}")
    assert (done["state"], done["attempts"], done["error"]) == ("done", 2, None)


def test_jobs_api_refuses_bad_input_and_other_accounts(
    app: FastAPI, client: TestClient, tenant: Tenant, other: Tenant
) -> None:
    with recording_server() as media:
        call_id = send_call(client, app, tenant, media.url + "/rec/x.wav", "job-4")
    job = job_of(app, call_id)
    assert tenant.get("/jobs?state=bogus").status_code == 422
    assert tenant.get("/jobs?call_id=-1").status_code == 422
    assert tenant.get("/jobs?nope=1").status_code == 422
    assert tenant.get("/jobs/999999").status_code == 404
    assert other.get(f"/jobs/{job.id}").status_code == 404
    assert other.ok("get", "/jobs")["items"] == []
    assert other.post(f"/jobs/{job.id}/retry").status_code == 404
    assert tenant.post(f"/jobs/{job.id}/retry").status_code == 409  # still queued
    assert tenant.get(f"/calls/{call_id}/transcript").status_code == 404
    assert client.get("/api/v1/jobs").status_code == 401
    for bad in ({"languages": []}, {"languages": ["english"]}, {"redact_audio": None}):
        assert tenant.patch("/account", bad).status_code == 422, bad


# --- crash and restart, with real worker processes ------------------------------------------


def cli(settings: Settings, *args: str, **kw: Any) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")} | {
        "CALLSCOPE_DATABASE_URL": settings.effective_database_url,
        "CALLSCOPE_DATA_DIR": str(settings.data_dir),
        "CALLSCOPE_JOBS_SWEEP_SECONDS": "0.2",
        "CALLSCOPE_JOBS_LEASE_SECONDS": "300",  # recovery must come from the dead pid, not time
    }
    return subprocess.Popen(
        [sys.executable, "-m", "callscope", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def wait_state(app: FastAPI, job_id: int, state: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.state.sessionmaker() as db:
            if db.get_one(Job, job_id).state == state:
                return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never became {state}")


def test_kill_9_during_a_job_then_restart_runs_it_again_once(
    app: FastAPI, client: TestClient, tenant: Tenant, settings: Settings, tmp_path: Path
) -> None:
    # a minute of real speech: long enough to be killed mid-transcription
    long_call = tmp_path / "long.wav"
    jfk = Path(__file__).parent / "data" / "speech" / "en-jfk-inaugural.flac"
    subprocess.run(
        ["sox", "-R", str(jfk), str(jfk), str(jfk), str(jfk), str(jfk), *speechgen.PHONE, "-c", "1",
         str(long_call)],
        check=True,
    )  # fmt: skip
    with recording_server() as media:
        media.files["/rec/long.wav"] = long_call.read_bytes()
        first = send_call(client, app, tenant, media.url + "/rec/long.wav", "crash-1")
        second = send_call(client, app, tenant, media.url + "/rec/long.wav", "crash-2")
    jobs = [job_of(app, first).id, job_of(app, second).id]

    victim = cli(settings, "worker")
    try:
        wait_state(app, jobs[0], "running", 60)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    with app.state.sessionmaker() as db:
        assert db.get_one(Job, jobs[0]).state == "running"  # as the dead worker left it
    assert transcripts(app, first) == 0

    survivor = cli(settings, "worker")
    try:
        assert wait_for(app.state.sessionmaker, jobs, 240)
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(30)
    listed = {j["id"]: j for j in tenant.ok("get", "/jobs")["items"]}
    assert listed[jobs[0]]["state"] == "done"
    assert listed[jobs[0]]["attempts"] == 2  # the interrupted run, then the one that finished
    assert listed[jobs[1]]["state"] == "done"  # pending when the first worker died
    assert transcripts(app, first) == 1
    assert transcripts(app, second) == 1
    text = tenant.ok("get", f"/calls/{first}/transcript")["text"].lower()
    words = " ".join(re.findall(r"[a-z']+", text))  # Whisper's punctuation varies run to run
    assert "what your country can do for you" in words


def test_jobs_cli_lists_retries_and_reanalyses(
    app: FastAPI, client: TestClient, tenant: Tenant, settings: Settings, call_audio: bytes
) -> None:
    with recording_server() as media:
        media.files["/rec/ok.wav"] = call_audio
        good = send_call(client, app, tenant, media.url + "/rec/ok.wav", "cli-1")
        bad = send_call(client, app, tenant, media.url + "/rec/fake.wav", "cli-2")
    runner = cli(settings, "worker")
    try:
        jobs = [job_of(app, good).id, job_of(app, bad).id]
        assert wait_for(app.state.sessionmaker, jobs, 120)
        with app.state.sessionmaker() as db:  # the good call's transcript is categorised next
            chained = list(db.scalars(select(Job.id).where(Job.kind == "insights")))
        assert len(chained) == 1
        assert wait_for(app.state.sessionmaker, chained, 60)

        listed = cli(settings, "jobs", "--json")
        stdout, _ = listed.communicate(timeout=60)
        report = json.loads(stdout)
        assert report["counts"] == {"done": 2, "failed": 1}
        assert {j["state"] for j in report["jobs"]} == {"done", "failed"}

        retried = cli(settings, "jobs", "retry")
        stdout, _ = retried.communicate(timeout=60)
        assert "1 jobs queued again" in stdout
        assert wait_for(app.state.sessionmaker, jobs, 60)

        again = cli(settings, "reanalyze", "--call", str(good), "--wait", "--json")
        stdout, stderr = again.communicate(timeout=180)
        assert again.returncode == 0, stderr
        assert json.loads(stdout) == {"jobs": 1, "done": 1, "failed": 0}
        assert transcripts(app, good) == 1

        nothing = cli(settings, "reanalyze")
        _, stderr = nothing.communicate(timeout=60)
        assert nothing.returncode == 1
        assert "say which calls" in stderr
        bad_state = cli(settings, "jobs", "--state", "sleeping")
        _, stderr = bad_state.communicate(timeout=60)
        assert bad_state.returncode == 1
        assert "--state: expected one of" in stderr
        bad_queue = cli(settings, "worker", "--queue", "video")
        _, stderr = bad_queue.communicate(timeout=60)
        assert bad_queue.returncode == 1
        assert "unknown queue 'video'" in stderr
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(30)
