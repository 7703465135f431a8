"""Reading untrusted inputs: regular files only, within a byte limit, with one-line errors.

Every input is named in messages by its role and origin (``target 'frame.jpg'``,
``source (1234 bytes)``) so a user running a batch knows which file failed.
"""

from __future__ import annotations

import os
import stat
from typing import Any

import attrs
import numpy as np
from PIL import Image as PILImage

from faceswap_core.errors import FaceswapError, ImageTooLargeError, InputError, InvalidImageError

Source = Any
"""A path (``str`` / ``os.PathLike``), ``bytes``-like, a :class:`FileBytes`, a PIL image,
or a numpy array."""


@attrs.frozen(repr=False)
class FileBytes:
    """A file read in one process and used in another (a cluster worker), named by its path.

    A runner that ships inputs to workers reads each file where it lives with
    :func:`read_file_bytes`; the worker decodes it as if it had opened the path
    itself: messages name ``target '/data/x.jpg'``, and a file that could not
    be read fails there with the very error a local run raises at that point.

    :ivar path: the file's path on the machine that read it.
    :ivar data: its bytes, or ``None`` when reading failed.
    :ivar error: why reading failed (raised where the bytes are first needed).
    """

    path: str
    data: bytes | None = None
    error: FaceswapError | None = None

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        size = "unread" if self.data is None else f"{len(self.data)} bytes"
        return f"FileBytes({self.path!r}, {size})"

    def read(self) -> bytes:
        """The bytes, or the reading error raised now."""
        if self.data is None:
            raise self.error or InputError(f"cannot read {self.path!r}: it was never read")
        return self.data


def read_file_bytes(
    path: str | os.PathLike[str],
    name: str | None,
    max_bytes: int,
    *,
    kind: str = "an image file",
) -> FileBytes:
    """Read a file for another process: its bytes, or the error a local read would raise."""
    label = input_label(path, name)
    try:
        return FileBytes(os.fspath(path), read_file(path, label, max_bytes, kind=kind))
    except (InputError, InvalidImageError) as exc:
        return FileBytes(os.fspath(path), None, exc)


def input_label(source: Source, name: str | None) -> str:
    """How messages name the input: ``target 'frame.jpg'`` or ``source (1234 bytes)``."""
    word = name or "image"
    if isinstance(source, FileBytes):
        return f"{word} {source.path!r}"
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


def _read_at_most(handle: Any, count: int) -> bytes:
    """Up to ``count`` bytes, in pieces: a huge limit (a video's) allocates nothing up front."""
    chunks: list[bytes] = []
    while count > 0:
        chunk = handle.read(min(count, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_file(
    path: str | os.PathLike[str], label: str, max_bytes: int, *, kind: str = "an image file"
) -> bytes:
    """The file's bytes, after checking it is a regular file within ``max_bytes``."""
    info = check_regular_file(path, label, kind=kind)
    if info.st_size > max_bytes:
        raise _too_big(label, info.st_size, max_bytes)
    try:
        with open(path, "rb") as handle:
            data = _read_at_most(handle, max_bytes + 1)
    except PermissionError:
        raise InputError(f"cannot read {label}: permission denied; check its permissions") from None
    except OSError as exc:
        raise InputError(f"cannot read {label}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # it grew between stat and read
        raise _too_big(label, len(data), max_bytes)
    return data


def read_input(source: Source, label: str, max_bytes: int) -> bytes:
    if isinstance(source, FileBytes):
        data = source.read()
        if len(data) > max_bytes:
            raise _too_big(label, len(data), max_bytes)
    elif isinstance(source, str | os.PathLike):
        data = read_file(source, label, max_bytes)
    else:
        count = source.nbytes if isinstance(source, memoryview) else len(source)
        if count > max_bytes:
            raise _too_big(label, count, max_bytes)
        data = bytes(source)
    if not data:
        raise InvalidImageError(f"cannot decode {label}: file is empty (0 bytes)")
    return data


__all__ = [
    "FileBytes",
    "Source",
    "check_regular_file",
    "input_label",
    "read_file",
    "read_file_bytes",
    "read_input",
    "size_text",
]
