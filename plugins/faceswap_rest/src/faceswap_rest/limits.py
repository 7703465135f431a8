"""Limits on what one request may send: its URL and headers, and its body's size, time and rate.

:class:`RequestBounds` refuses a URL path or query string over
:data:`MAX_PATH_BYTES` / :data:`MAX_QUERY_BYTES` (414) and more than
:data:`MAX_HEADERS` headers or one over :data:`MAX_HEADER_BYTES` (431), before
any route sees them, so no parameter a route reads is unbounded.

:class:`BodyGuard` watches the body while it streams in:

- **size**: a declared ``Content-Length`` over the limit is refused before a
  byte is read; a chunked body is cut off the moment it passes the limit (413);
- **time and rate** (the rule of Apache's ``RequestReadTimeout body=20,MinRate=500``,
  plus nginx's idle ``client_body_timeout``): from the first read, the body gets
  ``body_timeout_s`` seconds plus one more second for every ``min_body_rate``
  bytes received, and never waits more than ``body_timeout_s`` for the next
  bytes; past either, the request is 408 and the connection is closed;
- **a client that leaves** before the body is complete is a 499 (logged, counted
  as the client's doing) rather than a server error with a traceback.

Routes read the whole body before they ask for a swap slot, so a slow upload
holds a connection, never a slot. Every answer sent while the body is
unfinished carries ``Connection: close``, so the server stops reading it.
(Starlette's own ``max_body_size`` answers in plain text, and has no rate rule,
which is why the service has this one.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceswap_core.io.read import size_text
from faceswap_rest.errors import (
    BodyTimeoutError,
    BodyTooLargeError,
    ClientClosedError,
    HeadersTooLargeError,
    ServiceError,
    UriTooLongError,
)
from faceswap_rest.observability import note

Limit = tuple[int, str]
"""A limit in bytes and its setting's name (``max_body_bytes``)."""

Respond = Callable[[Scope, Receive, Send, Exception], Awaitable[None]]

MAX_PATH_BYTES = 4096
"""Longest URL path (as sent, percent-encoded); Linux's PATH_MAX."""
MAX_QUERY_BYTES = 4096
"""Longest query string."""
MAX_HEADERS = 64
"""Most request headers."""
MAX_HEADER_BYTES = 8192
"""Longest header value (nginx's default line buffer); uvicorn caps the whole head at 16 KiB."""
CLOSE = (b"connection", b"close")


def too_large(limit: Limit, seen: int | None = None) -> BodyTooLargeError:
    size, name = limit
    what = f"{size_text(seen)} " if seen is not None else ""
    return BodyTooLargeError(
        f"request body {what}is over the limit of {size_text(size)} ({name}); send a smaller file"
    )


def check_request_bounds(scope: Scope) -> None:
    """Raise 414 or 431 when the URL or the headers are over their bounds."""
    path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    if len(path) > MAX_PATH_BYTES:
        raise UriTooLongError(
            f"the URL path is {len(path)} bytes, over the limit of {MAX_PATH_BYTES}"
        )
    query = scope.get("query_string", b"")
    if len(query) > MAX_QUERY_BYTES:
        raise UriTooLongError(
            f"the query string is {len(query)} bytes, over the limit of {MAX_QUERY_BYTES}"
        )
    headers = scope.get("headers", [])
    if len(headers) > MAX_HEADERS:
        raise HeadersTooLargeError(
            f"the request has {len(headers)} headers, over the limit of {MAX_HEADERS}"
        )
    for key, value in headers:
        if len(value) > MAX_HEADER_BYTES:
            name = bytes(key[:64]).decode("latin-1")
            raise HeadersTooLargeError(
                f"header {name!r} is {len(value)} bytes, over the limit of {MAX_HEADER_BYTES}"
            )


class RequestBounds:
    """ASGI middleware: :func:`check_request_bounds` on every HTTP request and WebSocket."""

    def __init__(self, app: ASGIApp, respond: Respond) -> None:
        self.app = app
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            try:
                check_request_bounds(scope)
            except ServiceError as exc:
                await self.respond(scope, receive, send, exc)
                return
        await self.app(scope, receive, send)


class BodyMeter:
    """One request body's progress against its size limit, timeout and minimum rate."""

    def __init__(self, limit: Limit, timeout_s: float, min_rate: float, declared: int | None):
        self.limit = limit
        self.timeout_s = timeout_s
        self.min_rate = min_rate
        self.declared = declared
        self.received = 0
        self.complete = False
        self.started: float | None = None
        self.last: float = 0.0

    def deadline(self) -> float:
        """When the next bytes must have arrived (monotonic seconds)."""
        assert self.started is not None
        earned = self.started + self.timeout_s + self.received / self.min_rate
        return min(self.last + self.timeout_s, earned)

    def progress(self) -> str:
        total = f" of {self.declared}" if self.declared is not None else ""
        return f"{self.received}{total} bytes"

    def timed_out(self, now: float) -> BodyTimeoutError:
        assert self.started is not None
        elapsed = now - self.started
        if now - self.last >= self.timeout_s - 1e-3:
            why = f"no bytes arrived for {self.timeout_s:g} s (body_timeout_s)"
        else:
            why = (
                f"it arrived at {self.received / max(elapsed, 1e-9):.0f} bytes/s, under the "
                f"minimum of {self.min_rate:g} bytes/s after the first {self.timeout_s:g} s "
                "(min_body_rate, body_timeout_s)"
            )
        return BodyTimeoutError(
            f"the request body was too slow: {why}; {self.progress()} in {elapsed:.1f} s. "
            "Send the body at once, or over a faster connection"
        )

    async def receive(self, receive: Receive) -> Message:
        """The next message from ``receive``, enforcing the size, time and rate rules."""
        now = time.monotonic()
        if self.started is None:
            self.started = self.last = now
        remaining = self.deadline() - now
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                message = await receive()
        except TimeoutError:
            raise self.timed_out(time.monotonic()) from None
        if message["type"] == "http.disconnect":
            raise ClientClosedError(
                f"the client closed the connection after {self.progress()} of the request body"
            )
        if message["type"] == "http.request":
            chunk = len(message.get("body", b""))
            self.received += chunk
            if chunk:
                self.last = time.monotonic()
            if self.received > self.limit[0]:
                raise too_large(self.limit)
            if not message.get("more_body", False):
                self.complete = True
        return message


class BodyGuard:
    """ASGI middleware: ``limit_for(path)`` gives each request its body limit; the meter the rest.

    :param timeout_s: ``body_timeout_s``: the first grace period, and the longest
        wait for the next bytes.
    :param min_rate: ``min_body_rate``: bytes per second the body must keep up after the grace.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str], Limit],
        respond: Respond,
        *,
        timeout_s: float,
        min_rate: float,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.respond = respond
        self.timeout_s = timeout_s
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        chunked = any(key == b"transfer-encoding" for key, _ in scope.get("headers", []))
        body = chunked or bool(declared)
        meter = BodyMeter(limit, self.timeout_s, self.min_rate, declared)
        started = False

        async def guarded_receive() -> Message:
            if meter.complete:
                return await receive()
            return await meter.receive(receive)

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if body and not meter.complete:  # the rest will not be read: close after
                    message = {**message, "headers": [*message.get("headers", []), CLOSE]}
            await send(message)

        if declared is not None and declared > limit[0]:
            await self.respond(scope, receive, guarded_send, too_large(limit, declared))
            return
        try:
            await self.app(scope, guarded_receive, guarded_send)
        except (BodyTooLargeError, BodyTimeoutError, ClientClosedError) as exc:
            if started:
                raise
            await self.respond(scope, receive, guarded_send, exc)
        finally:
            if body:
                note(scope, body_bytes=meter.received)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


__all__ = [
    "MAX_HEADERS",
    "MAX_HEADER_BYTES",
    "MAX_PATH_BYTES",
    "MAX_QUERY_BYTES",
    "BodyGuard",
    "BodyMeter",
    "Limit",
    "RequestBounds",
    "check_request_bounds",
    "too_large",
]
