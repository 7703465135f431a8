"""Resumable HTTP download of one file, verified by SHA-256 before it is kept.

Bytes go to ``<dest>.part`` (resumed with an HTTP ``Range`` request after a
dropped connection or an interrupted run), are hashed while they stream, and
only a complete file whose checksum matches replaces ``dest`` (fsynced, then
renamed by :func:`faceswap_core.io.atomic.commit`): a failed or tampered
download never touches a good file the user already had. Only the standard
library is used (``urllib``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.errors import ModelFileError
from faceswap_core.io.atomic import atomic_write_json, commit
from faceswap_core.io.hashing import CHUNK_SIZE, sha256_file

DEFAULT_TIMEOUT_S = 30.0
"""Socket timeout of every connect and read, in seconds."""

DEFAULT_RETRIES = 4
"""Further attempts after the first one fails with a transient error."""

DEFAULT_BACKOFF_S = 0.5
"""First wait between attempts; doubles each time, capped by :data:`MAX_BACKOFF_S`."""

MAX_BACKOFF_S = 8.0

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_CONTENT_RANGE_UNSATISFIED = re.compile(r"bytes \*/(\d+)")

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes on disk so far, total bytes or None when unknown)."""


class DownloadError(ModelFileError):
    """A download failed for good: HTTP error, too many retries, or a short file (exit code 5)."""


class ChecksumMismatchError(ModelFileError):
    """Downloaded bytes do not match the expected SHA-256 (exit code 5)."""


@attrs.frozen
class DownloadResult:
    """What a finished download produced.

    :ivar resumed_from: bytes already in ``.part`` that the last attempt kept.
    :ivar attempts: HTTP requests made, retries included.
    """

    path: Path
    sha256: str
    size: int
    resumed_from: int
    attempts: int


class _TransientError(Exception):
    """An attempt failed in a way another attempt may fix."""


def part_path(dest: Path) -> Path:
    """Where the bytes of an unfinished download of ``dest`` live."""
    return dest.with_name(dest.name + ".part")


def _meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


def _load_meta(dest: Path) -> dict[str, Any]:
    try:
        data = json.loads(_meta_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_meta(dest: Path, meta: dict[str, Any]) -> None:
    atomic_write_json(_meta_path(dest), meta, indent=None)


def _discard_partial(dest: Path) -> None:
    for path in (part_path(dest), _meta_path(dest)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _existing_part(dest: Path, url: str) -> int:
    """Bytes of a previous attempt at the same URL worth resuming (0 drops a stale part)."""
    part = part_path(dest)
    if not part.exists():
        return 0
    if _load_meta(dest).get("url") != url:
        _discard_partial(dest)
        return 0
    return part.stat().st_size


def _attempt(
    url: str,
    dest: Path,
    *,
    timeout: float,
    progress: ProgressCallback | None,
) -> tuple[int, int]:
    """One request: append to (or restart) ``.part``; returns (resumed_from, final size)."""
    part = part_path(dest)
    offset = _existing_part(dest, url)
    meta: dict[str, Any] = _load_meta(dest) if offset else {"url": url}
    request = urllib.request.Request(url, headers={"User-Agent": "faceswap-models"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:
            request.add_header("If-Range", str(validator))
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            match = _CONTENT_RANGE_UNSATISFIED.fullmatch(
                exc.headers.get("Content-Range", "").strip()
            )
            exc.close()
            if match is None or int(match.group(1)) == offset:
                # The part already holds every byte; the checksum decides.
                return offset, offset
            _discard_partial(dest)
            raise _TransientError(
                "the file on the server changed since the partial download"
            ) from None
        exc.close()
        if exc.code in _RETRY_STATUS:
            raise _TransientError(f"HTTP {exc.code}") from exc
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise _TransientError(str(getattr(exc, "reason", exc))) from exc

    with response:
        status = response.status
        total: int | None = None
        if status == 206 and offset:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if match is None or int(match.group(1)) != offset:
                _discard_partial(dest)
                raise _TransientError("server answered the resume with a different byte range")
            if match.group(3) != "*":
                total = int(match.group(3))
            mode = "ab"
        else:
            offset = 0  # the server ignored Range (or there was none): start over
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            mode = "wb"
            meta = {"url": url}
        meta["etag"] = response.headers.get("ETag")
        meta["last_modified"] = response.headers.get("Last-Modified")
        meta["total"] = total
        _save_meta(dest, meta)
        written = offset
        with part.open(mode) as handle:
            try:
                while chunk := response.read(CHUNK_SIZE):
                    handle.write(chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(written, total)
            except (http.client.HTTPException, OSError) as exc:
                handle.flush()
                raise _TransientError(f"connection lost after {written} bytes: {exc}") from exc
            handle.flush()
            os.fsync(handle.fileno())
    if total is not None and written < total:
        raise _TransientError(f"connection closed after {written} of {total} bytes")
    return offset, written


def download(
    url: str,
    dest: Path,
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF_S,
    progress: ProgressCallback | None = None,
) -> DownloadResult:
    """Download ``url`` to ``dest``, resuming ``dest.part``, and keep it only if it verifies.

    Transient failures (connection errors, timeouts, HTTP 5xx/429, a short
    body) are retried up to ``retries`` more times with exponential backoff;
    each retry resumes from the bytes already on disk. A checksum or size
    mismatch removes the partial file and raises :class:`ChecksumMismatchError`;
    ``dest`` itself is only ever replaced by a verified file.
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    attempts = 0
    last_error = ""
    resumed_from = 0
    size = 0
    while True:
        attempts += 1
        try:
            resumed_from, size = _attempt(url, dest, timeout=timeout, progress=progress)
            break
        except _TransientError as exc:
            last_error = str(exc)
            if attempts > retries:
                raise DownloadError(
                    f"cannot download {url}: {last_error} (gave up after {attempts} attempts);"
                    f" run the same command again to resume from {part_path(dest).name}"
                ) from None
            time.sleep(min(backoff * (2 ** (attempts - 1)), MAX_BACKOFF_S))

    part = part_path(dest)
    if expected_size is not None and size != expected_size:
        _discard_partial(dest)
        raise ChecksumMismatchError(
            f"download of {url} has {size} bytes, expected {expected_size}; nothing was kept,"
            " check the URL"
        )
    digest = sha256_file(part)
    if expected_sha256 is not None and digest != expected_sha256.lower():
        _discard_partial(dest)
        raise ChecksumMismatchError(
            f"download of {url} failed its checksum: sha256 {digest[:16]}… is not the expected"
            f" {expected_sha256[:16]}…; the bad download was deleted, check the URL"
        )
    commit(part, dest)
    with contextlib.suppress(FileNotFoundError):
        _meta_path(dest).unlink()
    return DownloadResult(dest, digest, size, resumed_from, attempts)
