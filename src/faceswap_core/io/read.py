"""Reading untrusted inputs: regular files only, within a byte limit, with one-line errors.

Every input is named in messages by its role and origin (``target 'frame.jpg'``,
``source (1234 bytes)``) so a user running a batch knows which file failed.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import numpy as np
from PIL import Image as PILImage

from faceswap_core.errors import ImageTooLargeError, InputError, InvalidImageError

Source = Any
"""A path (``str`` / ``os.PathLike``), ``bytes``-like, a PIL image, or a numpy array."""


def input_label(source: Source, name: str | None) -> str:
    """How messages name the input: ``target 'frame.jpg'`` or ``source (1234 bytes)``."""
    word = name or "image"
    if isinstance(source, str | os.PathLike):
        return f"{word} {os.fspath(source)!r}"
    if isinstance(source, bytes | bytearray):
        return f"{word} ({len(source)} bytes)"
    if isinstance(source, memoryview):
        return f"{word} ({source.nbytes} bytes)"
    if isinstance(source, np.ndarray):
        return f"{word} array"
    if isinstance(source, PILImage.Image):
        return f"{word} (PIL {source.mode} image)"
    return word


def size_text(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    if count >= 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count} bytes"


def _too_big(label: str, count: int, max_bytes: int) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"cannot decode {label}: {size_text(count)} is over the limit of "
        f"{size_text(max_bytes)} (max_bytes); use a smaller file or raise limits.max_bytes"
    )


def check_regular_file(
    path: str | os.PathLike[str], label: str, *, kind: str = "an image file"
) -> os.stat_result:
    """``stat`` of an input that must be a readable regular file, or a one-line :class:`InputError`.

    :param kind: what the user should pass instead (``an image file``, ``a video file``).
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"cannot read {label}: no such file; check the path") from None
    except PermissionError:
        raise InputError(f"cannot read {label}: permission denied; check its permissions") from None
    except OSError as exc:
        raise InputError(f"cannot read {label}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"cannot read {label}: it is a folder; pass {kind}")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"cannot read {label}: not a regular file; pass {kind}")
    return info


def read_file(path: str | os.PathLike[str], label: str, max_bytes: int) -> bytes:
    """The file's bytes, after checking it is a regular file within ``max_bytes``."""
    info = check_regular_file(path, label)
    if info.st_size > max_bytes:
        raise _too_big(label, info.st_size, max_bytes)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError:
        raise InputError(f"cannot read {label}: permission denied; check its permissions") from None
    except OSError as exc:
        raise InputError(f"cannot read {label}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # it grew between stat and read
        raise _too_big(label, len(data), max_bytes)
    return data


def read_input(source: Source, label: str, max_bytes: int) -> bytes:
    if isinstance(source, str | os.PathLike):
        data = read_file(source, label, max_bytes)
    else:
        count = source.nbytes if isinstance(source, memoryview) else len(source)
        if count > max_bytes:
            raise _too_big(label, count, max_bytes)
        data = bytes(source)
    if not data:
        raise InvalidImageError(f"cannot decode {label}: file is empty (0 bytes)")
    return data


__all__ = ["Source", "check_regular_file", "input_label", "read_file", "read_input", "size_text"]
