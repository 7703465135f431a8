"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every write goes to a temporary file in the destination's own folder (so the
final ``os.replace`` never crosses file systems), is flushed and fsynced, and
only then replaces the destination. If the writer fails, the temporary file is
removed and the old file is left untouched.

``atomic_path`` is for writers that need a file name (``torch.save``,
``cv2.imwrite``, ``onnx.save``): the temporary name keeps the destination's
suffix so format detection by extension still works.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

TEMP_MARKER = ".tmp-"


def temp_path_for(path: str | os.PathLike[str]) -> Path:
    """A fresh hidden sibling of ``path`` that keeps its suffix (``.name.tmp-ab12cd.png``)."""
    target = Path(path)
    return target.with_name(f".{target.name}{TEMP_MARKER}{secrets.token_hex(6)}{target.suffix}")


def is_temp_path(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` looks like a temporary file left by this module."""
    name = Path(path).name
    return name.startswith(".") and TEMP_MARKER in name


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Persist a rename inside ``path``; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(os.fspath(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    if path.is_dir():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def commit(temp: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """fsync a finished temporary file and move it over ``path`` in one step."""
    source, target = Path(temp), Path(path)
    _fsync_file(source)
    if target.exists() and not target.is_dir():
        with contextlib.suppress(OSError):
            shutil.copymode(target, source)
    os.replace(source, target)
    fsync_dir(target.parent)
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, mkdir: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    The writer may create a file or a folder at the yielded path. On any
    exception the temporary path is removed and ``path`` keeps its old content.
    If the writer creates nothing, ``path`` is not touched and
    :class:`FileNotFoundError` is raised.
    """
    target = Path(path)
    if mkdir:
        target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(target)
    try:
        yield temp
        if not temp.exists():
            raise FileNotFoundError(f"the writer created nothing at {temp} for {target}")
        commit(temp, target)
    except BaseException:
        _remove(temp)
        raise


@overload
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["w"] = "w", *, encoding: str = "utf-8"
) -> contextlib.AbstractContextManager[IO[str]]: ...


@overload
def atomic_write(
    path: str | os.PathLike[str], mode: Literal["wb"], *, encoding: str = "utf-8"
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


def atomic_write(
    path: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8"
) -> contextlib.AbstractContextManager[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; replace ``path`` when the block ends."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', got {mode!r}")
    return _atomic_open(Path(path), mode, encoding)


@contextlib.contextmanager
def _atomic_open(target: Path, mode: str, encoding: str) -> Iterator[IO[Any]]:
    with atomic_path(target) as temp:
        # O_EXCL: never follow or reuse an existing name; 0o666 lets the umask decide.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        binary = mode == "wb"
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()  # commit() fsyncs before the rename


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path, "w", encoding=encoding) as handle:
        handle.write(text)
    return Path(path)


def atomic_write_json(
    path: str | os.PathLike[str], data: Any, *, indent: int | None = 2, sort_keys: bool = False
) -> Path:
    """Serialise ``data`` first (so a serialisation error writes nothing), then write atomically."""
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    return atomic_write_text(path, text + "\n")


__all__ = [
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "commit",
    "fsync_dir",
    "is_temp_path",
    "temp_path_for",
]
