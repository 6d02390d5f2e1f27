"""Webhook ingestion under load, with replays, and a kill -9 of the server half way.

    python bench/webhook_ingest.py [--calls 3000] [--threads 8]

A real server (`callscope serve`, embedded SQLite, demo seed) takes signed generic
webhooks: two events per call (ringing, completed), plus every fifth event sent a second
time (a provider's retry). Half way the server is killed with SIGKILL and started again;
senders retry whatever was not answered 202, as providers do. At the end it counts events
sent, answered, stored and calls built, and checks that every answered event was stored
(none lost) and none was stored twice (none doubled).
Baseline in the same run: GET /livez with the same client threads.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from callscope.calls.hooks import sign

CALLSCOPE = str(Path(sys.executable).parent / "callscope")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [CALLSCOPE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("a"),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def events(calls: int, flyer: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    t0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
    for i in range(calls):
        at = t0 + timedelta(minutes=i)
        base = {
            "call_id": f"bench-{i}",
            "from": f"+1512555{i % 9000 + 1000:04d}",
            "to": flyer,
            "started_at": at.isoformat(),
        }
        out.append(base | {"event_id": f"bench-{i}-r", "status": "ringing"})
        out.append(
            base
            | {
                "event_id": f"bench-{i}-c",
                "status": "completed",
                "answered_at": (at + timedelta(seconds=5)).isoformat(),
                "ended_at": (at + timedelta(seconds=95)).isoformat(),
            }
        )
    return out


def baseline(url: str, threads: int, seconds: float) -> float:
    count = [0] * threads
    stop = time.monotonic() + seconds

    def work(k: int) -> None:
        with httpx.Client() as client:
            while time.monotonic() < stop:
                client.get(url)
                count[k] += 1

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(count) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callscope-hooks-") as tmp:
        data = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")}
        env["CALLSCOPE_DATA_DIR"] = str(data)
        seed = json.loads(
            subprocess.run(
                [CALLSCOPE, "demo", "--seed-only", "--json", "--data-dir", str(data)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = data / "server.log"
        server = start(env, port, log)
        base = baseline(f"{url}/livez", args.threads, 5)
        todo = events(args.calls, seed["static_numbers"]["Flyer"])
        rng = random.Random(7)
        sends = todo + [e for e in todo if rng.random() < 0.2]
        rng.shuffle(sends)
        lock = threading.Lock()
        acked: set[str] = set()
        sent = [0]
        kill_at = len(sends) // 2

        def post(client: httpx.Client, body: dict[str, object]) -> bool:
            raw = json.dumps(body).encode()
            headers = {
                "X-Callscope-Account": str(seed["account_id"]),
                "X-Callscope-Signature": sign(seed["webhook_secret"], raw, int(time.time())),
                "Content-Type": "application/json",
            }
            try:
                return (
                    client.post(
                        f"{url}/hooks/calls", content=raw, headers=headers, timeout=10
                    ).status_code
                    == 202
                )
            except httpx.TransportError:
                return False

        queue = list(reversed(sends))
        current = {"server": server}
        phase: dict[str, float] = {}
        failures = [0]

        def kill_and_restart() -> None:
            os.kill(current["server"].pid, signal.SIGKILL)
            current["server"].wait()
            phase["killed"] = time.perf_counter()
            current["server"] = start(env, port, log)  # the sweep picks up what was stored
            phase["back"] = time.perf_counter()

        killer = threading.Thread(target=kill_and_restart)

        def work() -> None:
            with httpx.Client() as client:
                while True:
                    with lock:
                        if not queue:
                            return
                        body = queue.pop()
                        sent[0] += 1
                        if sent[0] == kill_at:
                            phase["half"] = time.perf_counter()
                            killer.start()
                    if post(client, body):
                        with lock:
                            acked.add(str(body["event_id"]))
                        continue
                    with lock:  # not answered 202: the provider retries it later
                        failures[0] += 1
                        queue.insert(0, body)
                    time.sleep(0.2)

        started = time.perf_counter()
        pool = [threading.Thread(target=work) for _ in range(args.threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        killer.join()
        server = current["server"]
        rate = kill_at / (phase["half"] - started)
        downtime = phase["back"] - phase["killed"]
        db = sqlite3.connect(data / "callscope.db")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pending = db.execute(
                "SELECT count(*) FROM call_events WHERE processed_at IS NULL"
            ).fetchone()[0]
            if pending == 0:
                break
            time.sleep(0.5)
        stored = {
            r[0] for r in db.execute("SELECT event_key FROM call_events WHERE provider = 'generic'")
        }
        stored_rows = db.execute(
            "SELECT count(*) FROM call_events WHERE provider = 'generic'"
        ).fetchone()[0]
        calls, answered = db.execute(
            "SELECT count(*), sum(status = 'answered' AND talk_seconds = 90) FROM calls WHERE provider = 'generic'"
        ).fetchone()
        server.send_signal(signal.SIGTERM)
        server.wait()
        unique = {str(e["event_id"]) for e in todo}
        print(f"baseline GET /livez: {base:,.0f} req/s with {args.threads} threads")
        print(f"webhooks before the kill: {rate:,.0f} req/s ({rate / base:.2f}x baseline)")
        print(
            f"events: {len(unique)} unique, {len(sends)} sent with replays; the restart took "
            f"{downtime:.1f} s; {failures[0]} sends unanswered around it, retried"
        )
        print(
            f"stored: {stored_rows} rows, lost {len(acked - stored)}, "
            f"doubled {stored_rows - len(stored)}, missing {len(unique - stored)}"
        )
        print(
            f"calls: {calls} built of {args.calls}, {answered} complete; pending events {pending}"
        )


if __name__ == "__main__":
    main()
