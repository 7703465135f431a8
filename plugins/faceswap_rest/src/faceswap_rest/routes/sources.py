"""``/v1/sources``: register a source face once, swap with its id afterwards."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from faceswap_rest.forms import admit, file_bytes, read_form, require_file, service_of
from faceswap_rest.media import check_fields, ensure_image
from faceswap_rest.observability import note


async def register_source(request: Request) -> Response:
    service = service_of(request)
    service.require_ready()
    fields, files = await read_form(request)
    check_fields(fields, ("source",))
    require_file(fields, files, "source")
    release = await admit(request, service)
    try:
        data = ensure_image(await file_bytes(files, "source"), "source")
    except BaseException:
        release()
        raise
    identity = await service.run_admitted(release, lambda: service.register_source(data))
    source_id = service.sources.add(identity)
    face = identity.face
    note(request.scope, faces=1)
    return JSONResponse(
        {
            "source_id": source_id,
            "face": {
                "bbox": [round(float(v), 2) for v in face.bbox],
                "score": round(float(face.score), 4),
            },
            "cache_size": service.limits.source_cache_size,
        },
        status_code=201,
    )


async def delete_source(request: Request) -> Response:
    service_of(request).sources.remove(request.path_params["source_id"])
    return Response(status_code=204)


ROUTES = [
    Route("/v1/sources", register_source, methods=["POST"]),
    Route("/v1/sources/{source_id}", delete_source, methods=["DELETE"]),
]
