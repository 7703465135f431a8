"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every write goes to a temporary file in the destination's own folder (so the
final rename never crosses file systems), is flushed and fsynced, and only
then takes the destination's name. If the writer fails, the temporary file is
removed and the old file is left untouched.

Outputs are only ever regular files (or, for writers that make one, a folder
over a folder). A destination that is a device, FIFO, socket or symbolic link
(a dangling one too) is refused with :class:`OutputPathError` whatever the
caller asked: renaming over it would replace the node itself. With
``replace=False`` the final step cannot replace anything: it is a no-replace
rename (``renameat2(RENAME_NOREPLACE)``, else a hard link then unlink), so a
file that appeared at the destination after the caller checked it is kept and
the write fails instead. Of N processes writing one path without
``--overwrite``, exactly one succeeds.

``atomic_path`` is for writers that need a file name (``torch.save``,
``cv2.imwrite``, ``onnx.save``): the temporary name keeps the destination's
suffix so format detection by extension still works.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

from faceswap_core.errors import DiskFullError, OutputPathError

TEMP_MARKER = ".tmp-"
NAME_MAX = 255
"""Longest file name in bytes on the file systems faceswap writes to (ext4, XFS, APFS, tmpfs)."""
_TOKEN_HEX = 12

DISK_FULL_ERRNOS: frozenset[int] = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG) if code is not None
)
"""``errno`` values that mean "this write does not fit": no space, quota, file-size limit."""

_KINDS: tuple[tuple[Any, str], ...] = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _fit_name(name: str, limit: int = NAME_MAX) -> str:
    """``name`` cut (on a character boundary) to at most ``limit`` UTF-8 bytes."""
    data = name.encode("utf-8", "surrogateescape")
    if len(data) <= limit:
        return name
    return data[:limit].decode("utf-8", "ignore")


def temp_path_for(path: str | os.PathLike[str]) -> Path:
    """A fresh hidden sibling of ``path`` that keeps its suffix (``.name.tmp-ab12cd.png``).

    When that would be longer than 255 bytes the name is cut (``.nam~.tmp-ab12cd.png``),
    so every name the file system accepts as an output also has a temporary name.
    """
    target = Path(path)
    token = f"{TEMP_MARKER}{secrets.token_hex(_TOKEN_HEX // 2)}"
    suffix = _fit_name(target.suffix, 32)
    name = f".{target.name}{token}{suffix}"
    if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        room = NAME_MAX - len(f".~{token}{suffix}".encode("utf-8", "surrogateescape"))
        name = f".{_fit_name(target.name, room)}~{token}{suffix}"
    return target.with_name(name)


def is_temp_path(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` looks like a temporary file left by this module."""
    name = Path(path).name
    return name.startswith(".") and TEMP_MARKER in name


def remove_stale_temps(folder: str | os.PathLike[str], pattern: str = ".*") -> list[Path]:
    """Remove temporary files and folders this module left in ``folder`` (after a SIGKILL).

    Only names matching ``pattern`` that :func:`is_temp_path` recognises are
    touched; returns what was removed. Call it only where no other process
    writes at the same time (a run folder this process owns).
    """
    base = Path(folder)
    if not base.is_dir():
        return []
    removed = []
    for path in sorted(base.glob(pattern)):
        if is_temp_path(path):
            _remove(path)
            removed.append(path)
    return removed


def disk_full_error(exc: BaseException, label: str) -> DiskFullError | None:
    """A :class:`DiskFullError` naming ``label`` when ``exc`` is a full disk, quota or size limit.

    Looks through ``__cause__`` / ``__context__`` too (libraries wrap the OS error).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        code = getattr(current, "errno", None)
        if isinstance(current, OSError) and code in DISK_FULL_ERRNOS:
            hint = (
                "the file system or a file-size limit refuses a file this large"
                if code == errno.EFBIG
                else "free some space or choose another place"
            )
            return DiskFullError(f"cannot write {label}: {os.strerror(code)}; {hint}")
        current = current.__cause__ or current.__context__
    return None


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is when it is neither a regular file, a folder nor missing (else ``None``).

    Symbolic links are never followed: a link (even a dangling one) is
    ``"a symbolic link"``.
    """
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def check_output_path(
    path: str | os.PathLike[str],
    *,
    overwrite: bool,
    flag: str = "--overwrite",
    what: str = "output",
) -> Path:
    """Refuse an output path now, before any work: special files always, folders, and
    (without ``overwrite``) an existing file. Returns the path.

    :raises OutputPathError: with the reason and what to do (exit code 2).
    """
    target = Path(path)
    refuse_special(target, what=what)
    if target.is_dir():
        raise OutputPathError(f"{what} {os.fspath(target)!r} is a folder; pass a file name")
    if not overwrite and os.path.lexists(target):
        raise OutputPathError(f"{what} {os.fspath(target)!r} exists; pass {flag} to replace it")
    return target


def refuse_special(path: str | os.PathLike[str], *, what: str = "output") -> None:
    """Raise :class:`OutputPathError` when ``path`` is a device, FIFO, socket or symbolic link."""
    kind = special_kind(path)
    if kind is not None:
        raise OutputPathError(
            f"{what} {os.fspath(path)!r} is {kind}; faceswap only writes regular files and never "
            "replaces anything else (with or without --overwrite): choose another name"
        )


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


RENAME_NOREPLACE = 1
_AT_FDCWD = -100


class _NoReplaceUnsupportedError(Exception):
    """This system or file system has no ``renameat2(RENAME_NOREPLACE)``."""


_LIBC: list[Any] = []


def _renameat2() -> Any:
    """glibc's ``renameat2`` (2.28+), or ``None`` elsewhere."""
    if not _LIBC:
        function = None
        if sys.platform.startswith("linux"):
            try:
                function = ctypes.CDLL(None, use_errno=True).renameat2
            except (OSError, AttributeError):
                function = None
        if function is not None:
            function.argtypes = [
                ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint
            ]  # fmt: skip
            function.restype = ctypes.c_int
        _LIBC.append(function)
    return _LIBC[0]


def _renameat2_noreplace(source: Path, target: Path) -> None:
    function = _renameat2()
    if function is None:
        raise _NoReplaceUnsupportedError
    result = function(
        _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), RENAME_NOREPLACE
    )
    if result == 0:
        return
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        raise _NoReplaceUnsupportedError  # an old kernel or a file system without the flag
    raise OSError(code, os.strerror(code), os.fspath(target))


def rename_noreplace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Move ``source`` to ``target`` only if nothing is there; :class:`FileExistsError` otherwise.

    ``renameat2(RENAME_NOREPLACE)`` where the kernel and file system have it;
    else, for a file, a hard link then unlink (``link`` never replaces); a
    folder on such a system falls back to a check then a rename.
    """
    src, dst = Path(source), Path(target)
    try:
        _renameat2_noreplace(src, dst)
        return
    except _NoReplaceUnsupportedError:
        pass
    if not src.is_dir():
        try:
            os.link(src, dst, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system (FAT, some network shares)
            pass
        else:
            os.unlink(src)
            return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(dst))
    os.rename(src, dst)


def _copy_permissions(target: Path, source: Path) -> None:
    """Give the new file the old regular file's permission bits (never setuid/setgid/sticky)."""
    try:
        mode = os.lstat(target).st_mode
    except OSError:
        return
    if stat.S_ISREG(mode):
        with contextlib.suppress(OSError):
            os.chmod(source, stat.S_IMODE(mode) & 0o777)


def commit(
    temp: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    replace: bool = True,
    flag: str = "--overwrite",
) -> Path:
    """fsync a finished temporary file and give it ``path``'s name in one step.

    :param replace: replace a file already at ``path``; with ``False`` the
        rename cannot replace anything, and a file there (even one that
        appeared a moment ago) raises :class:`OutputPathError`.
    :param flag: the option that would allow replacing, for the message.
    :raises OutputPathError: ``path`` is a device, FIFO, socket or symbolic
        link, a folder where a file is written, or exists without ``replace``.
    """
    source, target = Path(temp), Path(path)
    _fsync_file(source)
    refuse_special(target)
    if target.is_dir() and not source.is_dir():
        raise OutputPathError(f"output {os.fspath(target)!r} is a folder; pass a file name")
    if replace:
        _copy_permissions(target, source)
        os.replace(source, target)
    else:
        try:
            rename_noreplace(source, target)
        except FileExistsError:
            raise OutputPathError(
                f"output {os.fspath(target)!r} exists (it appeared while this one was being "
                f"made); it was kept: pass {flag} to replace it"
            ) from None
    fsync_dir(target.parent)
    return target


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, mkdir: bool = True, replace: bool = True
) -> Iterator[Path]:
    """Yield a temporary path to write; on success it takes ``path``'s name atomically.

    The writer may create a file or a folder at the yielded path. On any
    exception (Ctrl-C and termination signals too) the temporary path is
    removed and ``path`` keeps its old content; a full disk (or quota, or
    file-size limit) becomes :class:`DiskFullError` (exit code 3). If the writer creates
    nothing, ``path`` is not touched and :class:`FileNotFoundError` is raised.
    ``replace=False``: see :func:`commit`.
    """
    target = Path(path)
    if mkdir:
        target.parent.mkdir(parents=True, exist_ok=True)
    refuse_special(target)
    temp = temp_path_for(target)
    try:
        yield temp
        if not temp.exists():
            raise FileNotFoundError(f"the writer created nothing at {temp} for {target}")
        commit(temp, target, replace=replace)
    except BaseException as exc:
        _remove(temp)
        full = disk_full_error(exc, repr(os.fspath(target))) if isinstance(exc, OSError) else None
        if full is not None and not isinstance(exc, DiskFullError):
            raise full from exc
        raise


@overload
def atomic_write(
    path: str | os.PathLike[str],
    mode: Literal["w"] = "w",
    *,
    encoding: str = "utf-8",
    replace: bool = True,
) -> contextlib.AbstractContextManager[IO[str]]: ...


@overload
def atomic_write(
    path: str | os.PathLike[str],
    mode: Literal["wb"],
    *,
    encoding: str = "utf-8",
    replace: bool = True,
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


def atomic_write(
    path: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8", replace: bool = True
) -> contextlib.AbstractContextManager[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; it becomes ``path`` when the block ends."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', got {mode!r}")
    return _atomic_open(Path(path), mode, encoding, replace)


@contextlib.contextmanager
def _atomic_open(target: Path, mode: str, encoding: str, replace: bool) -> Iterator[IO[Any]]:
    with atomic_path(target, replace=replace) as temp:
        # O_EXCL: never follow or reuse an existing name; 0o666 lets the umask decide.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        binary = mode == "wb"
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()  # commit() fsyncs before the rename


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, replace: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb", replace=replace) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", replace: bool = True
) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path, "w", encoding=encoding, replace=replace) as handle:
        handle.write(text)
    return Path(path)


def atomic_write_json(
    path: str | os.PathLike[str],
    data: Any,
    *,
    indent: int | None = 2,
    sort_keys: bool = False,
    replace: bool = True,
) -> Path:
    """Serialise ``data`` first (so a serialisation error writes nothing), then write atomically."""
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    return atomic_write_text(path, text + "\n", replace=replace)


__all__ = [
    "DISK_FULL_ERRNOS",
    "NAME_MAX",
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_output_path",
    "commit",
    "disk_full_error",
    "fsync_dir",
    "is_temp_path",
    "refuse_special",
    "remove_stale_temps",
    "rename_noreplace",
    "special_kind",
    "temp_path_for",
]
