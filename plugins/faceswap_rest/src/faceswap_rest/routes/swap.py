"""``POST /v1/swap``: the ``swap`` operation on uploaded images."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from faceswap_core.operations.swap import SWAP
from faceswap_rest.forms import (
    admit,
    file_bytes,
    read_form,
    registered_source,
    require_file,
    service_of,
    source_bytes,
)
from faceswap_rest.media import ensure_image, parse_request
from faceswap_rest.observability import note

TIMING_HEADER = "Server-Timing"


async def swap(request: Request) -> Response:
    service = service_of(request)
    service.require_ready()
    # The whole body first (bounded in size, time and rate): a slow upload holds no slot.
    fields, files = await read_form(request)
    options = parse_request(SWAP, fields)
    service.request_quality(options)
    require_file(fields, files, "target")
    identity = registered_source(service, fields, files)
    release = await admit(request, service)
    try:
        target = ensure_image(await file_bytes(files, "target"), "target")
        source = identity if identity is not None else await source_bytes(files)
        reference = await file_bytes(files, "reference")
    except BaseException:
        release()
        raise
    outcome = await service.run_admitted(
        release, lambda: service.swap(target, source, options, reference)
    )
    note(request.scope, faces=outcome.faces_found, faces_swapped=outcome.faces_swapped)
    total = sum(outcome.timings.values())
    timing = ", ".join(f"{stage};dur={ms:.3f}" for stage, ms in outcome.timings.items())
    return Response(
        outcome.data,
        media_type=outcome.mime,
        headers={
            "X-Faces-Found": str(outcome.faces_found),
            "X-Faces-Swapped": str(outcome.faces_swapped),
            TIMING_HEADER: f"{timing}, total;dur={total:.3f}",
            "Cache-Control": "no-store",
        },
    )


ROUTES = [Route("/v1/swap", swap, methods=["POST"])]
