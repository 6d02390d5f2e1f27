"""Errors as `application/problem+json` (RFC 9457).

Every error the API returns has a stable `type` (a URN under `urn:callscope:problem:`), a
short `title`, the HTTP `status` and a human `detail`. Validation errors add `errors`: one
entry per bad field with its location (`loc`, as FastAPI names it, and a JSON `pointer`).
Unexpected errors are logged and answered with a bare 500: no traceback or SQL leaks out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("callscope.api")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:callscope:problem:"

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class PageErrors(Protocol):
    def is_page(self, request: Request) -> bool: ...

    def error_page(self, request: Request, status: int, detail: str) -> Response: ...


class FieldProblem(BaseModel):
    loc: list[str | int]
    pointer: str
    detail: str
    type: str


class ProblemDetail(BaseModel):
    """The body of every error (RFC 9457), for the OpenAPI document."""

    type: str = TYPE_PREFIX + "validation-error"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None


def _documented(description: str) -> dict[str, Any]:
    return {
        "model": ProblemDetail,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
    }


# Attached to the /api/v1 router, so every operation documents its error answers.
API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("Malformed JSON"),
    401: _documented("Missing, unknown or revoked API token"),
    404: _documented("No such object in this account"),
    409: _documented("The change conflicts with other objects"),
    413: _documented("Request body too large"),
    422: _documented("Validation failed; `errors` names each bad field"),
}


class Problem(Exception):
    """Raised anywhere below an endpoint; answered as problem+json by the handler below."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers


class NotFound(Problem):
    def __init__(self, what: str) -> None:
        super().__init__(404, "not-found", f"{what} not found")


class Conflict(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(409, "conflict", detail)


class Unauthorized(Problem):
    def __init__(self) -> None:
        super().__init__(
            401,
            "unauthorized",
            "a valid API token is required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="callscope"'},
        )


def field_error(
    loc: Sequence[str | int], message: str, kind: str = "value_error"
) -> dict[str, Any]:
    return {"loc": list(loc), "pointer": _pointer(loc), "detail": message, "type": kind}


class InvalidField(Problem):
    """A single field failed a rule the schema cannot express (uniqueness, a foreign key...)."""

    def __init__(self, loc: Sequence[str | int], message: str, kind: str = "value_error") -> None:
        super().__init__(422, "validation-error", message, errors=[field_error(loc, message, kind)])


def _pointer(loc: Sequence[str | int]) -> str:
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "#/" + "/".join(escaped) if escaped else "#"


def problem_response(
    status: int,
    slug: str,
    detail: str,
    *,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _validation_errors(exc: RequestValidationError) -> tuple[int, str, str, list[dict[str, Any]]]:
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return 400, "malformed-json", "the request body is not valid JSON", []
    errors = [
        field_error(
            tuple(e.get("loc", ())),
            str(e.get("msg", "invalid")).removeprefix("Value error, "),
            str(e.get("type", "")),
        )
        for e in raw
    ]
    fields = ", ".join(e["pointer"] for e in errors[:5])
    return 422, "validation-error", f"invalid input at {fields}", errors


def install_handlers(app: FastAPI, pages: PageErrors | None = None) -> None:
    """`pages`, when given, answers errors of requests it calls pages (the dashboard's HTML)."""

    def page(request: Request, status: int, detail: str) -> Response | None:
        if pages is None or not pages.is_page(request):
            return None
        return pages.error_page(request, status, detail)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if (html := page(request, exc.status, exc.detail)) is not None:
            return html
        return problem_response(
            exc.status,
            exc.slug,
            exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            instance=request.url.path,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        status, slug, detail, errors = _validation_errors(exc)
        if (html := page(request, status, detail)) is not None:
            return html
        return problem_response(status, slug, detail, errors=errors, instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if (html := page(request, exc.status_code, detail)) is not None:
            return html
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(
            exc.status_code, slug, detail, headers=headers, instance=request.url.path
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "internal-error",
            "the server failed; the error was logged",
            instance=request.url.path,
        )
