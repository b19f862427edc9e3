"""The one table mapping exceptions to HTTP statuses, and OGC/STAC-style JSON error bodies
(``{"code": ..., "description": ...}``). A client error's description is in the language the
request names (``?lang=`` or ``Accept-Language``; yvy's error catalog, :mod:`yvy.i18n.errors`),
else as raised; ``code`` never changes.

Errors a client caused (4xx) are logged at debug level; anything else is a 500, logged with its
traceback, and its body does not leak internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import ConflictError, InputError, NotFoundError, WorkspaceError, YvyError

__all__ = ["STATUS_CODES", "AuthError", "ForbiddenError", "ThrottledError", "add_exception_handlers", "error_body"]

log = logging.getLogger("yvy.api")


class AuthError(YvyError, PermissionError):
    """No valid credentials were given (401)."""


class ForbiddenError(YvyError, PermissionError):
    """Valid credentials without the needed role (403)."""


class ThrottledError(YvyError, PermissionError):
    """Too many failed sign-ins from this address or for this account (429, with Retry-After)."""

    def __init__(self, subject: object, problem: str, retry_after: int = 60):
        super().__init__(subject, problem)
        self.retry_after = max(1, int(retry_after))


STATUS_CODES: dict[type[Exception], int] = {
    InputError: 400,
    AuthError: 401,
    ForbiddenError: 403,
    ThrottledError: 429,
    NotFoundError: 404,
    ConflictError: 409,
    WorkspaceError: 503,
    YvyError: 500,
}
"""Exception class -> HTTP status; the most specific class in an error's MRO wins."""


def error_body(code: str, description: str) -> dict:
    """The JSON body of an error response."""
    return {"code": code, "description": description}


def _status_for(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


async def _yvy_handler(request: Request, exc: YvyError) -> JSONResponse:
    status = _status_for(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    headers = {"WWW-Authenticate": 'Bearer realm="yvy"'} if status == 401 else None
    if status == 429:
        headers = {"Retry-After": str(exc.retry_after)}
    description, lang = str(exc), _language(request)
    if lang and status < 500:
        from ..i18n.errors import translate_message

        description = translate_message(description, lang)
        headers = {**(headers or {}), "Content-Language": lang}
    return JSONResponse(error_body(type(exc).__name__, description), status_code=status, headers=headers)


def _language(request: Request) -> str | None:
    """The language a request names for its error's description: ``?lang=``, else
    ``Accept-Language`` (the web map sends its own); ``None``: as raised (English)."""
    from ..i18n import LANGUAGES, accept_language

    lang = request.query_params.get("lang")
    return lang if lang in LANGUAGES else accept_language(request.headers.get("accept-language"))


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return JSONResponse(error_body("InvalidParameterValue", "; ".join(parts)), status_code=400)


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    names = {400: "InvalidParameterValue", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
             405: "MethodNotAllowed", 409: "Conflict", 406: "NotAcceptable", 429: "TooManyRequests"}
    return JSONResponse(error_body(names.get(exc.status_code, "Error"), str(exc.detail)),
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("ServerError", "internal error; see the server log"), status_code=500)


def add_exception_handlers(app: FastAPI) -> None:
    """Install the handlers for :data:`STATUS_CODES`, validation and HTTP errors."""
    app.add_exception_handler(YvyError, _yvy_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
