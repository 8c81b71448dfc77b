"""One error handler: domain errors and bad requests become catalogue-shaped JSON bodies."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import CATALOGUE, pick_language, render

log = structlog.get_logger("voucherbridge.api")

HTTP_TO_CODE = {
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
}


def error_response(
    request: Request, code: ErrorCode, params: dict[str, Any], status: int | None = None
) -> JSONResponse:
    lang = pick_language(request.headers.get("accept-language"))
    details = {k: v for k, v in params.items() if _jsonable(v)}
    body = {
        "error": {"code": code.value, "message": render(code, params, lang), "details": details}
    }
    headers = None
    if code in _RETRYABLE:
        headers = {"Retry-After": "2"}
    elif code in (ErrorCode.RATE_LIMITED, ErrorCode.SIGN_IN_LOCKED):
        # HTTP clients and proxies honour the header; the wait is also in the details.
        headers = {"Retry-After": str(params.get("retry_after_s") or 60)}
    return JSONResponse(body, status_code=status or CATALOGUE[code].status, headers=headers)


_RETRYABLE = {ErrorCode.PLATFORM_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE}


def _jsonable(value: Any) -> bool:
    return isinstance(value, str | int | bool | list | dict) or value is None


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        log.info("request.rejected", path=request.url.path, code=exc.code.value)
        return error_response(request, exc.code, exc.params)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "problem": e.get("type", "invalid"),
            }
            for e in exc.errors()
        ]
        field = ", ".join(p["field"] or "body" for p in problems[:3])
        return error_response(
            request, ErrorCode.VALIDATION_ERROR, {"field": field, "problems": problems}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_TO_CODE.get(exc.status_code, ErrorCode.VALIDATION_ERROR)
        what = "path" if exc.status_code in (404, 405) else ""
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (e.g. JSON that is not UTF-8): the same 422
            # as any other malformed body, so clients handle one status for bad input.
            return error_response(request, code, {"what": "", "field": "body"}, 422)
        return error_response(request, code, {"what": what, "field": what}, exc.status_code)

    @app.exception_handler(IntegrityError)
    async def _duplicate(request: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests raced past a service's existence check; the unique index decided.
        log.info("request.conflict", path=request.url.path)
        return error_response(request, ErrorCode.CONFLICT, {"what": ""})

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("db.unavailable", path=request.url.path, error=str(exc.orig)[:200])
        return error_response(request, ErrorCode.SERVICE_UNAVAILABLE, {})

    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold (NUL in text, a number out of range) came from the
        # request past validation: bad input, not a server fault. Logged to close the gap.
        log.warning("request.bad_value", path=request.url.path, error=str(exc.orig)[:200])
        return error_response(request, ErrorCode.VALIDATION_ERROR, {"field": ""})

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return error_response(request, ErrorCode.SERVICE_UNAVAILABLE, {})
        log.error("db.error", **_crash(request, exc))
        return error_response(request, ErrorCode.INTERNAL_ERROR, {})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request.crashed", **_crash(request, exc))
        return error_response(request, ErrorCode.INTERNAL_ERROR, {})


def _crash(request: Request, exc: Exception) -> dict[str, Any]:
    """What a 500 logs: where, and the traceback (redacted by core.logs like every line, and
    printed without locals). Never the request's headers, cookies or body."""
    return {"method": request.method, "path": request.url.path, "exc_info": exc}
