"""The ``tensorrt`` runtime: ONNX models become cached TensorRT engines, with a fallback.

``load(model.onnx)`` resolves the optimisation profile, finds or builds the
engine in the cache and returns a :class:`TensorRTSession`; ``load(x.engine)``
deserializes a prebuilt engine (its metadata from ``x.engine.json``). Where
TensorRT, the CUDA bindings or a GPU are missing, or one model cannot be
built, the model runs on the fallback runtime (ONNX Runtime) with a
:class:`RuntimeFallbackWarning`, or :class:`RuntimeUnavailableError` is
raised with ``strict: true``.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceswap_core import InferenceSession, Runtime
from faceswap_core.errors import (
    ConfigError,
    ModelFileError,
    RuntimeFallbackWarning,
    RuntimeUnavailableError,
)
from faceswap_core.export.shapes import graph_inputs
from faceswap_core.io.atomic import atomic_write_bytes
from faceswap_trt.builder import EngineBuildError, engine_for
from faceswap_trt.cache import EngineCache, sidecar_path
from faceswap_trt.config import TensorRTConfig
from faceswap_trt.device import Availability, probe
from faceswap_trt.profile import resolve_profile

ENGINE_SUFFIXES = (".engine", ".plan", ".trt")


class TensorRTRuntime:
    """Runs models as TensorRT engines; see the module docstring for the fallback rules.

    :param fallback: builds the fallback runtime on first need (from ``config.fallback``).
    :param device: what :func:`probe` found (tests pass their own).
    """

    name = "tensorrt"

    def __init__(
        self,
        config: TensorRTConfig,
        cache_root: Path,
        fallback: Callable[[], Runtime],
        device: Availability | None = None,
    ) -> None:
        self.config = config
        self.cache = EngineCache(
            Path(config.cache_dir).expanduser() if config.cache_dir else cache_root
        )
        self.device = device if device is not None else probe()
        self._fallback_factory = fallback
        self._fallback: Runtime | None = None
        self.fallen_back: dict[str, str] = {}  # model -> why it runs on the fallback
        self.engines: dict[str, dict[str, Any]] = {}  # model -> engine facts

    # -- fallback ---------------------------------------------------------------------

    def _fall_back(self, model: Path | bytes, origin: str, reason: str) -> InferenceSession:
        if self.config.strict:
            raise RuntimeUnavailableError(f"tensorrt cannot run {origin}: {reason} (strict: true)")
        if self._fallback is None:
            self._fallback = self._fallback_factory()
        name = self._fallback.name
        if not self.fallen_back:  # one warning per runtime, naming the first reason
            warnings.warn(
                f"tensorrt runtime falls back to {name}: {reason}",
                RuntimeFallbackWarning,
                stacklevel=3,
            )
        elif reason not in self.fallen_back.values():
            warnings.warn(
                f"tensorrt runs {origin} on {name}: {reason}", RuntimeFallbackWarning, stacklevel=3
            )
        self.fallen_back[origin] = reason
        return self._fallback.load(model)

    # -- loading ----------------------------------------------------------------------

    def load(self, model: Path | bytes) -> InferenceSession:
        origin = str(model) if isinstance(model, Path) else "<bytes>"
        if isinstance(model, Path) and not model.is_file():
            raise ModelFileError(f"model file missing: {model}")
        is_engine = isinstance(model, Path) and model.suffix.lower() in ENGINE_SUFFIXES
        if not self.device.ok:
            reason = self.device.reason or "TensorRT is not usable here"
            if is_engine:
                raise RuntimeUnavailableError(
                    f"cannot run the TensorRT engine {origin}: {reason}; load its ONNX instead"
                )
            return self._fall_back(model, origin, reason)
        if is_engine:
            assert isinstance(model, Path)
            return self._load_engine_file(model)
        if isinstance(model, bytes):
            return self._load_onnx_bytes(model)
        try:
            return self._load_onnx(model)
        except (EngineBuildError, ConfigError) as exc:
            return self._fall_back(model, origin, str(exc))

    def _load_onnx(self, path: Path) -> InferenceSession:
        from faceswap_trt.session import TensorRTSession

        config = self.config
        profile = resolve_profile(
            graph_inputs(path),
            min_shape=config.min_shape,
            opt_shape=config.opt_shape,
            max_shape=config.max_shape,
            max_batch=config.max_batch,
            ignore_unknown=True,
        )
        built = engine_for(
            path,
            self.cache,
            self.device,
            precision=config.precision,
            workspace_mb=config.workspace,
            profile=profile,
        )
        self.engines[str(path)] = {
            "engine": str(built.engine.path),
            "precision": built.precision,
            "cache_hit": built.cache_hit,
            "build_s": built.build_s,
        }
        return TensorRTSession(built.engine.path.read_bytes(), str(path), built.engine.metadata)

    def _load_onnx_bytes(self, data: bytes) -> InferenceSession:
        """Bytes (an embedded model): build from a private temporary file, cached by content."""
        with tempfile.TemporaryDirectory(prefix="faceswap-trt-") as folder:
            path = Path(folder) / "model.onnx"
            atomic_write_bytes(path, data)
            try:
                return self._load_onnx(path)
            except (EngineBuildError, ConfigError) as exc:
                return self._fall_back(data, "<bytes>", str(exc))

    def _load_engine_file(self, path: Path) -> InferenceSession:
        from faceswap_trt.session import TensorRTSession

        metadata: dict[str, str] = {}
        sidecar = sidecar_path(path)
        if sidecar.is_file():
            try:
                record = json.loads(sidecar.read_text(encoding="utf-8"))
                metadata = {str(k): str(v) for k, v in (record.get("metadata") or {}).items()}
            except (OSError, ValueError, AttributeError):
                raise ModelFileError(f"engine metadata {sidecar} is not valid JSON") from None
        self.engines[str(path)] = {"engine": str(path), "prebuilt": True}
        return TensorRTSession(path.read_bytes(), str(path), metadata)

    # -- reporting --------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """TensorRT version, GPU, precision, and whether (and why) models fell back."""
        return {
            "runtime": self.name,
            "available": self.device.ok,
            "reason": self.device.reason or next(iter(self.fallen_back.values()), None),
            "trt_version": self.device.trt_version,
            "gpu": self.device.gpu,
            "precision": self.config.precision,
            "fallback": bool(self.fallen_back),
            "fallback_runtime": self._fallback.name if self._fallback is not None else None,
            "fallen_back": dict(self.fallen_back),
            "engines": dict(self.engines),
        }


__all__ = ["ENGINE_SUFFIXES", "TensorRTRuntime"]
