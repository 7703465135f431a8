"""Request parts: image bytes checked by what they are, and form fields checked like CLI options.

Formats are sniffed from the bytes' header (the decoder's own probe, which reads
no pixels), never trusted from the file name or the declared Content-Type. Form
fields carry the CLI's option names (``faces``, ``threshold``, ``format``,
``quality``, ``require_face``, ``detect_every``...) and fail with the same
faceswap errors and messages the CLI gives. Every text field and query
parameter is at most :data:`MAX_FIELD_CHARS` long, and a value echoed in an
error is cut short, so no request parameter is unbounded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from faceswap_core.errors import ConfigError, InvalidImageError
from faceswap_core.io.decode import probe
from faceswap_core.io.encode import OUTPUT_FORMATS, normalize_format
from faceswap_core.io.video import VIDEO_SUFFIXES, parse_time
from faceswap_core.pipeline.image import check_threshold
from faceswap_core.vision.selection import SELECTIONS
from faceswap_core.vision.smoothing import SMOOTHING_METHODS
from faceswap_rest.config import IMAGE_FORMATS
from faceswap_rest.errors import UnsupportedMediaTypeError, shorten

_DECODER_ALIASES = {"MPO": "JPEG"}  # a phone's multi-picture JPEG is a JPEG
MAX_FIELD_CHARS = 256
"""Longest text field or query parameter (an option value, a source id, a time)."""
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


def _number(fields: Mapping[str, Any], key: str, kind: type[int] | type[float]) -> Any:
    text = text_field(fields, key)
    if text is None:
        return None
    try:
        value = kind(text)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise ConfigError(f"field {key!r} must be {noun}, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"field {key!r} must be a finite number, got {text!r}")
    return value


def _flag(fields: Mapping[str, Any], key: str) -> bool | None:
    text = text_field(fields, key)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"field {key!r} must be true or false, got {text!r}")


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


def _faces(fields: Mapping[str, Any], has_reference: bool) -> str | None:
    faces = text_field(fields, "faces")
    if faces is not None and faces not in SELECTIONS:
        raise ConfigError(
            f"unknown face selection {faces!r}; choose one of {', '.join(SELECTIONS)}"
        )
    if faces is None and has_reference:
        faces = "reference"
    if faces == "reference" and not has_reference:
        raise ConfigError("faces=reference needs a reference image (the 'reference' file)")
    return faces


@attrs.frozen
class SwapOptions:
    """``POST /v1/swap`` fields, named as ``faceswap swap``'s options."""

    model: str | None = None
    faces: str | None = None
    threshold: float | None = None
    format: str = "png"
    quality: int | None = None
    require_face: bool = False

    FIELDS = ("source", "source_id", "target", "reference", "model", "faces", "threshold",
              "format", "quality", "require_face")  # fmt: skip

    @classmethod
    def parse(cls, fields: Mapping[str, Any], *, has_reference: bool) -> SwapOptions:
        check_fields(fields, cls.FIELDS)
        threshold = _number(fields, "threshold", float)
        check_threshold(threshold)
        fmt = normalize_format(text_field(fields, "format") or "png")
        quality = _number(fields, "quality", int)
        if quality is not None:
            if not 1 <= quality <= 100:
                raise ConfigError(f"field 'quality' must be from 1 to 100, got {quality}")
            if not OUTPUT_FORMATS[fmt].lossy:
                raise ConfigError(
                    f"field 'quality' applies to jpg and webp output; {fmt} is lossless"
                )
        return cls(
            model=text_field(fields, "model"),
            faces=_faces(fields, has_reference),
            threshold=threshold,
            format=fmt,
            quality=quality,
            require_face=bool(_flag(fields, "require_face")),
        )


@attrs.frozen
class VideoOptions:
    """``POST /v1/jobs/video`` fields, named as ``faceswap video``'s options."""

    model: str | None = None
    faces: str | None = None
    threshold: float | None = None
    detect_every: int | None = None
    smooth: str | None = None
    start: float | None = None
    end: float | None = None
    audio: bool = True
    format: str = "mp4"

    FIELDS = ("video", "source", "source_id", "reference", "model", "faces", "threshold",
              "detect_every", "smooth", "start", "end", "audio", "format")  # fmt: skip

    @classmethod
    def parse(cls, fields: Mapping[str, Any], *, has_reference: bool) -> VideoOptions:
        check_fields(fields, cls.FIELDS)
        threshold = _number(fields, "threshold", float)
        check_threshold(threshold)
        detect_every = _number(fields, "detect_every", int)
        if detect_every is not None and not 1 <= detect_every <= 1000:
            raise ConfigError(f"field 'detect_every' must be from 1 to 1000, got {detect_every}")
        smooth = text_field(fields, "smooth")
        if smooth is not None and smooth not in SMOOTHING_METHODS:
            raise ConfigError(
                f"unknown smoothing {smooth!r}; choose one of {', '.join(SMOOTHING_METHODS)}"
            )
        start, end = (text_field(fields, key) for key in ("start", "end"))
        fmt = (text_field(fields, "format") or "mp4").lower().lstrip(".")
        if f".{fmt}" not in VIDEO_SUFFIXES:
            names = ", ".join(suffix.lstrip(".") for suffix in VIDEO_SUFFIXES)
            raise ConfigError(f"unknown video format {fmt!r}; choose one of {names}")
        audio = _flag(fields, "audio")
        return cls(
            model=text_field(fields, "model"),
            faces=_faces(fields, has_reference),
            threshold=threshold,
            detect_every=detect_every,
            smooth=smooth,
            start=None if start is None else parse_time(start),
            end=None if end is None else parse_time(end),
            audio=True if audio is None else audio,
            format=fmt,
        )

    def stream_options(self) -> dict[str, Any]:
        """The ``VideoConfig`` overrides (``detect_every``, ``smooth``) that were given."""
        given = {"detect_every": self.detect_every, "smooth": self.smooth}
        return {key: value for key, value in given.items() if value is not None}


def ensure_image(data: bytes | None, name: str) -> bytes:
    if not data:
        raise InvalidImageError(f"cannot decode {name}: file is empty (0 bytes)")
    return data


__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_FILENAME_CHARS",
    "SwapOptions",
    "VideoOptions",
    "check_fields",
    "check_format",
    "ensure_image",
    "text_field",
]
