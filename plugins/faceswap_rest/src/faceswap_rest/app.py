"""The starlette application: routes, the JSON error mapping, middleware, startup.

``create_app(settings)`` builds one app with its own :class:`Service` (models,
executors, caches, metrics). Models load in a background thread when the app
starts, so ``/healthz`` answers at once and ``/readyz`` turns 200 when every
pipeline is loaded; work routes answer 503 with ``Retry-After`` until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import traceback
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState

from faceswap_core.errors import ConfigError, FaceswapError, InvalidVideoError
from faceswap_core.io.video import VIDEO_SUFFIXES
from faceswap_core.models.store import ModelStore
from faceswap_core.pipeline.image import SourceIdentity
from faceswap_core.plugin.listing import plugin_listing
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.version import __version__
from faceswap_rest.admission import Release
from faceswap_rest.auth import BearerAuth
from faceswap_rest.config import SETTINGS_ENV, Settings
from faceswap_rest.errors import (
    ClientClosedError,
    OverloadedError,
    StorageFullError,
    clip,
    disk_full,
    error_body,
    error_code,
    error_headers,
    error_kind,
    shorten,
)
from faceswap_rest.jobs import ACTIVE
from faceswap_rest.limits import BodyGuard, Limit, RequestBounds
from faceswap_rest.media import (
    MAX_FILENAME_CHARS,
    SwapOptions,
    VideoOptions,
    check_fields,
    ensure_image,
    text_field,
)
from faceswap_rest.observability import Observability, configure_access_log, note
from faceswap_rest.openapi import openapi_document
from faceswap_rest.reports import REPORT_CSP, Reports, media_type
from faceswap_rest.service import Service
from faceswap_rest.streaming import StreamOptions, serve_stream

logger = logging.getLogger("faceswap.rest")

STATIC = Path(__file__).parent / "static"
SMALL_BODY = 64 * 1024
"""Body limit of routes that take no upload (a stray body is refused, not buffered)."""
FORM_LIMITS = {"max_files": 4, "max_fields": 16, "max_part_size": 4096}
"""Multipart limits: files, fields, and bytes of one text field."""
SWEEP_EVERY_S = 60.0
TIMING_HEADER = "Server-Timing"


def service_of(conn: HTTPConnection) -> Service:
    service: Service = conn.app.state.service
    return service


# -- errors ----------------------------------------------------------------------------


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


# -- forms -----------------------------------------------------------------------------


async def read_form(request: Request) -> tuple[dict[str, Any], dict[str, UploadFile]]:
    """Text fields and files of a multipart request; a part given twice is an error."""
    form = await request.form(**FORM_LIMITS)
    fields: dict[str, Any] = {}
    files: dict[str, UploadFile] = {}
    for key, value in form.multi_items():
        if key in fields:
            raise ConfigError(f"field {shorten(key)} is given twice; send it once")
        fields[key] = value
        if isinstance(value, UploadFile):
            if len(value.filename or "") > MAX_FILENAME_CHARS:
                raise ConfigError(
                    f"the file name of part {shorten(key)} is {len(value.filename or '')} "
                    f"characters long, over the limit of {MAX_FILENAME_CHARS}"
                )
            files[key] = value
    return fields, files


async def file_bytes(files: Mapping[str, UploadFile], key: str) -> bytes | None:
    upload = files.get(key)
    return None if upload is None else await upload.read()


def _require_file(fields: Mapping[str, Any], files: Mapping[str, UploadFile], key: str) -> None:
    if key not in files:
        hint = " (a text field was sent)" if key in fields else ""
        raise ConfigError(f"the {key!r} file is required{hint}; send it as a multipart file part")


def registered_source(
    service: Service, fields: Mapping[str, Any], files: Mapping[str, UploadFile]
) -> SourceIdentity | None:
    """The identity of ``source_id`` if given, else ``None`` (then the ``source`` file is needed).

    Checked before a request asks for a swap slot, so an unknown id costs no wait.
    """
    if "source" in files and "source_id" in fields:
        raise ConfigError("send either the 'source' file or 'source_id', not both")
    source_id = text_field(fields, "source_id")
    if source_id is not None:
        return service.sources.get(source_id)
    if "source_id" in fields:
        raise ConfigError("'source_id' is empty; send a registered source id or the 'source' file")
    _require_file(fields, files, "source")
    return None


async def source_bytes(files: Mapping[str, UploadFile]) -> bytes:
    return ensure_image(await file_bytes(files, "source"), "source")


async def source_of(
    service: Service, fields: Mapping[str, Any], files: Mapping[str, UploadFile]
) -> bytes | SourceIdentity:
    """The ``source`` file or the registered ``source_id`` (exactly one of them)."""
    identity = registered_source(service, fields, files)
    return identity if identity is not None else await source_bytes(files)


# -- routes ----------------------------------------------------------------------------


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


async def plugins(request: Request) -> Response:
    service = service_of(request)
    include_all = request.query_params.get("all", "").lower() in ("1", "true", "yes")
    return JSONResponse(plugin_listing(service.plugins, include_builtin=include_all))


async def models(request: Request) -> Response:
    """``faceswap models list --json`` without the server's paths (``path`` is left out)."""
    redact = service_of(request).redact
    statuses = await asyncio.to_thread(ModelStore().list)
    rows = []
    for status in statuses:
        row = status.to_dict()
        row.pop("path", None)
        row["detail"] = redact(row["detail"]) if row.get("detail") else row.get("detail")
        rows.append(row)
    return JSONResponse(rows)


async def admit(request: Request, service: Service) -> Release:
    """A swap slot for a request whose body is read and checked; 499 if its client left."""
    release = await service.admit()
    if await request.is_disconnected():  # it gave up while it waited: do not swap for nobody
        release()
        raise ClientClosedError("the client closed the connection while waiting for a swap slot")
    return release


async def swap(request: Request) -> Response:
    service = service_of(request)
    service.require_ready()
    # The whole body first (bounded in size, time and rate): a slow upload holds no slot.
    fields, files = await read_form(request)
    options = SwapOptions.parse(fields, has_reference="reference" in files)
    _require_file(fields, files, "target")
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


async def register_source(request: Request) -> Response:
    service = service_of(request)
    service.require_ready()
    fields, files = await read_form(request)
    check_fields(fields, ("source",))
    _require_file(fields, files, "source")
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


async def submit_video(request: Request) -> Response:
    service = service_of(request)
    service.require_ready()
    if service.serve.max_jobs == 0:
        raise OverloadedError("video jobs are turned off on this server (max_jobs: 0)", 3600)
    if service.jobs.active() >= service.limits.max_queued_jobs:
        service.metrics.rejected.labels("job").inc()
        raise OverloadedError(
            f"{service.limits.max_queued_jobs} video jobs are queued or running "
            "(max_queued_jobs); retry later",
            service.limits.retry_after_s,
        )
    fields, files = await read_form(request)
    options = VideoOptions.parse(fields, has_reference="reference" in files)
    _require_file(fields, files, "video")
    source = await source_of(service, fields, files)
    reference = await file_bytes(files, "reference")
    if isinstance(source, bytes):
        await asyncio.to_thread(service.check_image, source, "source")
    if reference is not None:
        await asyncio.to_thread(service.check_image, reference, "reference")
    upload = files["video"]
    suffix = Path(upload.filename or "").suffix.lower()
    suffix = suffix if suffix in VIDEO_SUFFIXES else ""
    try:
        record = service.jobs.create(options=_options(options))  # leaves nothing when it fails
    except OSError as exc:
        if disk_full(exc):
            raise _storage_full(exc) from exc
        raise
    video = service.jobs.folder(record.id) / f"input{suffix}"
    try:
        await asyncio.to_thread(_save_upload, upload, video)
        if video.stat().st_size == 0:
            raise InvalidVideoError("cannot decode video: file is empty (0 bytes)")
        info = await asyncio.to_thread(service.check_video, video)
    except BaseException as exc:
        service.jobs.remove(record.id)
        if disk_full(exc):
            raise _storage_full(exc) from exc
        raise
    record = record.evolve(frames_total=info.get("frames"))
    service.jobs.write(record)
    service.job_executor.submit(service.run_job, record.id, video, source, options, reference)
    return JSONResponse(
        record.to_dict(),
        status_code=202,
        headers={"Location": f"/v1/jobs/{record.id}"},
    )


def _storage_full(exc: BaseException) -> StorageFullError:
    """The 507 of a video upload that found ``jobs_dir`` full (its job folder is already gone)."""
    logger.error("no space left in jobs_dir for a video upload: %s", exc)
    return StorageFullError(
        "no space left on the server to store the video (its job folder is full); "
        "retry later or send a shorter video"
    )


def _options(options: VideoOptions) -> dict[str, Any]:
    return attrs.asdict(options)


def _save_upload(upload: UploadFile, path: Path) -> None:
    upload.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out, length=1024 * 1024)


async def job_status(request: Request) -> Response:
    record = service_of(request).jobs.read(request.path_params["job_id"])
    return JSONResponse(record.to_dict())


async def job_result(request: Request) -> Response:
    job_id = request.path_params["job_id"]
    path = service_of(request).jobs.result_path(job_id)
    return FileResponse(
        path,
        media_type=media_type(path),
        filename=f"{job_id}{path.suffix}",
        headers={"Cache-Control": "no-store"},
    )


async def cancel_job(request: Request) -> Response:
    store = service_of(request).jobs
    job_id = request.path_params["job_id"]
    record = store.read(job_id)
    if record.status in ACTIVE:
        store.request_cancel(job_id)
        return JSONResponse({"id": job_id, "status": "cancelling"}, status_code=202)
    store.remove(job_id)
    return JSONResponse({"id": job_id, "status": "deleted"})


async def stream(websocket: WebSocket) -> None:
    service = service_of(websocket)
    try:
        service.require_ready()
        options = StreamOptions.parse(dict(websocket.query_params))
        await serve_stream(websocket, service, options)
    except FaceswapError as exc:
        if websocket.application_state == WebSocketState.CONNECTING:
            await respond_error(websocket.scope, websocket.receive, websocket.send, exc)
        else:
            raise


async def list_reports(request: Request) -> Response:
    reports: Reports = request.app.state.reports
    return JSONResponse(await asyncio.to_thread(reports.list))


async def report_metrics(request: Request) -> Response:
    reports: Reports = request.app.state.reports
    return JSONResponse(await asyncio.to_thread(reports.metrics, request.path_params["run"]))


async def report_file(request: Request) -> Response:
    reports: Reports = request.app.state.reports
    path = await asyncio.to_thread(
        reports.file, request.path_params["run"], request.path_params["path"]
    )
    return FileResponse(
        path,
        media_type=media_type(path),
        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"},
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/", index, methods=["GET"], include_in_schema=False),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/v1/plugins", plugins, methods=["GET"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/swap", swap, methods=["POST"]),
        Route("/v1/sources", register_source, methods=["POST"]),
        Route("/v1/sources/{source_id}", delete_source, methods=["DELETE"]),
        Route("/v1/jobs/video", submit_video, methods=["POST"]),
        Route("/v1/jobs/{job_id}", job_status, methods=["GET"]),
        Route("/v1/jobs/{job_id}", cancel_job, methods=["DELETE"]),
        Route("/v1/jobs/{job_id}/result", job_result, methods=["GET"]),
        WebSocketRoute("/v1/stream", stream),
        Route("/v1/reports", list_reports, methods=["GET"]),
        Route("/v1/reports/{run}", report_metrics, methods=["GET"]),
        Route("/v1/reports/{run}/files/{path:path}", report_file, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


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
