"""Every `sh` block in the docs runs against a live demo server; the JSON examples parse."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import Server, running

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def blocks(kind: str) -> list[tuple[str, str, str | None]]:
    """(where, text, expected): `expected` is the json block right after an sh block, if any."""
    found = []
    for doc in DOCS:
        fenced = FENCE.findall(doc.read_text())
        for i, (lang, body) in enumerate(fenced):
            if lang == kind:
                after = fenced[i + 1] if i + 1 < len(fenced) else ("", "")
                expected = after[1] if kind == "sh" and after[0] == "json" else None
                found.append((f"{doc.name}: {body.strip().splitlines()[0][:60]}", body, expected))
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, Any]]]:
    with running("demo", "--json", "--data-dir", str(tmp_path_factory.mktemp("docs"))) as server:
        yield server, json.loads(server.first_line)


@pytest.mark.parametrize(
    ("where", "script", "expected"), blocks("sh"), ids=[w for w, *_ in blocks("sh")]
)
def test_shell_examples_run(
    demo: tuple[Server, dict[str, Any]],
    tmp_path: Path,
    where: str,
    script: str,
    expected: str | None,
) -> None:
    server, info = demo
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")} | {
        "BASE": server.url,
        "TOKEN": info["api_token"],
        "SITE_KEY": info["site_key"],
        "POOL_ID": str(info["pool_id"]),
        "ACCOUNT_ID": str(info["account_id"]),
        "WEBHOOK_SECRET": info["webhook_secret"],
        "EMAIL": info["email"],  # the demo's dashboard login
        "PASSWORD": info["password"],
        "CALLSCOPE_DATA_DIR": str(tmp_path),
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
    }
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # examples run "from the repository root"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"
    if "curl" in script:  # an API example ends by printing the JSON answer
        printed = json.loads(result.stdout.strip().splitlines()[-1])
        if expected is not None:
            assert printed == json.loads(expected), where


@pytest.mark.parametrize(
    ("where", "text", "_"), blocks("json"), ids=[w for w, *_ in blocks("json")]
)
def test_json_examples_parse(where: str, text: str, _: None) -> None:
    json.loads(text)


def test_the_docs_have_examples() -> None:
    assert len(blocks("sh")) >= 5
