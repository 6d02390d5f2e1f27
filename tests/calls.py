"""Helpers for call tests: signed generic webhooks, signed Twilio posts, a recording server."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from callscope.accounts.models import Account
from callscope.calls.hooks import sign
from callscope.calls.models import CallEvent

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "ab" * 16


def secret_of(app: FastAPI, account_id: int) -> str:
    with app.state.sessionmaker() as db:
        secret = db.get_one(Account, account_id).webhook_secret
    assert secret
    return secret


def post_event(
    client: TestClient,
    account_id: int,
    secret: str,
    body: dict[str, Any] | bytes,
    stamp: int | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "X-Callscope-Account": str(account_id),
        "X-Callscope-Signature": sign(secret, raw, stamp or int(time.time())),
        "Content-Type": "application/json",
    }
    return client.post("/hooks/calls", content=raw, headers=headers)


def event_count(app: FastAPI) -> int:
    with app.state.sessionmaker() as db:
        return int(db.scalar(select(func.count()).select_from(CallEvent)) or 0)


def enable_twilio(app: FastAPI, account_id: int, record: bool = True) -> None:
    with app.state.sessionmaker() as db:
        account = db.get_one(Account, account_id)
        account.twilio_account_sid = TWILIO_SID
        account.twilio_auth_token = TWILIO_TOKEN
        account.record_calls = record
        db.commit()


def twilio_post(
    client: TestClient,
    path: str,
    params: dict[str, str],
    *,
    public_url: str = "http://127.0.0.1:8000",
    token: str = TWILIO_TOKEN,
    signature: str | None = None,
) -> Any:
    """POST as Twilio does: form-encoded, signed over the public URL and the parameters."""
    url = public_url + path
    signed = (
        signature
        if signature is not None
        else RequestValidator(token).compute_signature(url, params)
    )
    return client.post(
        path,
        content=urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": signed,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


WAV = b"RIFF" + b"\x00" * 40 + b"dual-channel-audio" * 100


class Recordings:
    """A local HTTP server standing in for a provider's media store."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        self.big_bytes = 0
        self.files: dict[str, bytes] = {}  # path -> a real recording to serve
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                if self.path in outer.files:
                    self._send(outer.files[self.path])
                elif self.path.startswith("/error"):
                    self.send_response(503)
                    self.end_headers()
                elif self.path.startswith("/gone"):
                    self.send_response(403)
                    self.end_headers()
                elif self.path.startswith("/slow"):
                    time.sleep(2)
                    self._send(WAV)
                elif self.path.startswith("/big"):
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/wav")
                    self.send_header("Content-Length", str(outer.big_bytes))
                    self.end_headers()
                else:
                    self._send(WAV)

            def _send(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()


@contextmanager
def recording_server() -> Iterator[Recordings]:
    server = Recordings()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
