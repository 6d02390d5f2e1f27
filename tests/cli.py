"""Run the real `callscope` console command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

CALLSCOPE = str(Path(sys.executable).parent / "callscope")


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")}
    full_env |= {"COLUMNS": "200", "NO_COLOR": "1"} | (env or {})
    return subprocess.run(
        [CALLSCOPE, *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def run_json(*args: str, env: dict[str, str] | None = None) -> Any:
    result = run(*args, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
