"""Optional bearer-token authentication, compared in constant time.

With a token configured (``FACESWAP_API_TOKEN`` or ``serve.token``), every
request but the liveness probe ``/healthz`` and the static web page (which holds
no data; every call it makes sends the token) must carry
``Authorization: Bearer <token>``; anything else is 401 with the JSON error.
WebSocket upgrades are checked the same way, before the socket is accepted.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from faceswap_rest.errors import UnauthorizedError

Respond = Callable[[Scope, Receive, Send, Exception], Awaitable[None]]

PUBLIC_PATHS: frozenset[str] = frozenset({"/healthz", "/", "/static/app.js", "/static/app.css"})
"""Paths served without a token: liveness, and the page's own static files."""


def bearer(scope: Scope) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            scheme, _, token = bytes(value).partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return token.strip()
            return None
    return None


def check_token(scope: Scope, token: bytes) -> None:
    """Raise 401 unless the request carries ``token``; constant-time in the token's content."""
    given = bearer(scope)
    if given is None:
        raise UnauthorizedError(
            "authentication required: send the header 'Authorization: Bearer <token>'"
        )
    if not hmac.compare_digest(given, token):
        raise UnauthorizedError("invalid bearer token")


class BearerAuth:
    """ASGI middleware; ``respond`` turns the 401 into the service's JSON error response."""

    def __init__(self, app: ASGIApp, token: str, respond: Respond) -> None:
        self.app = app
        self.token = token.encode("utf-8")
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)  # CORS preflight carries no credentials
            return
        try:
            check_token(scope, self.token)
        except UnauthorizedError as exc:
            await self.respond(scope, receive, send, exc)
            return
        await self.app(scope, receive, send)


__all__ = ["PUBLIC_PATHS", "BearerAuth", "bearer", "check_token"]
