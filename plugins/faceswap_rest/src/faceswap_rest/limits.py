"""The request-body limit, enforced while the body streams in.

A declared ``Content-Length`` over the limit is refused before a byte of the
body is read; a chunked body without one is counted as it arrives and cut off
the moment it passes the limit, so a client can never make the service buffer
more than the limit. Both answers are the service's JSON 413, not a bare text
page. (Starlette's own ``max_body_size`` middleware answers in plain text, which
is why the service has this one.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceswap_core.io.read import size_text
from faceswap_rest.errors import BodyTooLargeError

Limit = tuple[int, str]
"""A limit in bytes and its setting's name (``max_body_bytes``)."""

Respond = Callable[[Scope, Receive, Send, Exception], Awaitable[None]]


def too_large(limit: Limit, seen: int | None = None) -> BodyTooLargeError:
    size, name = limit
    what = f"{size_text(seen)} " if seen is not None else ""
    return BodyTooLargeError(
        f"request body {what}is over the limit of {size_text(size)} ({name}); send a smaller file"
    )


class BodyLimit:
    """ASGI middleware: ``limit_for(path)`` gives each HTTP request its body limit."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], Limit], respond: Respond) -> None:
        self.app = app
        self.limit_for = limit_for
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit[0]:
            await self.respond(scope, receive, send, too_large(limit, declared))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit[0]:
                    raise too_large(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLargeError as exc:
            if started:
                raise
            await self.respond(scope, receive, send, exc)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


__all__ = ["BodyLimit", "Limit", "too_large"]
