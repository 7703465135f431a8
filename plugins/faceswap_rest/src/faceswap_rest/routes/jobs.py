"""``/v1/jobs``: the ``video`` operation as a background job (submit, status, result, cancel)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from faceswap_core.errors import ConfigError, InvalidVideoError
from faceswap_core.io.video.containers import VIDEO_SUFFIXES
from faceswap_core.operations.video import VIDEO
from faceswap_rest.errors import OverloadedError, StorageFullError, disk_full
from faceswap_rest.forms import file_bytes, read_form, service_of, source_of
from faceswap_rest.jobs import ACTIVE
from faceswap_rest.media import parse_request, request_options
from faceswap_rest.reports import media_type

logger = logging.getLogger("faceswap.rest")

VIDEO_PARTS: tuple[str, ...] = ("target", "video")
"""The video's file part: ``target`` (the CLI's ``-t``), or its old name ``video``."""


def _video_upload(fields: dict[str, object], files: dict[str, UploadFile]) -> UploadFile:
    for key in VIDEO_PARTS:
        if key in files:
            return files[key]
    hint = " (a text field was sent)" if any(key in fields for key in VIDEO_PARTS) else ""
    raise ConfigError(
        f"the 'target' file (the video) is required{hint}; send it as a multipart file part"
    )


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
    options = parse_request(VIDEO, fields)
    service.request_quality(options)
    upload = _video_upload(fields, files)
    source = await source_of(service, fields, files)
    reference = await file_bytes(files, "reference")
    if isinstance(source, bytes):
        await asyncio.to_thread(service.check_image, source, "source")
    if reference is not None:
        await asyncio.to_thread(service.check_image, reference, "reference")
    suffix = Path(upload.filename or "").suffix.lower()
    suffix = suffix if suffix in VIDEO_SUFFIXES else ""
    try:  # leaves nothing when it fails
        record = service.jobs.create(options=request_options(VIDEO, options))
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
    try:
        record = await asyncio.to_thread(
            service.start_job, record, video, source, options, reference
        )
    except BaseException:
        service.jobs.remove(record.id)
        raise
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


def _save_upload(upload: UploadFile, path: Path) -> None:
    upload.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out, length=1024 * 1024)


async def job_status(request: Request) -> Response:
    service = service_of(request)
    record = await asyncio.to_thread(service.job, request.path_params["job_id"])
    return JSONResponse(record.to_dict())


async def job_result(request: Request) -> Response:
    job_id = request.path_params["job_id"]
    service = service_of(request)
    await asyncio.to_thread(service.job, job_id)  # a job done on the cluster is collected
    path = service.jobs.result_path(job_id)
    return FileResponse(
        path,
        media_type=media_type(path),
        filename=f"{job_id}{path.suffix}",
        headers={"Cache-Control": "no-store"},
    )


async def cancel_job(request: Request) -> Response:
    service = service_of(request)
    store = service.jobs
    job_id = request.path_params["job_id"]
    record = await asyncio.to_thread(service.job, job_id)
    if record.status in ACTIVE:
        store.request_cancel(job_id)
        if service.remote is not None and record.backend != "local":
            await asyncio.to_thread(service.remote.cancel, record)
        return JSONResponse({"id": job_id, "status": "cancelling"}, status_code=202)
    store.remove(job_id)
    return JSONResponse({"id": job_id, "status": "deleted"})


ROUTES = [
    Route("/v1/jobs/video", submit_video, methods=["POST"]),
    Route("/v1/jobs/{job_id}", job_status, methods=["GET"]),
    Route("/v1/jobs/{job_id}", cancel_job, methods=["DELETE"]),
    Route("/v1/jobs/{job_id}/result", job_result, methods=["GET"]),
]
