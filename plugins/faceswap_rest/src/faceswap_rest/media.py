"""Request parts: image bytes checked by what they are, and form fields structured into specs.

Formats are sniffed from the bytes' header (the decoder's own probe, which reads
no pixels), never trusted from the file name or the declared Content-Type. Form
fields are the fields of the operation's spec (:mod:`faceswap_core.operations`:
``faces``, ``threshold``, ``format``, ``quality``, ``require_face``,
``detect_every``...), structured with cattrs by :func:`parse_request` and
failing with the same faceswap errors and messages the CLI gives; no field
list is kept here. Every text field and query parameter is at most
:data:`MAX_FIELD_CHARS` long, and a value echoed in an error is cut short, so
no request parameter is unbounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from faceswap_core.errors import ConfigError, InvalidImageError
from faceswap_core.io.decode import probe
from faceswap_core.operations import Operation, build_spec
from faceswap_rest.config import IMAGE_FORMATS
from faceswap_rest.errors import UnsupportedMediaTypeError, shorten

_DECODER_ALIASES = {"MPO": "JPEG"}  # a phone's multi-picture JPEG is a JPEG
MAX_FIELD_CHARS = 256
"""Longest text field or query parameter (an option value, a source id, a time)."""
DEFAULT_IMAGE_FORMAT = "png"
"""What ``POST /v1/swap`` answers with when the request names no ``format``."""
MAX_FILENAME_CHARS = 255
"""Longest file name of an uploaded part (NAME_MAX); only its suffix is ever used."""


def check_format(data: bytes, name: str, allowed: Iterable[str], max_bytes: int) -> str:
    """The format of ``data`` from its header; 415 when it is an image we do not accept.

    :raises InvalidImageError: the bytes are no image the decoder knows (400).
    :raises UnsupportedMediaTypeError: an image format outside ``allowed`` (415).
    """
    info = probe(data, name=name, max_bytes=max_bytes)
    found = _DECODER_ALIASES.get(info.format or "", info.format or "")
    accepted = {IMAGE_FORMATS[key]: key for key in allowed}
    if found not in accepted:
        raise UnsupportedMediaTypeError(
            f"cannot use {name} ({len(data)} bytes): {found or 'unknown'} images are not "
            f"accepted here; send {', '.join(accepted.values())}"
        )
    return accepted[found]


def text_field(fields: Mapping[str, Any], key: str) -> str | None:
    """The stripped text of field ``key``; ``None`` when absent or blank."""
    value = fields.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"field {key!r} must be a text field, not a file")
    text = value.strip()
    return text or None


def check_fields(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Only ``allowed`` names, and no text value over :data:`MAX_FIELD_CHARS`."""
    known = tuple(allowed)
    unknown = sorted(key for key in fields if key not in known)
    if unknown:
        names = ", ".join(shorten(key) for key in unknown[:8])
        raise ConfigError(
            f"unknown field{'s' if len(unknown) > 1 else ''} {names}; fields are {', '.join(known)}"
        )
    for key, value in fields.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise ConfigError(
                f"field {key!r} is {len(value)} characters long, over the limit of "
                f"{MAX_FIELD_CHARS}; send a shorter value"
            )


def request_fields(operation: Operation) -> tuple[str, ...]:
    """The names a request to ``operation`` may carry: its spec's REST fields, old names too."""
    names = list(operation.names("rest"))
    for _, surface in operation.fields("rest"):
        names += [alias for alias in surface.rest_aliases if alias not in names]
    return tuple(names)


def parse_request(operation: Operation, parts: Mapping[str, Any]) -> Any:
    """A request's text fields and file parts structured into ``operation``'s spec.

    The fields carry the CLI's option names and types (:mod:`faceswap_core.operations`):
    text is read by the same cattrs rules (``"80"`` -> 80, ``"yes"`` -> True, times as
    ``1:02.5``) and checked by the same validators, so a bad value fails with the message
    the CLI prints. A media field (``target``, ``source``, ``reference``) must be a file
    part; any other field must be text.
    """
    check_fields(parts, request_fields(operation))
    media = {
        name
        for field, surface in operation.fields("rest")
        if surface.media
        for name in (field.name, *surface.rest_aliases)
    }
    values: dict[str, Any] = {}
    for key, value in parts.items():
        if key in media:
            if isinstance(value, str):
                raise ConfigError(
                    f"the {key!r} part must be a file; send it as a multipart file part"
                )
            values[key] = value
        else:
            values[key] = text_field(parts, key) or ""
    return build_spec(operation, values, "rest")


def request_options(operation: Operation, spec: Any) -> dict[str, Any]:
    """The text options a request set (what a job records): no files, no source id."""
    return {
        field.name: getattr(spec, field.name)
        for field, surface in operation.fields("rest")
        if not surface.media and field.name != "source_id"
    }


def ensure_image(data: bytes | None, name: str) -> bytes:
    if not data:
        raise InvalidImageError(f"cannot decode {name}: file is empty (0 bytes)")
    return data


__all__ = [
    "DEFAULT_IMAGE_FORMAT",
    "MAX_FIELD_CHARS",
    "MAX_FILENAME_CHARS",
    "check_fields",
    "check_format",
    "ensure_image",
    "parse_request",
    "request_fields",
    "request_options",
    "text_field",
]
