"""ONNX Runtime as a :class:`~faceswap_core.interfaces.Runtime`.

The most common complaint about GPU face swapping is a GPU provider that
silently falls back to CPU (peers' issue trackers are full of 1 FPS "CUDA"
runs). ONNX Runtime does it in two ways: a provider that is not compiled in
is simply absent from ``get_available_providers()``, and one that is
compiled in but cannot start (CUDA or cuDNN libraries missing) is dropped
while the session is created, with only a log line. This runtime checks
both: before creating a session and, with ``session.get_providers()``,
after. Either way it warns with :class:`RuntimeFallbackWarning` (the CLI
prints it as a ``Warning:`` line) or, with ``strict: true``, raises
:class:`RuntimeUnavailableError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from faceswap_core.errors import ModelFileError, RuntimeFallbackWarning, RuntimeUnavailableError
from faceswap_core.runtime.config import CPU_PROVIDER, OnnxRuntimeConfig
from faceswap_core.runtime.limits import (
    WATCHDOG,
    MiB,
    cpu_arena,
    is_out_of_memory,
    is_timeout,
    largest_static_tensor,
)

QUIET = 4
"""ONNX Runtime's log severity for sessions and runs: fatal only. Errors reach the caller as
exceptions (one ``Error:`` line); ONNX Runtime's own lines would repeat them on stderr."""

GRAPH_OPTIMIZATION_LEVELS: dict[str, str] = {
    "disable": "ORT_DISABLE_ALL",
    "basic": "ORT_ENABLE_BASIC",
    "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}


class OnnxSession:
    """One loaded ONNX model with named inputs and outputs and its metadata.

    Each run is limited to ``run_timeout_s`` seconds (0: no limit) and, on the
    CPU, to the memory arena it was created with (:mod:`~faceswap_core.runtime.limits`).
    """

    def __init__(
        self, session: Any, origin: str, *, run_timeout_s: float = 0.0, memory_limit_mb: int = 0
    ) -> None:
        self._session = session
        self.origin = origin
        self.run_timeout_s = run_timeout_s
        self.memory_limit_mb = memory_limit_mb
        self.input_names = tuple(i.name for i in session.get_inputs())
        self.output_names = tuple(o.name for o in session.get_outputs())
        self.input_shapes = {i.name: tuple(i.shape) for i in session.get_inputs()}
        self.output_shapes = {o.name: tuple(o.shape) for o in session.get_outputs()}
        self.input_types = {i.name: str(i.type) for i in session.get_inputs()}
        meta = session.get_modelmeta()
        self.metadata: Mapping[str, str] = dict(meta.custom_metadata_map or {})
        self.providers = tuple(session.get_providers())

    @property
    def options(self) -> Any:
        """The ONNX Runtime ``SessionOptions`` the session was created with."""
        return self._session.get_session_options()

    def run(self, feeds: Mapping[str, np.ndarray[Any, Any]]) -> dict[str, np.ndarray[Any, Any]]:
        """Run the graph; a graph that fails on well-formed inputs is a bad model file (exit 5).

        :raises ModelFileError: the run failed, ran past ``runtime.run_timeout_s`` (it is
            stopped), or needed more than ``runtime.memory_limit_mb``.
        """
        import onnxruntime as ort

        options = ort.RunOptions()
        options.log_severity_level = QUIET
        try:
            with WATCHDOG.watch(options, self.run_timeout_s):
                outputs = self._session.run(None, dict(feeds), options)
        except Exception as exc:
            text = str(exc).strip()
            if options.terminate or is_timeout(text):
                raise ModelFileError(
                    f"model {self.origin} ran longer than {self.run_timeout_s:g} s and was "
                    "stopped (runtime.run_timeout_s); a graph that never ends is refused, a slow "
                    "one needs a larger --set pipeline.runtime.run_timeout_s"
                ) from None
            if is_out_of_memory(text):
                limit = f"{self.memory_limit_mb} MB" if self.memory_limit_mb else "memory"
                raise ModelFileError(
                    f"model {self.origin} needed more than {limit} for one run and was stopped "
                    "(runtime.memory_limit_mb); raise the limit only for a model you trust"
                ) from None
            detail = text.splitlines()[0] if text else type(exc).__name__
            raise ModelFileError(f"model {self.origin} failed to run: {detail}") from None
        return dict(zip(self.output_names, outputs, strict=True))


def _short(providers: list[str] | tuple[str, ...]) -> str:
    return ", ".join(p.removesuffix("ExecutionProvider") for p in providers) or "none"


class OnnxRuntime:
    """Creates :class:`OnnxSession` objects with the configured providers, threads and options."""

    name = "onnxruntime"

    def __init__(self, config: OnnxRuntimeConfig | None = None) -> None:
        self.config = config or OnnxRuntimeConfig()
        self.active_providers: tuple[str, ...] = ()
        self._warned: set[str] = set()

    def _fallback(self, message: str) -> None:
        """Warn once per distinct message (a pipeline loads several models), or raise."""
        if self.config.strict:
            raise RuntimeUnavailableError(f"{message} (strict: true on the onnxruntime runtime)")
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(message, RuntimeFallbackWarning, stacklevel=4)

    def providers(self) -> list[str]:
        """The requested providers that this ONNX Runtime build has, CPU appended as last resort."""
        import onnxruntime as ort

        available = set(ort.get_available_providers())
        requested = self.config.providers
        chosen = [p for p in requested if p in available]
        missing = [p for p in requested if p not in available]
        if missing:
            using = _short(chosen) if chosen else "CPU"
            self._fallback(
                f"ONNX Runtime {ort.__version__} has no {_short(missing)} provider "
                f"(available: {_short(sorted(available))}); running on {using}. "
                "Install the matching onnxruntime build (e.g. onnxruntime-gpu) for GPU speed"
            )
        if CPU_PROVIDER not in chosen and not self.config.strict:
            chosen.append(CPU_PROVIDER)
        return chosen

    def session_options(self) -> Any:
        """``onnxruntime.SessionOptions`` from the config (threads, optimisation, mode)."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        if self.config.threads > 0:
            options.intra_op_num_threads = self.config.threads
        if self.config.inter_threads > 0:
            options.inter_op_num_threads = self.config.inter_threads
        level = GRAPH_OPTIMIZATION_LEVELS[self.config.graph_optimization]
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
        options.execution_mode = (
            ort.ExecutionMode.ORT_PARALLEL
            if self.config.execution_mode == "parallel"
            else ort.ExecutionMode.ORT_SEQUENTIAL
        )
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if self.config.spin else "0"
        )
        options.log_severity_level = QUIET  # failures come back as exceptions, in one line
        return options

    def load(self, model: Path | bytes) -> OnnxSession:
        import onnxruntime as ort

        origin = str(model) if isinstance(model, Path) else "<bytes>"
        if isinstance(model, Path) and not model.is_file():
            raise ModelFileError(f"model file missing: {model}")
        self._check_static_sizes(model, origin)
        providers = self.providers()
        provider_options = [self._provider_options(p) for p in providers]
        options = self.session_options()
        ort.set_default_logger_severity(QUIET)
        try:
            source: str | bytes = str(model) if isinstance(model, Path) else model
            with cpu_arena(options, self.config.memory_limit_mb):
                session = ort.InferenceSession(
                    source, options, providers=providers, provider_options=provider_options
                )
        except Exception as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelFileError(f"invalid ONNX model {origin}: {detail}") from None
        self._check_session(session.get_providers(), providers, origin)
        loaded = OnnxSession(
            session,
            origin,
            run_timeout_s=self.config.run_timeout_s,
            memory_limit_mb=self.config.memory_limit_mb,
        )
        self.active_providers = loaded.providers
        return loaded

    def _provider_options(self, provider: str) -> dict[str, str]:
        """The configured options; CUDA's memory arena gets ``memory_limit_mb`` unless set."""
        options = self.config.options_for(provider)
        limit = self.config.memory_limit_mb
        if provider == "CUDAExecutionProvider" and limit > 0 and "gpu_mem_limit" not in options:
            options["gpu_mem_limit"] = str(limit * MiB)
        return options

    def _check_static_sizes(self, model: Path | bytes, origin: str) -> None:
        """Refuse a graph with a tensor of known size over the memory limit (module limits)."""
        limit = self.config.memory_limit_mb
        if limit <= 0:
            return
        largest = largest_static_tensor(model)
        if largest is not None and largest[1] > limit * MiB:
            name, size = largest
            raise ModelFileError(
                f"model {origin} has a tensor {name!r} of {size / MiB:,.0f} MB, over "
                f"runtime.memory_limit_mb ({limit} MB); it is not loaded (raise the limit only "
                "for a model you trust)"
            )

    def _check_session(self, active: list[str], requested: list[str], origin: str) -> None:
        """Warn when the session dropped a provider it was given (the silent fallback)."""
        dropped = [p for p in requested if p not in active]
        if dropped:
            self._fallback(
                f"ONNX Runtime could not start {_short(dropped)} for {Path(origin).name} "
                f"and runs it on {_short(active)}; check the CUDA/cuDNN (or provider) "
                "libraries match this onnxruntime build"
            )

    def describe(self) -> dict[str, Any]:
        """What actually runs: the requested and the active providers, and the options."""
        return {
            "runtime": self.name,
            "requested": list(self.config.providers),
            "active": list(self.active_providers) or None,
            "threads": self.config.threads,
            "graph_optimization": self.config.graph_optimization,
            "fallback": bool(self.active_providers)
            and self.active_providers[0] != self.config.providers[0],
        }
