"""CUDA GPUs on this machine: the one GPU probe of the project.

Three ways to ask, tried in order, each optional (core depends on none):

- ``nvml``: NVIDIA's management library (``nvidia-ml-py``), what
  ``nvidia-smi`` is built on: names, memory, compute capability and the
  driver version, without touching the CUDA runtime;
- ``cuda-runtime``: NVIDIA's ``cuda-python`` runtime bindings
  (``faceswap-trt[tensorrt]`` installs them), the only way on Jetson boards,
  which have no NVML; it is also what TensorRT runs on, so the TensorRT
  plugin asks this way alone;
- ``nvidia-smi``: the command line tool, when neither library is installed.

``env.json`` (:func:`faceswap_core.experiment.env.gpu_info`), the benchmark's
peak GPU memory (:mod:`faceswap_core.tools.gpu`) and the TensorRT plugin all
read :func:`find_gpus`; each result is computed once per process.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

import attrs

METHODS: tuple[str, ...] = ("nvml", "cuda-runtime", "nvidia-smi")
"""The ways to find GPUs, in the order :func:`find_gpus` tries them."""

SMI_TIMEOUT_S = 10.0
"""Longest wait for ``nvidia-smi`` (a hung driver must not hang a run)."""


@attrs.frozen
class Gpu:
    """One CUDA GPU.

    :ivar memory_mib: total device memory in MiB.
    :ivar driver: the NVIDIA driver version (``None`` where the method cannot tell).
    :ivar compute_capability: ``(major, minor)``; ``None`` from ``nvidia-smi``.
    """

    index: int
    name: str
    memory_mib: int | None = None
    driver: str | None = None
    compute_capability: tuple[int, int] | None = None


@attrs.frozen
class GpuInventory:
    """The GPUs found and how, or why none was found (every method's reason, in order)."""

    gpus: tuple[Gpu, ...]
    method: str | None
    reason: str | None = None

    @property
    def first(self) -> Gpu | None:
        return self.gpus[0] if self.gpus else None


def _text(value: Any) -> str:
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return text.rstrip("\x00").strip()


def nvml() -> Any:
    """The initialised NVML module (``pynvml``); :class:`ImportError` when it is not installed,
    and NVML's own error when there is no driver (every Jetson)."""
    import pynvml

    pynvml.nvmlInit()
    return pynvml


def cuda_runtime() -> Any:
    """The CUDA runtime bindings module; :class:`ImportError` when cuda-python is missing."""
    try:
        from cuda.bindings import runtime
    except ImportError:
        from cuda import cudart as runtime  # cuda-python < 12.6
    return runtime


def _by_nvml() -> tuple[Gpu, ...] | str:
    try:
        library = nvml()
    except ImportError:
        return "nvidia-ml-py is not installed"
    except Exception as exc:  # NVMLError: no driver, no GPU
        return f"NVML unavailable ({exc})"
    count = int(library.nvmlDeviceGetCount())
    if count == 0:
        return "NVML sees no GPU"
    driver = _text(library.nvmlSystemGetDriverVersion())
    gpus = []
    for index in range(count):
        handle = library.nvmlDeviceGetHandleByIndex(index)
        try:
            major, minor = library.nvmlDeviceGetCudaComputeCapability(handle)
            capability: tuple[int, int] | None = (int(major), int(minor))
        except Exception:  # older drivers do not say
            capability = None
        memory = int(library.nvmlDeviceGetMemoryInfo(handle).total) // (1024 * 1024)
        name = _text(library.nvmlDeviceGetName(handle))
        gpus.append(Gpu(index, name, memory, driver, capability))
    return tuple(gpus)


def _by_cuda_runtime() -> tuple[Gpu, ...] | str:
    try:
        runtime = cuda_runtime()
    except ImportError:
        return "cuda-python is not installed"
    error, count = runtime.cudaGetDeviceCount()
    if error != runtime.cudaError_t.cudaSuccess:
        return f"no usable CUDA GPU ({getattr(error, 'name', error)})"
    if not count:
        return "no CUDA GPU found"
    gpus = []
    for index in range(int(count)):
        error, props = runtime.cudaGetDeviceProperties(index)
        if error != runtime.cudaError_t.cudaSuccess:
            return f"cudaGetDeviceProperties({index}) failed: {getattr(error, 'name', error)}"
        memory = int(props.totalGlobalMem) // (1024 * 1024)
        capability = (int(props.major), int(props.minor))
        gpus.append(Gpu(index, _text(props.name), memory, None, capability))
    return tuple(gpus)


def _by_nvidia_smi() -> tuple[Gpu, ...] | str:
    if shutil.which("nvidia-smi") is None:
        return "nvidia-smi is not installed"
    query = "--query-gpu=index,name,memory.total,driver_version"
    try:
        done = subprocess.run(
            ["nvidia-smi", query, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=SMI_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"nvidia-smi failed ({exc})"
    if done.returncode != 0:
        return f"nvidia-smi failed (exit {done.returncode})"
    gpus = []
    for line in done.stdout.strip().splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) >= 4 and parts[0].isdigit():
            memory = int(parts[2]) if parts[2].isdigit() else None
            gpus.append(Gpu(int(parts[0]), parts[1], memory, parts[3]))
    return tuple(gpus) or "nvidia-smi lists no GPU"


_PROBES: dict[str, Callable[[], tuple[Gpu, ...] | str]] = {
    "nvml": _by_nvml,
    "cuda-runtime": _by_cuda_runtime,
    "nvidia-smi": _by_nvidia_smi,
}


@functools.cache
def find_gpus(methods: Sequence[str] = METHODS) -> GpuInventory:
    """The GPUs the first method in ``methods`` that sees any finds (once per process).

    :param methods: which of :data:`METHODS` to try, in order (a tuple).
    """
    reasons: list[str] = []
    for method in methods:
        try:
            probe = _PROBES[method]
        except KeyError:
            raise ValueError(f"unknown GPU probe {method!r}; use {', '.join(METHODS)}") from None
        found = probe()
        if isinstance(found, str):
            reasons.append(found)
            continue
        return GpuInventory(found, method)
    return GpuInventory((), None, "; ".join(reasons))


__all__ = ["METHODS", "Gpu", "GpuInventory", "cuda_runtime", "find_gpus", "nvml"]
