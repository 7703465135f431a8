"""Opening video files for reading: the checks every reader runs first, and container facts.

A path is checked as a regular, non-empty file before FFmpeg sees it; a file
FFmpeg cannot open, a still image, or a container without a video stream is an
:class:`~faceswap_core.errors.InvalidVideoError` (exit 3) with the reason. The
probe, the reader, frame sampling, the writer and remuxing share these facts.
"""

from __future__ import annotations

import os
from typing import Any

import av
import av.error

from faceswap_core.errors import InvalidVideoError, VideoTooLargeError
from faceswap_core.io.read import check_regular_file

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
"""File suffixes taken as videos (``faceswap inspect``, output containers)."""

TECHNICAL_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})
"""Container metadata written by the muxer itself, never carried from the input."""
MOV_FORMATS = ("mov", "mp4", "m4a", "3gp", "3g2", "mj2", "ipod", "ismv", "psp")
"""Muxer names of the QuickTime family (metadata tags need ``movflags``)."""
COPY_TYPES = ("audio", "subtitle")
"""Stream kinds carried from the input to the output besides video."""


def _is_image_demuxer(name: str) -> bool:
    return name == "image2" or name.endswith("_pipe")


def _check_file(path: str | os.PathLike[str], label: str) -> None:
    info = check_regular_file(path, label, kind="a video file")
    if info.st_size == 0:
        raise InvalidVideoError(f"cannot decode {label}: file is empty (0 bytes)")


def _looks_like_mp4(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(12)
    return head[4:8] in (b"ftyp", b"mdat", b"moov", b"wide", b"free")


def open_input(path: str | os.PathLike[str], label: str) -> Any:
    """An opened PyAV input container with its first video stream checked."""
    _check_file(path, label)
    try:
        container = av.open(os.fspath(path), metadata_errors="replace")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        if _looks_like_mp4(path):
            raise InvalidVideoError(
                f"cannot decode {label}: the MP4/MOV file is truncated or damaged "
                "(its index cannot be read); re-export or re-download it"
            ) from None
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidVideoError(
            f"cannot decode {label}: not a video FFmpeg can read ({reason})"
        ) from None
    format_name = container.format.name
    if _is_image_demuxer(format_name):
        container.close()
        raise InvalidVideoError(
            f"cannot decode {label}: it is a still image, not a video; use `faceswap swap`"
        )
    if not container.streams.video:
        kinds: list[str] = sorted({str(stream.type) for stream in container.streams}) or ["no"]
        container.close()
        raise InvalidVideoError(
            f"cannot decode {label}: it has no video stream ({', '.join(kinds)} streams only)"
        )
    return container


def check_pixels(label: str, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise VideoTooLargeError(
            f"cannot decode {label}: frames of {width}x{height} are over the limit of "
            f"{max_pixels} pixels (max_pixels); raise limits.max_pixels to allow them"
        )


__all__ = [
    "COPY_TYPES",
    "MOV_FORMATS",
    "TECHNICAL_TAGS",
    "VIDEO_SUFFIXES",
    "check_pixels",
    "open_input",
]
