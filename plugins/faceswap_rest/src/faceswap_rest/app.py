"""The starlette application: middleware, error handlers, startup; routes live in :mod:`.routes`.

``create_app(settings)`` builds one app with its own :class:`Service` (models,
executors, caches, metrics). Models load in a background thread when the app
starts, so ``/healthz`` answers at once and ``/readyz`` turns 200 when every
pipeline is loaded; work routes answer 503 with ``Retry-After`` until then.
The routes are split by resource (:mod:`faceswap_rest.routes`), the JSON error
mapping is :mod:`faceswap_rest.responses`, and request parsing is
:mod:`faceswap_rest.forms` and :mod:`faceswap_rest.media`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect

from faceswap_core.errors import FaceswapError
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_rest.auth import BearerAuth
from faceswap_rest.config import SETTINGS_ENV, Settings
from faceswap_rest.limits import BodyGuard, Limit, RequestBounds
from faceswap_rest.observability import Observability, configure_access_log
from faceswap_rest.reports import Reports
from faceswap_rest.responses import (
    error_response,
    on_client_gone,
    on_faceswap_error,
    on_http_error,
    on_unexpected,
    respond_error,
)
from faceswap_rest.routes import routes
from faceswap_rest.routes.swap import TIMING_HEADER
from faceswap_rest.service import Service

logger = logging.getLogger("faceswap.rest")

SMALL_BODY = 64 * 1024
"""Body limit of routes that take no upload (a stray body is refused, not buffered)."""
SWEEP_EVERY_S = 60.0


def body_limits(settings: Settings) -> Any:
    limits = settings.serve.limits
    images: Limit = (limits.max_body_bytes, "max_body_bytes")
    videos: Limit = (limits.max_video_bytes, "max_video_bytes")
    small: Limit = (SMALL_BODY, "the body limit of routes without uploads")

    def limit_for(path: str) -> Limit:
        if path == "/v1/jobs/video":
            return videos
        if path in ("/v1/swap", "/v1/sources"):
            return images
        return small

    return limit_for


def create_app(
    settings: Settings | None = None,
    plugins: FaceswapPlugins | None = None,
    *,
    service: Service | None = None,
) -> Starlette:
    """The service's ASGI app. ``settings`` default to :class:`Settings`'s defaults."""
    settings = settings or Settings()
    engine = service or Service(settings, plugins)
    serve = settings.serve

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loader = asyncio.create_task(asyncio.to_thread(engine.load))
        sweeper = asyncio.create_task(_sweep(engine))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sweeper
            with contextlib.suppress(Exception):
                await loader
            engine.close()

    middleware = [Middleware(Observability, metrics=engine.metrics, log=serve.access_log)]
    if serve.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(serve.cors_origins),
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                expose_headers=[
                    TIMING_HEADER,
                    "X-Faces-Found",
                    "X-Faces-Swapped",
                    "X-Request-ID",
                    "Retry-After",
                ],
            )
        )
    middleware.append(Middleware(RequestBounds, respond=respond_error))
    token = serve.resolved_token()
    if token:
        middleware.append(Middleware(BearerAuth, token=token, respond=respond_error))
    middleware.append(
        Middleware(
            BodyGuard,
            limit_for=body_limits(settings),
            respond=respond_error,
            timeout_s=serve.limits.body_timeout_s,
            min_rate=serve.limits.min_body_rate,
        )
    )
    app = Starlette(
        routes=routes(),
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            FaceswapError: on_faceswap_error,
            ClientDisconnect: on_client_gone,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
    )
    app.state.service = engine
    app.state.reports = Reports(serve.reports_dir)
    app.state.settings = settings
    return app


async def _sweep(service: Service) -> None:
    """Delete expired jobs now and then (every minute, or sooner for short TTLs)."""
    every = min(SWEEP_EVERY_S, max(service.serve.job_ttl_s / 4, 0.5))
    while True:
        try:
            removed = await asyncio.to_thread(service.jobs.sweep)
            if removed:
                logger.info("deleted %d expired video job(s)", removed)
        except OSError as exc:
            logger.warning("job sweep failed: %s", exc)
        await asyncio.sleep(every)


def app_from_environment() -> Starlette:
    """uvicorn's factory for ``faceswap serve``: the settings come from the command's process."""
    configure_access_log()
    return create_app(Settings.from_dict(json.loads(os.environ[SETTINGS_ENV])))


__all__ = ["app_from_environment", "create_app", "error_response", "routes"]
