"""Errors on dashboard pages are HTML pages; the API keeps answering problem+json."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from callscope.dashboard.auth import LoginRequired, PageError, login_redirect
from callscope.dashboard.templating import templates

API_PREFIXES = ("/api/", "/hooks/", "/t/", "/docs", "/openapi", "/livez", "/healthz", "/static/")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    login = getattr(request.state, "login", None)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"login": login, "nav": {}, "status": status, "detail": detail},
        status_code=status,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc.next_path)

    @app.exception_handler(PageError)
    async def _page(request: Request, exc: PageError) -> Response:
        return error_page(request, exc.status, exc.detail)
