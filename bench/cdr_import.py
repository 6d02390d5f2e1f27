"""CDR import throughput: `callscope import asterisk-cdr` on a generated Master.csv.

    python bench/cdr_import.py [--rows 1000000] [--backend embedded|postgresql|both]

Generates a Master.csv (18 columns with uniqueid and userfield; 75% answered; a fifth of
the calls to a DNI pool number, the rest to static numbers or unknown ones; callers drawn
from 200,000 numbers so repeat callers exist), seeds the demo business, and times the real
command end to end (parse, store the raw rows, build, attribute and history-check the calls).
Baseline in the same run: Python's csv module reading the same file (rows/s), before and
after each import (the ratio is to their mean), since this machine's speed varies. Then the same file is imported again, to time a
re-run that finds every row already imported. The import ends by bringing the reports'
rollups up to date (a full build, as the demo account has none for these calls yet); its
rows/s leave that out, and the refresh's seconds are printed beside.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

CALLSCOPE = str(Path(sys.executable).parent / "callscope")
NUMBERS = ("5125550111", "5125550122", "5125550133", "5125550140", "5125559999")


def generate(path: Path, rows: int) -> None:
    rng = random.Random(1)
    callers = [f"512{rng.randint(2_000_000, 9_999_999)}" for _ in range(200_000)]
    fmt = "%Y-%m-%d %H:%M:%S"
    with path.open("w") as out:
        for i in range(rows):
            t = 1_760_000_000 + i * 7
            ring = rng.randint(2, 30)
            answered = rng.random() < 0.75
            talk = rng.randint(5, 600) if answered else 0
            start = datetime.fromtimestamp(t, UTC).strftime(fmt)
            answer = datetime.fromtimestamp(t + ring, UTC).strftime(fmt) if answered else ""
            end = datetime.fromtimestamp(t + ring + talk, UTC).strftime(fmt)
            src = rng.choice(callers)
            disposition = "ANSWERED" if answered else "NO ANSWER"
            out.write(
                f'"","{src}","{rng.choice(NUMBERS)}","from-trunk","""Caller"" <{src}>",'
                f'"PJSIP/trunk-{i:08x}","PJSIP/20{i % 10}-{i:08x}","Dial","PJSIP/201,30",'
                f'"{start}","{answer}","{end}",{ring + talk},{talk},"{disposition}",'
                f'"DOCUMENTATION","{t}.{i}",""\n'
            )


def baseline(path: Path) -> float:
    started = time.perf_counter()
    with path.open(newline="") as f:
        count = sum(1 for _ in csv.reader(f))
    return count / (time.perf_counter() - started)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([CALLSCOPE, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:  # say why: the command's own error is the useful part
        raise RuntimeError(f"callscope {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def measure(backend: str, path: Path, rows: int, work: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")}
    env["CALLSCOPE_DATA_DIR"] = str(work / backend)
    dropper = None
    if backend == "postgresql":
        name = f"callscope_bench_{secrets.token_hex(4)}"
        admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        env["CALLSCOPE_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

        def dropper() -> None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

    try:
        run(env, "demo", "--seed-only", "--json", "--data-dir", str(work / backend))
        started = time.perf_counter()
        first = json.loads(run(env, "import", "asterisk-cdr", str(path), "--json").stdout)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        again = json.loads(run(env, "import", "asterisk-cdr", str(path), "--json").stdout)
        rerun = time.perf_counter() - started
    finally:
        if dropper:
            dropper()
    if first["new"] != rows or first["bad"] or again["already_imported"] != rows:
        raise RuntimeError(f"import went wrong: {first} then {again}")
    refreshed = float(first.get("reports_refreshed_s", 0.0))
    return {
        "backend": backend,
        "seconds": elapsed,
        # The import itself; it then brings the reports' rollups up to date (a first, full
        # build here, as the demo account had none for these calls): timed apart.
        "rows_per_s": rows / (elapsed - refreshed),
        "reports_refresh_s": refreshed,
        "rerun_rows_per_s": rows / rerun,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["embedded", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["embedded", "postgresql"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="callscope-cdr-") as tmp:
        work = Path(tmp)
        path = work / "Master.csv"
        generate(path, args.rows)
        base = baseline(path)
        print(f"{args.rows} rows; baseline csv.reader: {base:,.0f} rows/s")
        for backend in backends:
            result = measure(
                "embedded" if backend == "embedded" else "postgresql", path, args.rows, work
            )
            # The machine's speed moves during a run: the baseline is taken again after each
            # import, and the ratio is to the mean of the readings on either side of it.
            after = baseline(path)
            print(f"baseline csv.reader after {backend}: {after:,.0f} rows/s")
            base, mean = after, (base + after) / 2
            rate = float(result["rows_per_s"])  # type: ignore[arg-type]
            print(
                f"{backend:>10}: {rate:,.0f} rows/s ({rate / mean:.4f}x baseline, "
                f"{result['seconds']:.0f} s with {result['reports_refresh_s']:.0f} s of reports "
                f"refresh); re-run {float(result['rerun_rows_per_s']):,.0f} rows/s"  # type: ignore[arg-type]
            )


if __name__ == "__main__":
    main()
