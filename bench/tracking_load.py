"""Load on the public tracking endpoint, as a ratio against a trivial endpoint of the same app.

    python bench/tracking_load.py [--backend embedded|scale] [--seconds 10] [--connections 16]
                                  [--rounds 3]

One real server (`callscope serve`, one uvicorn process) is seeded with the demo business;
`wrk` (Debian's package; installed with apt-get when missing and root) drives it on
loopback. In the same run it measures:
- GET /livez: the trivial endpoint, the baseline;
- POST /t/{key}/sessions, new visitor every request: a session row, a source match and a
  number lease per request, the heaviest case (the pool runs out and then reuses);
- POST /t/{key}/sessions, returning visitor: a page view of one of 1,000 visitors started
  before the run, picked at random per request (a session lookup and a touch per request).
  Until 2026-12-02 every connection repeated one session: wrk's script state is per
  thread, so all 16 connections shared it.
Backends: `embedded` (SQLite, SQL leases: the default install) and `scale` (PostgreSQL at
127.0.0.1:5432 in a throwaway database, Redis leases at 127.0.0.1:6379).

The three run one after another, `--rounds` times on the same server; each round's ratios
are against that round's trivial run, and the table gives the median round (and the
range), so that the machine slowing down between two windows moves one round, not the
figure. Until 2026-12-04 there was one round.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
CALLSCOPE = str(Path(sys.executable).parent / "callscope")
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"

NEW_VISITOR = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["Origin"] = "https://rapidrooter.example"
request = function()
  return wrk.format(nil, nil, nil,
    '{"url": "https://rapidrooter.example/?utm_source=google&utm_medium=cpc&gclid=' ..
    math.random(1, 1e9) .. '", "referrer": "https://www.google.com/", "user_agent": "@USER_AGENT@"}')
end
"""

RETURNING = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["Origin"] = "https://rapidrooter.example"
local ids = {IDS}
request = function()
  local s = ids[math.random(1, #ids)]
  return wrk.format(nil, nil, nil,
    '{"url": "https://rapidrooter.example/pricing", "user_agent": "@USER_AGENT@", "session_id": "' ..
    s[1] .. '", "visitor_id": "' .. s[2] .. '"}')
end
"""
RETURNING_SESSIONS = 1000


def returning_script(sessions_url: str) -> str:
    """RETURNING over visitors started before the run, each request one of them at random."""
    body = {"url": "https://rapidrooter.example/pricing", "user_agent": UA}
    headers = {"Origin": "https://rapidrooter.example"}
    ids = []
    with httpx.Client(timeout=10) as client:
        for _ in range(RETURNING_SESSIONS):
            answer = client.post(sessions_url, json=body, headers=headers).json()
            ids.append(f'{{"{answer["session_id"]}", "{answer["visitor_id"]}"}}')
    return RETURNING.replace("{IDS}", "{" + ", ".join(ids) + "}")


def need_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
        )
        return "wrk"
    sys.exit("wrk is needed: apt-get install wrk")


def parse_wrk(out: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out)
    assert p99 is not None, out
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def wrk(
    url: str, seconds: int, connections: int, script: str | None, tmp: Path
) -> dict[str, float]:
    args = [need_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        path = tmp / f"s{secrets.token_hex(3)}.lua"
        path.write_text(script.replace("@USER_AGENT@", UA))
        args[1:1] = ["-s", str(path)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def postgres_db() -> tuple[str, str]:
    name = f"callscope_bench_{secrets.token_hex(3)}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_db(name: str) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(
    backend: str, seconds: int, connections: int, pool_size: int, rounds: int
) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="callscope-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")} | {
        "CALLSCOPE_DATA_DIR": str(tmp / "data"),
        "CALLSCOPE_TRACKING_RATE_PER_IP": "1000000000",
        "CALLSCOPE_TRACKING_RATE_PER_SITE": "1000000000",
    }
    dbname = None
    if backend == "scale":
        dbname, url = postgres_db()
        env |= {
            "CALLSCOPE_DATABASE_URL": url,
            "CALLSCOPE_REDIS_URL": "redis://127.0.0.1:6379/14",
            "CALLSCOPE_REDIS_PREFIX": f"bench{secrets.token_hex(3)}",
        }
        subprocess.run([CALLSCOPE, "db", "upgrade"], env=env, check=True, capture_output=True)
    seed = subprocess.run(
        [
            CALLSCOPE,
            "demo",
            "--seed-only",
            "--json",
            "--data-dir",
            str(tmp / "data"),
            "--pool-size",
            str(pool_size),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(seed.stdout)
    port = 18_000 + secrets.randbelow(2000)
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(
        [CALLSCOPE, "serve", "--no-migrate", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        sessions = f"{base}/t/{info['site_key']}/sessions"
        wrk(f"{base}/livez", 2, connections, None, tmp)  # warm up
        returning = returning_script(sessions)
        measured: list[dict[str, dict[str, float]]] = []
        for _ in range(rounds):
            trivial = wrk(f"{base}/livez", seconds, connections, None, tmp)
            one = {
                "trivial GET /livez": trivial,
                "sessions, new visitor": wrk(sessions, seconds, connections, NEW_VISITOR, tmp),
                "sessions, returning visitor": wrk(sessions, seconds, connections, returning, tmp),
            }
            for r in one.values():
                r["ratio"] = round(r["rps"] / trivial["rps"], 3)
            measured.append(one)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        if dbname:
            drop_db(dbname)
        shutil.rmtree(tmp, ignore_errors=True)
    results = {}
    for name in measured[0]:
        ratios = [one[name]["ratio"] for one in measured]
        results[name] = {
            "ratio": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "rps": statistics.median(one[name]["rps"] for one in measured),
            "p99_ms": statistics.median(one[name]["p99_ms"] for one in measured),
            "non_2xx": sum(one[name]["non_2xx"] for one in measured),
        }
    return {
        "backend": backend,
        "seconds": seconds,
        "connections": connections,
        "pool_size": pool_size,
        "rounds": measured,
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["embedded", "scale", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pool-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if min(args.seconds, args.connections, args.pool_size, args.rounds) < 1:
        parser.error("--seconds, --connections, --pool-size and --rounds must be at least 1")
    backends = ["embedded", "scale"] if args.backend == "both" else [args.backend]
    for backend in backends:
        report = run(backend, args.seconds, args.connections, args.pool_size, args.rounds)
        print(
            f"\n{backend}: {args.connections} connections, {args.seconds} s each, "
            f"pool {args.pool_size}, median of {args.rounds} rounds"
        )
        print(
            f"{'endpoint':30} {'req/s':>7} {'ratio':>6} {'range':>11} {'p99 ms':>7} {'non-2xx':>8}"
        )
        for name, r in report["results"].items():  # type: ignore[attr-defined]
            span = f"{r['ratio_min']:.2f}-{r['ratio_max']:.2f}"
            print(
                f"{name:30} {r['rps']:7.0f} {r['ratio']:6.2f} {span:>11} {r['p99_ms']:7.2f} "
                f"{r['non_2xx']:8.0f}"
            )
        print(json.dumps(report))


if __name__ == "__main__":
    main()
