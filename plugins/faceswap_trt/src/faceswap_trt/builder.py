"""Building engines with the TensorRT Python API, and getting them through the cache.

:func:`build_engine` is what ``trtexec --onnx ... --saveEngine ...`` does: the
ONNX parser fills a network, the builder config gets the workspace limit,
the FP16 flag (where the GPU has fast FP16), the optimisation profile of a
dynamic graph and a timing cache (so the second model built on a device
reuses the first one's kernel timings), and ``build_serialized_network``
returns the plan. :func:`engine_for` puts the cache in front of it.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.errors import ModelFileError, RuntimeFallbackWarning
from faceswap_core.io.atomic import atomic_write_bytes
from faceswap_core.io.hashing import cached_sha256_file
from faceswap_trt.cache import CachedEngine, EngineCache, EngineKey
from faceswap_trt.device import Availability
from faceswap_trt.profile import Profile


class EngineBuildError(ModelFileError):
    """TensorRT could not parse the ONNX graph or build an engine from it (exit code 5)."""


@attrs.frozen
class BuildSettings:
    """What a build needs besides the ONNX file."""

    precision: str
    workspace_mb: int
    profile: Profile
    timing_cache: Path | None = None


@attrs.frozen
class BuildResult:
    """An engine from the cache or a fresh build."""

    engine: CachedEngine
    precision: str
    cache_hit: bool
    build_s: float


def onnx_metadata(path: Path) -> dict[str, str]:
    """The graph's ``metadata_props`` (engines drop them; the ``onnx`` swapper needs them)."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise ModelFileError(f"cannot read ONNX model {path}: {exc}") from None
    return {prop.key: prop.value for prop in model.metadata_props}


def effective_precision(requested: str, device: Availability) -> str:
    """FP16 only where the GPU computes it at full rate; otherwise FP32, with a warning."""
    if requested == "fp16" and not device.fast_fp16:
        warnings.warn(
            f"{device.gpu or 'this GPU'} has no fast FP16 (compute capability "
            f"{device.compute_capability}); building an FP32 engine",
            RuntimeFallbackWarning,
            stacklevel=3,
        )
        return "fp32"
    return requested


def build_engine(onnx_path: Path, settings: BuildSettings) -> bytes:
    """Parse ``onnx_path`` and build a serialized engine (the TensorRT >= 10 API)."""
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch is the only mode in TensorRT 10
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(_parser_error(parser.get_error(i)) for i in range(parser.num_errors))
        raise EngineBuildError(f"TensorRT cannot parse {onnx_path}: {errors or 'unknown error'}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, settings.workspace_mb << 20)
    if settings.precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    if settings.profile.dynamic:
        profile = builder.create_optimization_profile()
        for item in settings.profile.inputs:
            profile.set_shape(item.name, item.min, item.opt, item.max)
        config.add_optimization_profile(profile)
    timing = _load_timing_cache(config, settings.timing_cache)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise EngineBuildError(
            f"TensorRT could not build an engine from {onnx_path}; rerun the printed trtexec "
            "command with --verbose to see why"
        )
    if settings.timing_cache is not None and timing is not None:
        atomic_write_bytes(settings.timing_cache, bytes(config.get_timing_cache().serialize()))
    return bytes(serialized)


def _parser_error(error: Any) -> str:
    """One parser error: its description and the node it concerns, when TensorRT says."""
    describe = getattr(error, "desc", None)
    text = str(describe()) if callable(describe) else str(error)
    node = getattr(error, "node", None)
    index = node() if callable(node) else None
    return f"node {index}: {text}" if isinstance(index, int) and index >= 0 else text


def _load_timing_cache(config: Any, path: Path | None) -> Any:
    if path is None:
        return None
    data = path.read_bytes() if path.is_file() else b""
    cache = config.create_timing_cache(data)
    config.set_timing_cache(cache, ignore_mismatch=False)
    return cache


def engine_key(
    onnx_path: Path, device: Availability, precision: str, profile: Profile
) -> EngineKey:
    """The cache key of building ``onnx_path`` on ``device``."""
    return EngineKey(
        onnx_sha256=cached_sha256_file(onnx_path),
        trt_version=device.trt_version or "",
        gpu=device.gpu or "",
        precision=precision,
        profile=profile.key(),
    )


def engine_for(
    onnx_path: Path,
    cache: EngineCache,
    device: Availability,
    *,
    precision: str,
    workspace_mb: int,
    profile: Profile,
    timing_cache: Path | None = None,
) -> BuildResult:
    """The cached engine for this model, device, precision and profile, built on a miss."""
    actual = effective_precision(precision, device)
    key = engine_key(onnx_path, device, actual, profile)
    found = cache.get(key)
    if found is not None:
        return BuildResult(found, actual, True, 0.0)
    settings = BuildSettings(
        actual,
        workspace_mb,
        profile,
        timing_cache or cache.timing_cache(key.trt_version, key.gpu),
    )
    start = time.perf_counter()
    plan = build_engine(onnx_path, settings)
    seconds = time.perf_counter() - start
    stored = cache.put(key, plan, onnx_metadata(onnx_path))
    return BuildResult(stored, actual, False, round(seconds, 3))


__all__ = [
    "BuildResult",
    "BuildSettings",
    "EngineBuildError",
    "build_engine",
    "effective_precision",
    "engine_for",
    "engine_key",
    "onnx_metadata",
]
