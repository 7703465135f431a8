"""Limits on running ONNX graphs, which are untrusted input: time, memory, static sizes.

A 183-byte graph can ask for 3 GB (``ConstantOfShape`` of a large shape) and
one with an endless ``Loop`` never returns. ONNX Runtime offers what is needed
to stop both, and this module wires it up:

- **time**: every run gets its own ``RunOptions``; one watchdog thread sets
  ``terminate`` on runs past their deadline (``runtime.run_timeout_s``), and
  ONNX Runtime stops between kernels, inside ``Loop`` bodies too.
- **memory**: CPU sessions allocate from one arena registered with a
  ``max_mem`` of ``runtime.memory_limit_mb`` (ONNX Runtime's
  ``create_and_register_allocator`` with ``session.use_env_allocators``); an
  allocation past it fails the run instead of growing the process. CUDA gets
  the same figure as ``gpu_mem_limit`` unless its options set one.
- **static sizes**: constant folding runs while a session is created, outside
  any arena, so before that the graph's shapes are inferred (ONNX shape
  inference with data propagation) and a tensor whose static size is over the
  memory limit refuses the model.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

MiB = 1024 * 1024


class RunWatchdog:
    """One daemon thread that sets ``RunOptions.terminate`` on runs past their deadline."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._runs: dict[int, tuple[float, Any]] = {}
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def watch(self, options: Any, seconds: float) -> Iterator[None]:
        """Terminate the run using ``options`` if it lasts longer than ``seconds`` (0: never)."""
        if seconds <= 0:
            yield
            return
        key = id(options)
        with self._condition:
            self._runs[key] = (time.monotonic() + seconds, options)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="faceswap-onnx-watchdog", daemon=True
                )
                self._thread.start()
            self._condition.notify()
        try:
            yield
        finally:
            with self._condition:
                self._runs.pop(key, None)

    def _loop(self) -> None:
        with self._condition:
            while True:
                if not self._runs:
                    self._condition.wait()
                    continue
                now = time.monotonic()
                for key, (deadline, options) in list(self._runs.items()):
                    if deadline <= now:
                        options.terminate = True
                        del self._runs[key]
                if self._runs:
                    earliest = min(deadline for deadline, _ in self._runs.values())
                    self._condition.wait(timeout=max(earliest - now, 0.001))


WATCHDOG = RunWatchdog()
"""The process's one watchdog thread (started on the first timed run)."""

_ARENA_LOCK = threading.Lock()
_ARENA_MB: list[int] = []


@contextlib.contextmanager
def cpu_arena(options: Any, limit_mb: int) -> Iterator[None]:
    """Make sessions created in the block allocate CPU memory from an arena of ``limit_mb``.

    ONNX Runtime keeps one registered CPU allocator per process; a session
    holds the one registered when it was created, so the registration and the
    creation happen under one lock (a session created with another limit
    keeps its own). ``limit_mb`` 0 leaves ONNX Runtime's unbounded default.
    """
    if limit_mb <= 0:
        yield
        return
    import onnxruntime as ort

    with _ARENA_LOCK:
        if [limit_mb] != _ARENA_MB:
            info = ort.OrtMemoryInfo(
                "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
            )
            ort.create_and_register_allocator(info, ort.OrtArenaCfg(limit_mb * MiB, -1, -1, -1))
            _ARENA_MB[:] = [limit_mb]
        options.add_session_config_entry("session.use_env_allocators", "1")
        yield


def largest_static_tensor(model: Path | bytes) -> tuple[str, int] | None:
    """The graph's largest tensor whose size shape inference can tell, as (name, bytes).

    ``None`` when nothing is known (or the graph does not parse: ONNX Runtime
    reports that itself, with its own message).
    """
    import onnx

    try:
        proto = (
            onnx.load_from_string(model)
            if isinstance(model, bytes)
            else onnx.load(str(model), load_external_data=False)
        )
        inferred = onnx.shape_inference.infer_shapes(proto, data_prop=True)
    except Exception:
        return None
    largest: tuple[str, int] | None = None
    graph = inferred.graph
    for info in (*graph.value_info, *graph.output):
        tensor = info.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
        if not tensor.HasField("shape") or any(d < 0 for d in dims):
            continue
        try:
            itemsize = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)).itemsize
        except (KeyError, TypeError, ValueError):
            itemsize = 8
        size = int(np.prod(dims, dtype=np.float64)) * itemsize if dims else itemsize
        if largest is None or size > largest[1]:
            largest = (info.name, size)
    return largest


def is_timeout(message: str) -> bool:
    """Whether ONNX Runtime stopped a run because its ``terminate`` flag was set."""
    return "terminate flag" in message


def is_out_of_memory(message: str) -> bool:
    """Whether ONNX Runtime failed a run on an allocation (the arena limit or the system's)."""
    lowered = message.lower()
    return any(
        text in lowered
        for text in (
            "available memory of",
            "failed to allocate memory",
            "bad_alloc",
            "bad allocation",
        )
    )


__all__ = [
    "WATCHDOG",
    "RunWatchdog",
    "cpu_arena",
    "is_out_of_memory",
    "is_timeout",
    "largest_static_tensor",
]
