"""HTTP for tracking: the snippet file, the public session endpoints, and pool health.

The public endpoints are called from visitors' browsers on the client's own domain, so:
CORS is answered only for the site's domains (a request with no Origin, from a server or an
app, is allowed); bodies are JSON whatever the Content-Type says (the snippet sends
text/plain to avoid a CORS preflight); limits apply per client IP and per site.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from callscope.accounts.auth import CurrentPrincipal
from callscope.api.deps import IdPath, SessionDep
from callscope.api.problems import Problem, field_error
from callscope.db.base import utcnow
from callscope.numbers.repository import PoolRepository
from callscope.tracking.health import pool_health
from callscope.tracking.later import result
from callscope.tracking.schemas import Ping, PingAnswer, PoolHealth, SessionAnswer, SessionStart
from callscope.tracking.service import Tracker, read_ahead
from callscope.tracking.siteconfig import SiteConfig

SNIPPET = Path(__file__).with_name("snippet.js")
SiteKey = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
SessionKey = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{8,64}$")]

public = APIRouter(prefix="/t", tags=["tracking (public)"])
api = APIRouter(tags=["pools"])


@lru_cache(maxsize=1)
def _snippet() -> tuple[bytes, bytes, str]:
    source = SNIPPET.read_bytes()
    return source, gzip.compress(source, 9), '"' + hashlib.sha256(source).hexdigest()[:16] + '"'


@public.get("/{site_key}.js", summary="The tracking snippet", response_class=Response)
def snippet(site_key: SiteKey, request: Request) -> Response:
    _config(request, site_key)  # an unknown key is a 404 here too (cached, so cheap)
    body, zipped, etag = _snippet()
    headers = {"Cache-Control": "public, max-age=300", "ETag": etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = zipped
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


def _config(request: Request, site_key: str) -> SiteConfig:
    state = request.app.state
    config: SiteConfig | bool | None = state.site_configs.cached(site_key)
    if config is False:
        with state.reader() as db:
            config = state.site_configs.get(db, site_key)
    if not isinstance(config, SiteConfig):
        raise Problem(404, "unknown-site", "no site has this key")
    return config


def _cors(request: Request, config: SiteConfig) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    if not config.allows_origin(origin):
        raise Problem(403, "origin-not-allowed", "this origin is not one of the site's domains")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _limit(request: Request, config: SiteConfig) -> None:
    state = request.app.state
    ip = request.client.host if request.client else "unknown"
    wait = max(state.ip_limiter.allow(ip), state.site_limiter.allow(config.site_key))
    if wait > 0:
        raise Problem(
            429,
            "rate-limited",
            "too many tracking requests",
            headers={"Retry-After": str(int(wait) + 1)},
        )


async def _body(request: Request, model: type[BaseModel]) -> Any:
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "malformed-json", "the request body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            field_error(("body", *e["loc"]), e["msg"].removeprefix("Value error, "), e["type"])
            for e in exc.errors()
        ]
        raise Problem(422, "validation-error", "invalid tracking request", errors=errors) from None


async def _track(
    request: Request,
    config: SiteConfig,
    action: Callable[[Tracker], Any],
    session_id: str | None = None,
) -> Any:
    """Run one tracking write in its own transaction, on the tracking writer thread(s); an
    `Answer` is read after the commit. A batch looks its `session_id`s up together."""
    state = request.app.state
    store = state.lease_store
    if state.batch_writer is not None:  # group commit on the writer thread
        ahead = None if session_id is None else (read_ahead, (config.site_id, session_id))
        return await state.batch_writer.run(
            lambda db: action(Tracker(db=db, store=store, config=config)), ahead
        )

    def work() -> Any:
        with state.sessionmaker() as db:
            done = action(Tracker(db=db, store=store, config=config))
            db.commit()
            return result(done)

    return await to_thread.run_sync(work, limiter=state.write_limiter)


@public.post("/{site_key}/sessions", summary="Start or continue a visitor session")
async def start_session(site_key: SiteKey, request: Request) -> JSONResponse:
    config = _config(request, site_key)
    headers = _cors(request, config)
    _limit(request, config)
    body = await _body(request, SessionStart)
    answer: SessionAnswer = await _track(
        request, config, lambda t: t.begin(body, utcnow()), body.session_id
    )
    return JSONResponse(answer.model_dump(by_alias=True), headers=headers)


@public.post("/{site_key}/sessions/{session_id}/ping", summary="Keep a session and its number")
async def ping_session(site_key: SiteKey, session_id: SessionKey, request: Request) -> JSONResponse:
    config = _config(request, site_key)
    headers = _cors(request, config)
    _limit(request, config)
    body = await _body(request, Ping)
    try:
        answer: PingAnswer = await _track(
            request, config, lambda t: t.ping(session_id, body, utcnow()), session_id
        )
    except Problem as exc:
        exc.headers = (exc.headers or {}) | headers  # the snippet must be able to read the 404
        raise
    return JSONResponse(answer.model_dump(), headers=headers)


@public.options("/{site_key}/sessions", include_in_schema=False)
@public.options("/{site_key}/sessions/{session_id}/ping", include_in_schema=False)
def preflight(site_key: SiteKey, request: Request) -> Response:
    config = _config(request, site_key)
    headers = _cors(request, config) | {
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "content-type",
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


@api.get("/pools/{object_id}/health", response_model=PoolHealth, summary="Pool health")
def get_pool_health(
    object_id: IdPath,
    session: SessionDep,
    who: CurrentPrincipal,
    days: Annotated[int, Query(ge=1, le=90, description="window of traffic to look at")] = 7,
) -> PoolHealth:
    pool = PoolRepository(session, who.account_id).require(object_id)
    return pool_health(session, pool, days, utcnow())
