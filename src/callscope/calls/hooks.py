"""Provider webhooks: check who sent it, store the raw event, answer fast, process after.

- `POST /hooks/calls`: the generic signed webhook. `X-Callscope-Account: <account id>` and
  `X-Callscope-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed
  with the account's webhook secret; several v1 values may be given (while rotating). A
  timestamp more than 5 minutes off is refused, so a captured request cannot be replayed
  later; a replay inside that window carries the same event_id and changes nothing.
- `POST /hooks/twilio/voice|status|recording`: Twilio's form posts, checked with the
  official validator against the public URL (CALLSCOPE_PUBLIC_URL, so it works behind a
  proxy) and the account's auth token. The account is the one named in the callback URLs our
  own TwiML sets (`?account=`), else the owner of the tracking number (`To`), else the
  account that already has events of this CallSid.

The signature is checked on the raw bytes before the body is parsed. Nothing is stored
until it passes; a request that fails changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from callscope.accounts.models import Account
from callscope.api.deps import SessionDep
from callscope.api.problems import Problem, field_error
from callscope.calls.inbox import RawEvent, store
from callscope.calls.models import CallEvent
from callscope.calls.providers import twilio
from callscope.calls.schemas import GenericCallEvent
from callscope.db.base import utcnow
from callscope.numbers.models import TrackingNumber

router = APIRouter(prefix="/hooks", tags=["webhooks"])

TOLERANCE_SECONDS = 300
MAX_SIGNATURE_CHARS = 1000
TWIML = "application/xml"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


class BadSignature(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(401, "bad-signature", detail)


def _kick(request: Request, background: BackgroundTasks) -> None:
    background.add_task(request.app.state.call_worker.kick)


# --- the generic webhook ---------------------------------------------------------------


def _parse_signature(header: str) -> tuple[int, list[str]]:
    stamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            stamp = int(value)
        elif key == "v1" and value:
            signatures.append(value.lower())
    if stamp is None or not signatures:
        raise BadSignature("X-Callscope-Signature must read t=<unix seconds>,v1=<hex hmac>")
    return stamp, signatures


def sign(secret: str, body: bytes, stamp: int) -> str:
    """The X-Callscope-Signature value for a body (what a sender computes)."""
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


@router.post(
    "/calls",
    status_code=202,
    summary="Generic signed call event (any PBX or provider)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": GenericCallEvent.model_json_schema()}},
        }
    },
)
async def generic_event(
    request: Request,
    background: BackgroundTasks,
    x_callscope_account: Annotated[str, Header(max_length=20)],
    x_callscope_signature: Annotated[str, Header(max_length=MAX_SIGNATURE_CHARS)],
) -> Any:
    body = await request.body()
    answer = await run_in_threadpool(
        _store_generic, request, x_callscope_account, x_callscope_signature, body
    )
    if answer["stored"]:
        _kick(request, background)
    return JSONResponse(answer, status_code=202, background=background)


def _store_generic(request: Request, account_header: str, signature: str, body: bytes) -> Any:
    if not account_header.isdigit() or not 0 < int(account_header) < 2**63:
        raise BadSignature("X-Callscope-Account must be the account id")
    stamp, given = _parse_signature(signature)
    if abs(time.time() - stamp) > TOLERANCE_SECONDS:
        raise BadSignature("the signature timestamp is more than 5 minutes off; sign again")
    with request.app.state.reader() as session:  # no write lock for what may be forged
        account = session.get(Account, int(account_header))
        secret = account.webhook_secret if account else None
    expected = sign(secret, body, stamp).split("v1=", 1)[1] if secret else None
    if account is None or expected is None:
        raise BadSignature("the signature does not match this body and account")
    if not any(hmac.compare_digest(expected, g) for g in given):
        raise BadSignature("the signature does not match this body and account")
    try:
        event = GenericCallEvent.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    payload = event.model_dump(mode="json", by_alias=True, exclude_none=True)
    with request.app.state.sessionmaker() as session:
        stored = store(
            session,
            RawEvent(account.id, "generic", event.event_id, event.call_id, payload, utcnow()),
        )
        session.commit()
    return {"event_id": event.event_id, "stored": stored, "duplicate": not stored}


def _invalid(exc: ValidationError) -> Problem:
    errors = [
        field_error(("body", *err["loc"]), err["msg"], err["type"])
        for err in exc.errors(include_url=False)
    ]
    if errors and errors[0]["type"] == "json_invalid":
        return Problem(400, "malformed-json", "the body is not valid JSON")
    return Problem(422, "validation-error", "the call event is not valid", errors=errors)


# --- Twilio -----------------------------------------------------------------------------


async def twilio_params(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Problem(415, "unsupported-media-type", "Twilio posts form-encoded parameters")
    body = await request.body()
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "malformed-form", "the form body cannot be read") from None
    return dict(pairs)


TwilioParams = Annotated[dict[str, str], Depends(twilio_params)]


def _twilio_account(session: Session, request: Request, params: dict[str, str]) -> Account:
    account_id = request.query_params.get("account", "")
    if account_id.isdigit() and 0 < int(account_id) < 2**63:
        account = session.get(Account, int(account_id))
        if account is not None:
            return account
    owner = session.scalar(
        select(TrackingNumber.account_id).where(
            TrackingNumber.number == params.get("To", ""), TrackingNumber.active.is_(True)
        )
    )
    if owner is None:
        sid = twilio.call_sid(params)
        owner = session.scalar(
            select(CallEvent.account_id)
            .where(CallEvent.provider == "twilio", CallEvent.call_key == (sid or ""))
            .limit(1)
        )
    account = session.get(Account, owner) if owner is not None else None
    if account is None:
        raise Problem(404, "unknown-number", "no account has this tracking number or call")
    return account


def _verify_twilio(request: Request, account: Account, params: dict[str, str]) -> None:
    signature = request.headers.get("x-twilio-signature", "")
    if not account.twilio_auth_token:
        raise BadSignature("this account has no Twilio auth token set")
    url = request.app.state.settings.public_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not signature or not RequestValidator(account.twilio_auth_token).validate(
        url, params, signature
    ):
        raise BadSignature("X-Twilio-Signature does not match")


def _store_twilio(session: Session, account: Account, kind: str, params: dict[str, str]) -> bool:
    sid = twilio.call_sid(params)
    if not sid or len(sid) > 64:
        raise Problem(422, "validation-error", "CallSid is missing or too long")
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:40]
    key = f"voice:{sid}" if kind == "voice" else f"{kind}:{digest}"
    payload = {"kind": kind, "params": params}
    return store(session, RawEvent(account.id, "twilio", key, sid, payload, utcnow()))


def _callback_urls(request: Request, account: Account) -> tuple[str, str]:
    base = request.app.state.settings.public_url
    return (
        f"{base}/hooks/twilio/status?account={account.id}",
        f"{base}/hooks/twilio/recording?account={account.id}",
    )


@router.post("/twilio/voice", summary="Twilio voice webhook: answers TwiML that forwards")
def twilio_voice(
    request: Request, params: TwilioParams, session: SessionDep, background: BackgroundTasks
) -> Response:
    account = _twilio_account(session, request, params)
    _verify_twilio(request, account, params)
    if _store_twilio(session, account, "voice", params):
        _kick(request, background)
    number = session.scalars(
        select(TrackingNumber).where(
            TrackingNumber.account_id == account.id,
            TrackingNumber.number == params.get("To", ""),
            TrackingNumber.active.is_(True),
        )
    ).first()
    status_url, recording_url = _callback_urls(request, account)
    twiml = twilio.forward_twiml(
        forward_to=number.forward_to if number else None,
        caller=params.get("From") if params.get("From", "").startswith("+") else None,
        record=account.record_calls,
        disclosure=account.recording_disclosure,
        status_url=status_url,
        recording_url=recording_url,
    )
    session.commit()
    return Response(twiml, media_type=TWIML, background=background)


def _callback(
    request: Request,
    params: dict[str, str],
    session: Session,
    background: BackgroundTasks,
    kind: str,
) -> Response:
    account = _twilio_account(session, request, params)
    _verify_twilio(request, account, params)
    if _store_twilio(session, account, kind, params):
        _kick(request, background)
    session.commit()
    return Response(EMPTY_TWIML, media_type=TWIML, background=background)


@router.post("/twilio/status", summary="Twilio status callbacks and the <Dial> action")
def twilio_status(
    request: Request, params: TwilioParams, session: SessionDep, background: BackgroundTasks
) -> Response:
    return _callback(request, params, session, background, "status")


@router.post("/twilio/recording", summary="Twilio recording status callback")
def twilio_recording(
    request: Request, params: TwilioParams, session: SessionDep, background: BackgroundTasks
) -> Response:
    return _callback(request, params, session, background, "recording")
