"""The one table from errors to HTTP: status, a stable ``code``, and the CLI's one-line message.

Every error response of the service is ``{"error": {"code": ..., "message": ...}}``.
faceswap's own exception classes keep their meaning (the CLI maps the same
classes to exit codes); the few failures only a service has (overload, auth,
unknown route, unsupported media type) get classes here, subclassing the
faceswap class they are a case of.
"""

from __future__ import annotations

import errno
from typing import Any

import attrs

from faceswap_core.errors import (
    ComponentError,
    ConfigError,
    FaceswapError,
    ImageTooLargeError,
    InputError,
    InvalidImageError,
    InvalidVideoError,
    ModelFileError,
    NoFaceError,
    PluginError,
    RuntimeUnavailableError,
    SignerError,
    UnknownComponentError,
    VideoTooLargeError,
)


class ServiceError(FaceswapError):
    """A failure only a service has (base class; the table gives each its status)."""

    headers: dict[str, str] = {}  # noqa: RUF012 - read-only class default


class UnsupportedMediaTypeError(InvalidImageError):
    """The bytes are an image format the service does not accept (415)."""


class BodyTooLargeError(ImageTooLargeError):
    """The request body passed ``max_body_bytes`` / ``max_video_bytes`` while it streamed (413)."""


class OverloadedError(ServiceError):
    """Every swap slot is taken, or the models are still loading (503 with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class RequestTimeoutError(OverloadedError):
    """The request took longer than ``request_timeout_s`` (503 with ``Retry-After``)."""


class BodyTimeoutError(ServiceError):
    """The request body arrived too slowly: idle past ``body_timeout_s`` or under
    ``min_body_rate`` after it (408; the connection is closed)."""


class ClientClosedError(ServiceError):
    """The client closed the connection before its request body was complete (499).

    Nobody reads the answer; the status is what the access log and the metrics
    record (nginx's 499 "client closed request"), so a dropped upload counts as
    the client's doing, never as a server error.
    """


class StorageFullError(ServiceError):
    """No space left where the service keeps files (``jobs_dir``) (507)."""


class UriTooLongError(ServiceError):
    """The URL path or query string is over its length bound (414)."""


class HeadersTooLargeError(ServiceError):
    """Too many request headers, or one over its length bound (431)."""


class LoadFailedError(ServiceError):
    """The models failed to load for a reason other than a model file (503; see the log)."""


class UnauthorizedError(ServiceError):
    """A bearer token is required and missing or wrong (401)."""

    headers = {"WWW-Authenticate": 'Bearer realm="faceswap"'}  # noqa: RUF012


class NotFoundError(ServiceError, LookupError):
    """No such route, source, job, run or file (404)."""


class ConflictError(ServiceError):
    """The resource is not in a state that allows this (a job result before it is done) (409)."""


@attrs.frozen
class ErrorKind:
    """One row of the table: the HTTP status and the stable code clients switch on."""

    status: int
    code: str


ERROR_TABLE: dict[type[BaseException], ErrorKind] = {
    UnauthorizedError: ErrorKind(401, "unauthorized"),
    NotFoundError: ErrorKind(404, "not_found"),
    ConflictError: ErrorKind(409, "conflict"),
    RequestTimeoutError: ErrorKind(503, "timeout"),
    BodyTimeoutError: ErrorKind(408, "body_timeout"),
    ClientClosedError: ErrorKind(499, "client_closed_request"),
    StorageFullError: ErrorKind(507, "insufficient_storage"),
    UriTooLongError: ErrorKind(414, "uri_too_long"),
    HeadersTooLargeError: ErrorKind(431, "headers_too_large"),
    OverloadedError: ErrorKind(503, "overloaded"),
    LoadFailedError: ErrorKind(503, "load_failed"),
    BodyTooLargeError: ErrorKind(413, "body_too_large"),
    ImageTooLargeError: ErrorKind(413, "image_too_large"),
    VideoTooLargeError: ErrorKind(413, "video_too_large"),
    UnsupportedMediaTypeError: ErrorKind(415, "unsupported_media_type"),
    InvalidImageError: ErrorKind(400, "invalid_image"),
    InvalidVideoError: ErrorKind(400, "invalid_video"),
    InputError: ErrorKind(400, "invalid_input"),
    NoFaceError: ErrorKind(422, "no_face"),
    UnknownComponentError: ErrorKind(422, "unknown_component"),
    RuntimeUnavailableError: ErrorKind(503, "runtime_unavailable"),
    ConfigError: ErrorKind(422, "invalid_parameter"),
    ModelFileError: ErrorKind(503, "model_unavailable"),
    SignerError: ErrorKind(503, "signer_unavailable"),
    ComponentError: ErrorKind(500, "component_failed"),
    PluginError: ErrorKind(500, "plugin_error"),
    FaceswapError: ErrorKind(500, "internal_error"),
}
"""faceswap error class -> HTTP status and code; the most specific class in an error's MRO wins."""

INTERNAL = ErrorKind(500, "internal_error")
DISK_FULL = ErrorKind(507, "insufficient_storage")
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    408: "body_timeout",
    413: "body_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_parameter",
    431: "headers_too_large",
    499: "client_closed_request",
    503: "overloaded",
    507: "insufficient_storage",
}
"""Codes of plain HTTP errors raised by the framework itself (routing, body limit)."""


def disk_full(exc: BaseException) -> bool:
    """True when ``exc``, or an error it was raised from, is "no space left" (or over quota)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        current = current.__cause__ or current.__context__
    return False


def error_kind(exc: BaseException) -> ErrorKind:
    """The table row of ``exc``: its own class's, else its nearest listed base's.

    A full disk is 507 whatever class carried it (a plain ``OSError``, or a
    faceswap error raised from one), so a client is told to retry later, not
    that the server has a bug.
    """
    if disk_full(exc):
        return DISK_FULL
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return INTERNAL


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (the last one an ellipsis when cut)."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def shorten(value: object, limit: int = 64) -> str:
    """``repr(value)``, cut to ``limit`` characters: a client's value echoed in a message."""
    return clip(repr(value), limit)


def error_code(exc: BaseException) -> str:
    """The stable ``code`` of the JSON error ``exc`` becomes."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(exc, FaceswapError):
        return HTTP_CODES.get(status, "http_error")
    return error_kind(exc).code


def error_headers(exc: BaseException) -> dict[str, str]:
    return dict(getattr(exc, "headers", None) or {}) if isinstance(exc, ServiceError) else {}


__all__ = [
    "ERROR_TABLE",
    "HTTP_CODES",
    "BodyTimeoutError",
    "BodyTooLargeError",
    "ClientClosedError",
    "ConflictError",
    "ErrorKind",
    "HeadersTooLargeError",
    "LoadFailedError",
    "NotFoundError",
    "OverloadedError",
    "RequestTimeoutError",
    "ServiceError",
    "StorageFullError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "UriTooLongError",
    "clip",
    "disk_full",
    "error_body",
    "error_code",
    "error_headers",
    "error_kind",
    "shorten",
]
