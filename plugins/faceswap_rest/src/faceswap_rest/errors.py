"""The one table from errors to HTTP: status, a stable ``code``, and the CLI's one-line message.

Every error response of the service is ``{"error": {"code": ..., "message": ...}}``.
faceswap's own exception classes keep their meaning (the CLI maps the same
classes to exit codes); the few failures only a service has (overload, auth,
unknown route, unsupported media type) get classes here, subclassing the
faceswap class they are a case of.
"""

from __future__ import annotations

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

HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_parameter",
    503: "overloaded",
}
"""Codes of plain HTTP errors raised by the framework itself (routing, body limit)."""


def error_kind(exc: BaseException) -> ErrorKind:
    """The table row of ``exc``: its own class's, else its nearest listed base's."""
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return INTERNAL


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_headers(exc: BaseException) -> dict[str, str]:
    return dict(getattr(exc, "headers", None) or {}) if isinstance(exc, ServiceError) else {}


__all__ = [
    "ERROR_TABLE",
    "HTTP_CODES",
    "BodyTooLargeError",
    "ConflictError",
    "ErrorKind",
    "LoadFailedError",
    "NotFoundError",
    "OverloadedError",
    "RequestTimeoutError",
    "ServiceError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "error_body",
    "error_headers",
    "error_kind",
]
