"""SHA-256 of files and bytes: the one helper every checksum in faceswap goes through.

Downloads, the model store, dataset manifests, env capture and plugins'
model checks all hash with :func:`sha256_file`, reading in 1 MiB chunks so a
500 MB model never sits in memory. :func:`cached_sha256_file` remembers the
digest per (path, size, mtime) for files checked on every run.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

CHUNK_SIZE = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = CHUNK_SIZE) -> str:
    """Hex SHA-256 of a file's contents, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def cached_sha256_file(path: str | os.PathLike[str]) -> str:
    """:func:`sha256_file`, computed once per (path, size, mtime) in this process."""
    resolved = Path(path).resolve()
    info = resolved.stat()
    return _cached(str(resolved), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _cached(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


__all__ = ["CHUNK_SIZE", "cached_sha256_file", "sha256_bytes", "sha256_file"]
