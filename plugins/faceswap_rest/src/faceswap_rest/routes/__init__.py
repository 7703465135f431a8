"""The service's routes, one module per resource.

- :mod:`.health`: ``/``, ``/healthz``, ``/readyz``, ``/openapi.json``, ``/metrics``;
- :mod:`.catalog`: ``/v1/plugins``, ``/v1/models``;
- :mod:`.swap`: ``POST /v1/swap``;
- :mod:`.sources`: ``/v1/sources``;
- :mod:`.jobs`: ``/v1/jobs``;
- :mod:`.stream`: ``WS /v1/stream``;
- :mod:`.reports`: ``/v1/reports``.

Request fields of the routes that run an operation are structured from its
spec (:func:`faceswap_rest.media.parse_request`).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from faceswap_rest.routes import catalog, health, jobs, reports, sources, stream, swap
from faceswap_rest.routes.health import STATIC


def routes() -> list[BaseRoute]:
    """Every route of the app, in the order OpenAPI lists them."""
    return [
        *health.ROUTES,
        *catalog.ROUTES,
        *swap.ROUTES,
        *sources.ROUTES,
        *jobs.ROUTES,
        *stream.ROUTES,
        *reports.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


__all__ = ["routes"]
