"""Fetch call recordings from providers into the data directory.

A call whose events name a recording URL gets `recording_status = pending`. `fetch_due`
claims due calls with a conditional UPDATE (so two workers never fetch the same one),
streams each file with httpx under a size limit and a timeout into a temporary file, and
renames it into place: `<data_dir>/recordings/<account id>/<call id>.<ext>`. A timeout,
a connection error, a 5xx, a 429 or a 404 (providers publish the file a moment after the
callback) is retried later with a growing pause; other answers and oversized files fail the
recording at once with the reason. Twilio recordings are fetched as dual-channel WAV with
the account's SID and auth token (HTTP Basic), as Twilio asks when media is protected.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from callscope.accounts.models import Account
from callscope.calls.models import Call, RecordingStatus
from callscope.config import Settings
from callscope.db.base import utcnow
from callscope.jobs.service import schedule_calls

log = logging.getLogger("callscope.recordings")

CLAIM = timedelta(minutes=10)  # a claimed download left by a dead worker is retried after this
RETRY_STATUSES = {404, 408, 425, 429, 500, 502, 503, 504}
EXTENSIONS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3", "audio/ogg": "ogg"}


class Transient(Exception):
    """Worth trying again later."""


class Permanent(Exception):
    """Trying again will not help."""


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempt - 1)))


def recording_dir(settings: Settings, account_id: int) -> Path:
    return settings.data_dir / "recordings" / str(account_id)


def fetch_due(maker: sessionmaker[Session], settings: Settings, limit: int = 20) -> int:
    """Fetch up to `limit` due recordings; the number stored."""
    stored = 0
    for call_id in _claim(maker, limit):
        stored += fetch_one(maker, settings, call_id)
    return stored


def _claim(maker: sessionmaker[Session], limit: int) -> list[int]:
    now = utcnow()
    claimed: list[int] = []
    with maker() as session:
        due = session.scalars(
            select(Call.id)
            .where(
                Call.recording_status == RecordingStatus.pending.value,
                or_(Call.recording_retry_at.is_(None), Call.recording_retry_at <= now),
            )
            .order_by(Call.id)
            .limit(limit)
        ).all()
        for call_id in due:
            taken = session.execute(
                update(Call)
                .where(
                    Call.id == call_id,
                    Call.recording_status == RecordingStatus.pending.value,
                    or_(Call.recording_retry_at.is_(None), Call.recording_retry_at <= now),
                )
                .values(recording_retry_at=now + CLAIM)
            )
            if taken.rowcount:  # type: ignore[attr-defined]
                claimed.append(call_id)
        session.commit()
    return claimed


def fetch_one(maker: sessionmaker[Session], settings: Settings, call_id: int) -> int:
    with maker() as session:
        call = session.get(Call, call_id)
        if call is None or call.recording_url is None:
            return 0
        account = session.get(Account, call.account_id)
        url, auth = _request_of(call, account)
        attempt = call.recording_attempts + 1
        account_id = call.account_id
    target_dir = recording_dir(settings, account_id)
    try:
        path, size = _download(url, auth, settings, target_dir, call_id)
    except Transient as exc:
        give_up = attempt >= settings.recording_max_attempts
        _record(
            maker,
            call_id,
            recording_status=(RecordingStatus.failed if give_up else RecordingStatus.pending).value,
            recording_attempts=attempt,
            recording_retry_at=None if give_up else utcnow() + backoff(attempt),
            recording_error=str(exc)[:500],
        )
        log.warning("recording of call %s: attempt %s failed: %s", call_id, attempt, exc)
        return 0
    except Permanent as exc:
        _record(
            maker,
            call_id,
            recording_status=RecordingStatus.failed.value,
            recording_attempts=attempt,
            recording_retry_at=None,
            recording_error=str(exc)[:500],
        )
        log.warning("recording of call %s failed: %s", call_id, exc)
        return 0
    _record(
        maker,
        call_id,
        analyze=True,
        recording_status=RecordingStatus.stored.value,
        recording_path=str(path),
        recording_bytes=size,
        recording_attempts=attempt,
        recording_retry_at=None,
        recording_error=None,
    )
    return 1


def _record(
    maker: sessionmaker[Session], call_id: int, analyze: bool = False, **values: object
) -> None:
    with maker() as session:
        session.execute(update(Call).where(Call.id == call_id).values(**values))
        if analyze:  # the analysis job is created with the stored recording, never without
            schedule_calls(session, [call_id])
        session.commit()


def _request_of(call: Call, account: Account | None) -> tuple[str, tuple[str, str] | None]:
    url = call.recording_url or ""
    if call.provider != "twilio":
        return url, None
    if not Path(urlsplit(url).path).suffix:
        url += ".wav"  # Twilio serves the dual-channel WAV at the URL plus .wav
    if account and account.twilio_account_sid and account.twilio_auth_token:
        return url, (account.twilio_account_sid, account.twilio_auth_token)
    return url, None


def _refuse_private(host: str, port: int) -> None:
    """A tenant's webhook names the URL: never let it reach this server's own network."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        raise Transient(f"cannot resolve {host}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise Permanent(f"the recording host {host} is a private address ({address})")


def _download(
    url: str, auth: tuple[str, str] | None, settings: Settings, target_dir: Path, call_id: int
) -> tuple[Path, int]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Permanent("the recording URL is not http or https")
    if not settings.fetch_private_hosts:
        _refuse_private(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    limit = settings.recording_max_bytes
    timeout = httpx.Timeout(settings.recording_timeout_seconds)
    transport = httpx.HTTPTransport(retries=2)  # connection attempts only
    target_dir.mkdir(parents=True, exist_ok=True)
    try:
        with (
            httpx.Client(timeout=timeout, transport=transport, follow_redirects=True) as client,
            client.stream("GET", url, auth=auth) as response,
        ):
            if response.status_code in RETRY_STATUSES:
                raise Transient(f"the provider answered {response.status_code}")
            if response.status_code != 200:
                raise Permanent(f"the provider answered {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise Permanent(f"the recording is {declared} bytes, over the {limit} limit")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            ext = EXTENSIONS.get(kind) or Path(urlsplit(url).path).suffix.lstrip(".")[:5] or "bin"
            size = 0
            fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=f".{call_id}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in response.iter_bytes(65_536):
                        size += len(chunk)
                        if size > limit:
                            raise Permanent(f"the recording is over the {limit} byte limit")
                        out.write(chunk)
                final = target_dir / f"{call_id}.{ext}"
                os.replace(tmp, final)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except httpx.TimeoutException as exc:
        raise Transient(f"timed out: {type(exc).__name__}") from None
    except httpx.TransportError as exc:
        raise Transient(f"could not reach the provider: {type(exc).__name__}") from None
    return final, size
