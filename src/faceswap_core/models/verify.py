"""Checksums of model files: where the expected SHA-256 comes from, and a cache of results.

Three sources, in order of trust: the catalog pins a hash; an embedded model's
wheel ``RECORD`` lists one; otherwise the hash seen the first time the file
was used is recorded ("unverified": later changes are caught, the first copy
is trusted). ``registry.json`` in the store caches results keyed by (path,
size, mtime) so a swap does not re-hash a 500 MB model each time.
"""

from __future__ import annotations

import base64
import contextlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from faceswap_core.errors import ModelFileError
from faceswap_core.io.atomic import atomic_write_json
from faceswap_core.io.hashing import sha256_file
from faceswap_core.models.catalog import ModelSpec

REGISTRY_FILE = "registry.json"
REGISTRY_VERSION = 1


def embedded_record(spec: ModelSpec) -> tuple[Path | None, str | None, str]:
    """(file, hex sha256 from the wheel RECORD, reason when absent) of an embedded model."""
    assert spec.embedded is not None
    source = spec.embedded
    try:
        dist = metadata.distribution(source.distribution)
    except metadata.PackageNotFoundError:
        return None, None, f"package {source.pip_name!r} is not installed"
    for entry in dist.files or ():
        if entry.as_posix() != source.member:
            continue
        path = Path(str(dist.locate_file(entry)))
        digest: str | None = None
        if entry.hash is not None and entry.hash.mode == "sha256":
            raw = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            digest = raw.hex()
        return path, digest, ""
    return None, None, f"package {source.pip_name!r} does not list {source.member}"


class ChecksumRegistry:
    """``registry.json``: hashes observed for unpinned models, and verified-file results.

    Writes are atomic; a read-only store only loses the cache, never a file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._data: dict[str, Any] | None = None

    @property
    def path(self) -> Path:
        return self.root / REGISTRY_FILE

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            data: Any = {}
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != REGISTRY_VERSION:
                data = {}
            data.setdefault("version", REGISTRY_VERSION)
            data.setdefault("observed", {})
            data.setdefault("verified", {})
            self._data = data
        return self._data

    def save(self) -> None:
        """Write the registry atomically; on a read-only store the cache is simply lost."""
        data = self._load()
        with contextlib.suppress(OSError):
            atomic_write_json(self.path, data, sort_keys=True)

    def observed(self, name: str) -> str | None:
        """The hash recorded on first sight of a model the catalog does not pin."""
        entry = self._load()["observed"].get(name)
        return entry.get("sha256") if isinstance(entry, dict) else None

    def record_observed(self, name: str, digest: str, size: int, origin: str) -> None:
        self._load()["observed"][name] = {"sha256": digest, "size": size, "origin": origin}

    def digest(self, path: Path, *, recompute: bool) -> str:
        """SHA-256 of ``path``, from the cache when (size, mtime) still match."""
        stat = path.stat()
        entry = self._load()["verified"].get(str(path.resolve()))
        if (
            not recompute
            and isinstance(entry, dict)
            and entry.get("size") == stat.st_size
            and entry.get("mtime_ns") == stat.st_mtime_ns
        ):
            return str(entry["sha256"])
        digest = sha256_file(path)
        self.remember(path, digest)
        self.save()
        return digest

    def remember(self, path: Path, digest: str) -> None:
        """Cache ``digest`` as the hash of ``path`` at its current size and mtime."""
        stat = path.stat()
        self._load()["verified"][str(path.resolve())] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": digest,
        }


def check_acceptable(
    spec: ModelSpec,
    digest: str,
    size: int,
    origin: str,
    *,
    observed: str | None,
    force: bool,
) -> None:
    """Raise :class:`ModelFileError` unless a file with ``digest``/``size`` may become ``spec``'s.

    :param observed: the hash recorded earlier for an unpinned model, if any.
    :param force: accept a new hash for an unpinned model.
    """
    if spec.size is not None and size != spec.size:
        raise ModelFileError(
            f"cannot use {origin} as {spec.name}: it has {size} bytes, expected {spec.size};"
            " nothing was changed in the store"
        )
    if spec.sha256 is not None:
        if digest != spec.sha256:
            raise ModelFileError(
                f"cannot use {origin} as {spec.name}: sha256 {digest[:16]}… does not match"
                f" the catalog's {spec.sha256[:16]}…; nothing was changed in the store"
            )
        return
    if observed is not None and observed != digest and not force:
        raise ModelFileError(
            f"cannot use {origin} as {spec.name}: sha256 {digest[:16]}… differs from the"
            f" {observed[:16]}… recorded earlier; pass --overwrite to accept the new file"
        )


__all__ = [
    "REGISTRY_FILE",
    "REGISTRY_VERSION",
    "ChecksumRegistry",
    "check_acceptable",
    "embedded_record",
]
