"""Multipart requests: their fields and files, read whole before any slot is taken.

A request body is read completely (bounded in bytes, time and rate by
:class:`~faceswap_rest.limits.BodyGuard`) and checked before the request asks
for a swap slot (:func:`admit`), so a slow upload never holds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import HTTPConnection, Request

from faceswap_core.errors import ConfigError
from faceswap_core.pipeline.image import SourceIdentity
from faceswap_rest.admission import Release
from faceswap_rest.errors import ClientClosedError, shorten
from faceswap_rest.media import MAX_FILENAME_CHARS, ensure_image, text_field
from faceswap_rest.service import Service

FORM_LIMITS = {"max_files": 4, "max_fields": 32, "max_part_size": 4096}
"""Multipart limits: files, fields, and bytes of one text field."""


def service_of(conn: HTTPConnection) -> Service:
    service: Service = conn.app.state.service
    return service


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


def require_file(fields: Mapping[str, Any], files: Mapping[str, UploadFile], key: str) -> None:
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
    require_file(fields, files, "source")
    return None


async def source_bytes(files: Mapping[str, UploadFile]) -> bytes:
    return ensure_image(await file_bytes(files, "source"), "source")


async def source_of(
    service: Service, fields: Mapping[str, Any], files: Mapping[str, UploadFile]
) -> bytes | SourceIdentity:
    """The ``source`` file or the registered ``source_id`` (exactly one of them)."""
    identity = registered_source(service, fields, files)
    return identity if identity is not None else await source_bytes(files)


async def admit(request: Request, service: Service) -> Release:
    """A swap slot for a request whose body is read and checked; 499 if its client left."""
    release = await service.admit()
    if await request.is_disconnected():  # it gave up while it waited: do not swap for nobody
        release()
        raise ClientClosedError("the client closed the connection while waiting for a swap slot")
    return release


__all__ = [
    "FORM_LIMITS",
    "admit",
    "file_bytes",
    "read_form",
    "registered_source",
    "require_file",
    "service_of",
    "source_bytes",
    "source_of",
]
