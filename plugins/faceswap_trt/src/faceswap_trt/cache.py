"""The engine cache: one serialized engine per (model, TensorRT, GPU, precision, shapes).

A TensorRT engine is only valid for the TensorRT version and the GPU it was
built on, and it bakes in the precision and the optimisation profile. So
the cache key is the SHA-256 of exactly those facts: the ONNX file's
SHA-256, ``tensorrt.__version__``, the GPU's name, the precision and the
profile shapes. Change any one and the key changes; the same facts always
give the same key (tests check both with hypothesis).

Files live in ``<model store>/engines/``: ``<key>.engine`` and ``<key>.json``
(the key's facts plus the ONNX graph's metadata, which engines do not keep
and the ``onnx`` swapper needs). Both are written atomically, the engine
first, so a reader that finds the JSON finds a complete engine.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.export.shapes import Shape
from faceswap_core.io.atomic import atomic_write_bytes, atomic_write_json

KEY_VERSION = 1
"""Bumped when the key's recipe changes, so old entries are never mistaken for new ones."""

ProfileKey = tuple[tuple[str, Shape, Shape, Shape], ...]


@attrs.frozen
class EngineKey:
    """Everything an engine depends on.

    :ivar onnx_sha256: SHA-256 of the ONNX file the engine was built from.
    :ivar trt_version: ``tensorrt.__version__`` of the builder.
    :ivar gpu: the GPU's name (``NVIDIA Orin``, ``NVIDIA H100 80GB HBM3``).
    :ivar precision: ``fp16`` or ``fp32`` (what was actually built).
    :ivar profile: ``(name, min, opt, max)`` per input, sorted by name.
    """

    onnx_sha256: str
    trt_version: str
    gpu: str
    precision: str
    profile: ProfileKey = ()

    def facts(self) -> dict[str, Any]:
        """The key's parts as JSON data (stored beside the engine)."""
        return {
            "key_version": KEY_VERSION,
            "onnx_sha256": self.onnx_sha256,
            "trt_version": self.trt_version,
            "gpu": self.gpu,
            "precision": self.precision,
            "profile": [
                {"name": n, "min": list(a), "opt": list(b), "max": list(c)}
                for n, a, b, c in sorted(self.profile)
            ],
        }

    def digest(self) -> str:
        """SHA-256 hex of the canonical JSON of :meth:`facts`."""
        text = json.dumps(self.facts(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class CachedEngine:
    """An engine found in (or just put into) the cache."""

    path: Path
    key: str
    metadata: dict[str, str]
    facts: dict[str, Any]


class EngineCache:
    """Serialized engines in one folder, keyed by :meth:`EngineKey.digest`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def paths(self, key: EngineKey) -> tuple[Path, Path]:
        """The engine file and its JSON sidecar for ``key``."""
        digest = key.digest()
        return self.root / f"{digest}.engine", self.root / f"{digest}.json"

    def get(self, key: EngineKey) -> CachedEngine | None:
        """The cached engine of ``key``, or ``None`` (also when its sidecar is unreadable)."""
        engine, sidecar = self.paths(key)
        if not (engine.is_file() and sidecar.is_file()):
            return None
        try:
            record = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("key") != key.facts():
            return None  # a digest collision or a hand-edited file: never trust it
        metadata = record.get("metadata") or {}
        return CachedEngine(engine, key.digest(), dict(metadata), key.facts())

    def put(self, key: EngineKey, engine: bytes, metadata: dict[str, str]) -> CachedEngine:
        """Store ``engine`` for ``key`` atomically (engine first, then the sidecar)."""
        path, sidecar = self.paths(key)
        atomic_write_bytes(path, engine)
        atomic_write_json(sidecar, {"key": key.facts(), "metadata": metadata}, sort_keys=True)
        return CachedEngine(path, key.digest(), dict(metadata), key.facts())

    def timing_cache(self, trt_version: str, gpu: str) -> Path:
        """One builder timing cache per TensorRT version and GPU (reused across models)."""
        slug = hashlib.sha256(f"{trt_version}|{gpu}".encode()).hexdigest()[:16]
        return self.root / f"timing-{slug}.cache"


def sidecar_path(engine: Path) -> Path:
    """Where an exported engine's metadata lives: ``model.engine`` -> ``model.engine.json``."""
    return engine.with_name(engine.name + ".json")


__all__ = ["KEY_VERSION", "CachedEngine", "EngineCache", "EngineKey", "sidecar_path"]
