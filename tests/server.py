"""Start the real server as a subprocess (`callscope demo` or `callscope serve`) for a test."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.cli import CALLSCOPE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        """What the server wrote on stderr so far (its JSON log lines)."""
        return self.log_path.read_text()

    @property
    def first_line(self) -> str:
        """The first line the command printed (`demo --json` prints its object there)."""
        assert self.process.stdout is not None
        if not hasattr(self, "_first"):
            self._first = self.process.stdout.readline()
        return self._first


@contextlib.contextmanager
def running(
    *args: str, env: dict[str, str] | None = None, port: int | None = None, healthy: bool = True
) -> Iterator[Server]:
    """Start the command and wait until /healthz says ok (or, with healthy=False, answers)."""
    port = port or free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCOPE_")} | (env or {})
    # stderr goes to a file: an unread pipe would fill up and stall the server.
    log_path = Path(tempfile.mkstemp(prefix="callscope-server-", suffix=".log")[1])
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [CALLSCOPE, *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        env=full_env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"server exited: {process.stderr.read() if process.stderr else ''}"
                )
            try:
                status = httpx.get(f"{url}/healthz", timeout=1).status_code
                if status == 200 or not healthy:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy in 60 s")
            time.sleep(0.2)
        yield Server(url=url, process=process, log_path=log_path)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log_file.close()
        log_path.unlink(missing_ok=True)
