"""Config of core's ONNX Runtime runtime (kept apart so hooks import nothing heavy).

Providers may be written short (``cuda``, ``tensorrt``, ``coreml``, ``cpu``)
or by ONNX Runtime's own names (``CUDAExecutionProvider``); they are stored
in ONNX Runtime's spelling so logs and ``get_providers()`` compare directly.
"""

from __future__ import annotations

from typing import Literal

import attrs

from faceswap_core.config.convert import FieldValueError
from faceswap_core.config.ranges import between

MAX_THREADS = 1024

DEFAULT_RUN_TIMEOUT_S = 60.0
"""Longest one model run may take by default (a 720p detection takes tens of milliseconds)."""

DEFAULT_MEMORY_LIMIT_MB = 2048
"""The CPU arena's default cap: every shipped model's runs need a few hundred MB."""

MAX_MEMORY_LIMIT_MB = 1024 * 1024
DAY_S = 86400.0

CPU_PROVIDER = "CPUExecutionProvider"

PROVIDER_ALIASES: dict[str, str] = {
    "cpu": CPU_PROVIDER,
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "trt": "TensorrtExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "migraphx": "MIGraphXExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "directml": "DmlExecutionProvider",
    "dml": "DmlExecutionProvider",
    "qnn": "QNNExecutionProvider",
    "nnapi": "NnapiExecutionProvider",
    "xnnpack": "XnnpackExecutionProvider",
}
"""Short provider names users type (FaceFusion and insightface users know these)."""

GraphOptimization = Literal["disable", "basic", "extended", "all"]
ExecutionMode = Literal["sequential", "parallel"]


def provider_name(text: str) -> str:
    """ONNX Runtime's name for a provider written short or in full.

    :raises ValueError: for a short name that is not known (a full
        ``...ExecutionProvider`` name is kept as written).
    """
    cleaned = text.strip()
    if cleaned.endswith("ExecutionProvider"):
        return cleaned
    alias = PROVIDER_ALIASES.get(cleaned.lower())
    if alias is None:
        known = ", ".join(sorted(set(PROVIDER_ALIASES)))
        raise ValueError(
            f"unknown execution provider {text!r}; use one of {known} or a full name "
            "such as CUDAExecutionProvider"
        )
    return alias


def _providers(value: list[str]) -> list[str]:
    try:
        names = [provider_name(item) for item in value]
    except ValueError as exc:
        raise FieldValueError("providers", str(exc)) from None
    if not names:
        raise FieldValueError("providers", "expected at least one provider, e.g. [cpu]")
    return list(dict.fromkeys(names))  # drop repeats, keep order


@attrs.frozen
class OnnxRuntimeConfig:
    """ONNX Runtime session options.

    :ivar providers: execution providers in order of preference (``cuda``,
        ``cpu``, or full names); unavailable ones are skipped with a warning,
        and CPU is always the last resort unless ``strict``.
    :ivar provider_options: per-provider options, e.g.
        ``{cuda: {device_id: "0"}}`` (keys short or full).
    :ivar threads: intra-op threads; 0 lets ONNX Runtime decide.
    :ivar inter_threads: inter-op threads (only used with ``execution_mode: parallel``).
    :ivar graph_optimization: ONNX Runtime's graph optimisation level.
    :ivar execution_mode: run independent graph branches ``sequential`` or ``parallel``.
    :ivar strict: raise instead of falling back when a requested provider is
        missing or a session silently drops it.
    :ivar run_timeout_s: longest one run of a model may take, in seconds; a run past it is
        stopped and the model refused (a graph with an endless ``Loop``). 0: no limit.
    :ivar memory_limit_mb: most memory the CPU arena of all models may hold (CUDA's arena
        gets the same unless ``provider_options`` set ``gpu_mem_limit``); a run that needs
        more is stopped, and a graph with a tensor of known size over it is not loaded.
        0: no limit.
    :ivar spin: let idle intra-op threads busy-wait for the next operator. Off by
        default: spinning threads take the cores that video's decode, track, swap
        and encode threads (or other processes) need; measured on 2 shared cores,
        turning it off raised ``faceswap bench`` from 12 to 24 FPS and the video
        stream from 29-37 to 36-44 FPS.
    """

    providers: list[str] = attrs.field(factory=lambda: [CPU_PROVIDER], converter=_providers)
    provider_options: dict[str, dict[str, str]] = attrs.field(factory=dict)
    threads: int = attrs.field(default=0, validator=between(0, MAX_THREADS))
    inter_threads: int = attrs.field(default=0, validator=between(0, MAX_THREADS))
    graph_optimization: GraphOptimization = "all"
    execution_mode: ExecutionMode = "sequential"
    strict: bool = False
    spin: bool = False
    run_timeout_s: float = attrs.field(default=DEFAULT_RUN_TIMEOUT_S, validator=between(0.0, DAY_S))
    memory_limit_mb: int = attrs.field(
        default=DEFAULT_MEMORY_LIMIT_MB, validator=between(0, MAX_MEMORY_LIMIT_MB)
    )

    def __attrs_post_init__(self) -> None:
        try:
            for key in self.provider_options:
                provider_name(key)
        except ValueError as exc:
            raise FieldValueError("provider_options", str(exc)) from None

    def options_for(self, provider: str) -> dict[str, str]:
        """The options given for ``provider`` (under its short or full name)."""
        merged: dict[str, str] = {}
        for key, options in self.provider_options.items():
            if provider_name(key) == provider:
                merged.update({str(k): str(v) for k, v in options.items()})
        return merged
