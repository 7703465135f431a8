"""What is installed: plugins (``faceswap plugins``) and models (``faceswap models list``)."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from faceswap_core.models.store import ModelStore
from faceswap_core.plugin.listing import plugin_listing
from faceswap_rest.forms import service_of


async def plugins(request: Request) -> Response:
    service = service_of(request)
    include_all = request.query_params.get("all", "").lower() in ("1", "true", "yes")
    return JSONResponse(plugin_listing(service.plugins, include_builtin=include_all))


async def models(request: Request) -> Response:
    """``faceswap models list --json``'s models without the server's paths (no ``path``)."""
    redact = service_of(request).redact
    statuses = await asyncio.to_thread(ModelStore().list)
    rows = []
    for status in statuses:
        row = status.to_dict()
        row.pop("path", None)
        row["detail"] = redact(row["detail"]) if row.get("detail") else row.get("detail")
        rows.append(row)
    return JSONResponse(rows)


ROUTES = [
    Route("/v1/plugins", plugins, methods=["GET"]),
    Route("/v1/models", models, methods=["GET"]),
]
