"""Every error as the one JSON body, with its status, from routes, middleware and handlers.

The status and code of each error come from the one table in
:mod:`faceswap_rest.errors`; messages go through the service's redactor so no
server path or secret leaves it. The exception handlers here are what
:func:`faceswap_rest.app.create_app` installs.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from faceswap_core.errors import FaceswapError
from faceswap_rest.errors import (
    ClientClosedError,
    clip,
    disk_full,
    error_body,
    error_code,
    error_headers,
    error_kind,
)
from faceswap_rest.observability import note
from faceswap_rest.service import Service

logger = logging.getLogger("faceswap.rest")


def error_message(exc: BaseException) -> str:
    """The one-line message of any exception (before redaction)."""
    if isinstance(exc, HTTPException):
        return str(exc.detail)
    if isinstance(exc, FaceswapError):
        return str(exc)
    if disk_full(exc):
        return "no space left on the server's disk; retry later"
    text = str(exc).strip()
    detail = f": {text.splitlines()[0]}" if text else ""
    return f"unexpected {type(exc).__name__}{detail}; this is a bug: report it"


def error_response(exc: BaseException, redact: Callable[[str], str] = str) -> JSONResponse:
    """The JSON error for any exception, through the one table in :mod:`faceswap_rest.errors`.

    ``redact`` takes server paths and secrets out of the message (every route
    passes the service's :class:`~faceswap_rest.redact.Redactor`).
    """
    body = error_body(error_code(exc), redact(error_message(exc)))
    if isinstance(exc, HTTPException):
        return JSONResponse(body, status_code=exc.status_code, headers=dict(exc.headers or {}))
    return JSONResponse(body, status_code=error_kind(exc).status, headers=error_headers(exc))


def redactor_of(scope: Scope) -> Callable[[str], str]:
    """The app's :class:`~faceswap_rest.redact.Redactor` (no redaction outside an app)."""
    service = getattr(getattr(scope.get("app"), "state", None), "service", None)
    return service.redact if isinstance(service, Service) else str


def error_for(scope: Scope, exc: BaseException) -> JSONResponse:
    """:func:`error_response` with the app's redactor; the code goes into the access log."""
    note(scope, error=error_code(exc))
    return error_response(exc, redactor_of(scope))


async def respond_error(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """Send ``exc`` as the JSON error from middleware (a WebSocket gets it as a denial)."""
    if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
        "extensions", {}
    ):
        note(scope, error=error_code(exc))
        reason = redactor_of(scope)(error_message(exc))[:120]
        await send({"type": "websocket.close", "code": 1008, "reason": reason})
        return
    await error_for(scope, exc)(scope, receive, send)


async def on_faceswap_error(request: Request, exc: Exception) -> Response:
    return error_for(request.scope, exc)


async def on_client_gone(request: Request, exc: Exception) -> Response:
    """A body read that saw the client leave (starlette's own check): 499, no traceback."""
    return error_for(request.scope, ClientClosedError("the client closed the connection"))


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        exc = HTTPException(
            404, f"no route {request.method} {clip(request.url.path, 200)}; see /openapi.json"
        )
    elif exc.status_code == 405:
        exc = HTTPException(
            405,
            f"method {request.method} is not allowed on {clip(request.url.path, 200)}",
            exc.headers,
        )
    return error_for(request.scope, exc)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    if disk_full(exc):
        logger.error("no space left on %s %s: %s", request.method, request.url.path, exc)
    else:
        logger.error(
            "unexpected error on %s %s\n%s",
            request.method,
            request.url.path,
            "".join(traceback.format_exception(exc)),
        )
    return error_for(request.scope, exc)


__all__ = [
    "error_for",
    "error_message",
    "error_response",
    "on_client_gone",
    "on_faceswap_error",
    "on_http_error",
    "on_unexpected",
    "redactor_of",
    "respond_error",
]
