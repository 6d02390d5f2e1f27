"""The FastAPI app factory: builds the engine, mounts routers and middleware, nothing else."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callscope import __version__
from callscope.accounts.endpoints import router as account_router
from callscope.analysis.endpoints import router as transcript_router
from callscope.api.limits import BodySizeLimit
from callscope.api.problems import API_ERROR_RESPONSES, install_handlers, problem_response
from callscope.calls.endpoints import router as calls_router
from callscope.calls.hooks import router as hooks_router
from callscope.calls.worker import CallWorker
from callscope.categories.endpoints import router as categories_router
from callscope.config import Settings, get_settings
from callscope.dashboard import errors as page_errors
from callscope.dashboard.auth import login_limiters
from callscope.dashboard.pages import router as dashboard_router
from callscope.dashboard.templating import STATIC_DIR
from callscope.db.engine import make_engine, make_sessionmaker
from callscope.db.migrate import current_revision, head_revision
from callscope.intel.endpoints import router as analysis_router
from callscope.jobs.endpoints import router as jobs_router
from callscope.numbers.endpoints import numbers_router, pools_router, sources_router
from callscope.reports.endpoints import router as reports_router
from callscope.sites.endpoints import router as sites_router
from callscope.tracking.endpoints import api as tracking_api
from callscope.tracking.endpoints import public as tracking_public
from callscope.tracking.leases import LeaseStore, RedisLeaseStore, SqlLeaseStore
from callscope.tracking.ratelimit import RateLimiter
from callscope.tracking.siteconfig import SiteConfigCache
from callscope.tracking.writer import BatchWriter

log = logging.getLogger("callscope.http")

DESCRIPTION = """
callscope REST API. Authenticate with an account's API token:
`Authorization: Bearer cs_...` (create one with `callscope token create`).

Errors are `application/problem+json` (RFC 9457). Lists are cursor-paginated:
pass the `next_cursor` of one page as `cursor` to get the next.
"""


class RequestLog:
    """One structured log line per request (pure ASGI: no per-request task or stream copy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def make_lease_store(settings: Settings) -> LeaseStore:
    if settings.redis_url is None:
        return SqlLeaseStore()
    import redis

    client = redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=2)
    return RedisLeaseStore(client, prefix=settings.redis_prefix)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.call_worker.start()  # first sweep: events a crash left pending
        job_worker = None
        if settings.run_jobs_in_server:
            from callscope.analysis.worker import JobWorker

            job_worker = JobWorker(app.state.sessionmaker, settings)
            job_worker.start()  # first dispatch: jobs a crash left queued or running
        try:
            yield
        finally:
            app.state.call_worker.stop()
            if job_worker is not None:
                job_worker.stop()

    app: FastAPI = FastAPIOffline(
        title="callscope",
        version=__version__,
        description=DESCRIPTION,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.reader = make_sessionmaker(engine, write=False)
    # The tracking writes (every page view of every client site) are committed in groups by
    # one writer thread per process: each visitor is still answered only after the commit,
    # but one transaction and one commit serve many visitors. Off, they run one transaction
    # each on a few threads; SQLite then gets one thread, since it has one writer anyway and
    # its busy handler waits by sleeping (1, 2, 5... 100 ms), which wrecks tail latency.
    sqlite = engine.dialect.name == "sqlite"
    grouped = settings.tracking_group_commit
    app.state.batch_writer = BatchWriter(app.state.sessionmaker) if grouped else None
    app.state.write_limiter = anyio.CapacityLimiter(1 if sqlite else 4)
    app.state.lease_store = make_lease_store(settings)
    app.state.site_configs = SiteConfigCache()
    app.state.ip_limiter = RateLimiter(settings.tracking_rate_per_ip)
    app.state.site_limiter = RateLimiter(settings.tracking_rate_per_site)
    app.state.call_worker = CallWorker(app.state.sessionmaker, settings)

    app.state.login_limiters = login_limiters()

    install_handlers(app, pages=page_errors)
    page_errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    app.add_middleware(RequestLog)

    api = APIRouter(prefix="/api/v1", responses=API_ERROR_RESPONSES)
    for router in (
        account_router,
        sites_router,
        sources_router,
        pools_router,
        numbers_router,
        categories_router,
        tracking_api,
        calls_router,
        transcript_router,
        analysis_router,
        jobs_router,
        reports_router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(tracking_public)
    app.include_router(hooks_router)
    app.include_router(dashboard_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/livez", tags=["operations"], summary="The process answers (no database)")
    def livez() -> dict[str, str]:
        return {"status": "ok"}

    head = head_revision()

    @app.get("/healthz", tags=["operations"], summary="Database reachable and migrated")
    def healthz() -> Any:
        try:
            revision = current_revision(engine)
        except Exception:
            log.exception("health check: database unreachable")
            return problem_response(503, "unhealthy", "the database is unreachable")
        if revision != head:
            return problem_response(
                503,
                "unhealthy",
                f"the database schema is at {revision}, not {head}: run migrations",
            )
        return JSONResponse(
            {"status": "ok", "database": "ok", "schema": revision, "version": __version__}
        )

    return app
