"""Liveness, readiness, the OpenAPI document, Prometheus metrics and the web page."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from faceswap_core.version import __version__
from faceswap_rest.forms import service_of
from faceswap_rest.openapi import openapi_document

STATIC = Path(__file__).resolve().parents[1] / "static"


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> Response:
    service = service_of(request)
    service.require_ready()
    return JSONResponse(
        {
            "status": "ready",
            "pid": os.getpid(),
            "model": service.model,
            "pipelines": {
                "swap": service.swaps.size,
                "stream": service.streams.size,
                "video": service.video.size,
            },
            "load_seconds": service.loaded_seconds,
        }
    )


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(request.app.routes))


async def metrics(request: Request) -> Response:
    registry = service_of(request).metrics.registry
    data = await asyncio.to_thread(generate_latest, registry)
    return Response(data, media_type=CONTENT_TYPE_LATEST)


ROUTES = [
    Route("/", index, methods=["GET"], include_in_schema=False),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
