"""Peak GPU memory of a benchmark run, where a CUDA GPU can be asked.

The GPU is found by the one probe, :func:`faceswap_core.runtime.gpu.find_gpus`,
asked for the two ways that can read memory: NVML (``nvidia-ml-py``) reports
the memory this process holds on each GPU, which is exact on discrete GPUs;
Jetson boards have no NVML, so there the CUDA runtime (``cuda-python``, which
``faceswap-trt[tensorrt]`` installs) reports device-wide used memory,
measured as the rise over the level before the run (on an edge device
running one pipeline, that rise is the pipeline). A sampling thread keeps the
peak; on a machine without either, the monitor says why and the bench
records ``null``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import attrs

from faceswap_core.runtime.gpu import Gpu, cuda_runtime, find_gpus, nvml

Sampler = Callable[[], int]

DEFAULT_INTERVAL_S = 0.01

MEMORY_METHODS: tuple[str, ...] = ("nvml", "cuda-runtime")
"""The GPU probes that can also read memory (``nvidia-smi`` is too slow to sample)."""


@attrs.frozen
class GpuProbe:
    """A way to read GPU memory: the device, the method and a sampler returning bytes."""

    device: str
    method: str
    sample: Sampler


def _nvml_sampler(gpus: Sequence[Gpu]) -> Sampler:
    library = nvml()
    handles = [library.nvmlDeviceGetHandleByIndex(gpu.index) for gpu in gpus]
    pid = os.getpid()

    def sample() -> int:
        used = 0
        for handle in handles:
            for process in library.nvmlDeviceGetComputeRunningProcesses(handle):
                if process.pid == pid and process.usedGpuMemory:
                    used += int(process.usedGpuMemory)
        return used

    return sample


def _cuda_sampler() -> Sampler:
    runtime = cuda_runtime()

    def used() -> int:
        _, free, total = runtime.cudaMemGetInfo()
        return int(total) - int(free)

    baseline = used()
    return lambda: max(0, used() - baseline)


def find_probe() -> GpuProbe | str:
    """A GPU memory probe on the GPU :func:`~faceswap_core.runtime.gpu.find_gpus` finds
    through a library that can read memory, or why there is none (one line)."""
    inventory = find_gpus(MEMORY_METHODS)
    if inventory.first is None:
        return inventory.reason or "no CUDA GPU"
    if inventory.method == "nvml":
        return GpuProbe(inventory.first.name, "nvml-process", _nvml_sampler(inventory.gpus))
    return GpuProbe(inventory.first.name, "cuda-meminfo-delta", _cuda_sampler())


class GpuMemoryMonitor:
    """``with GpuMemoryMonitor() as gpu: ...`` then ``gpu.peak_mb`` (``None`` without a GPU)."""

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S, probe: GpuProbe | str | None = None):
        self.interval_s = interval_s
        self._probe = probe
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reason: str | None = None

    def __enter__(self) -> GpuMemoryMonitor:
        probe = self._probe if self._probe is not None else find_probe()
        self._probe = probe
        if isinstance(probe, str):
            self.reason = probe
            return self
        self._peak = probe.sample()
        self._thread = threading.Thread(target=self._watch, name="gpu-memory", daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        assert isinstance(self._probe, GpuProbe)
        while not self._stop.wait(self.interval_s):
            self._peak = max(self._peak, self._probe.sample())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            assert isinstance(self._probe, GpuProbe)
            self._peak = max(self._peak, self._probe.sample())

    @property
    def peak_mb(self) -> float | None:
        if not isinstance(self._probe, GpuProbe):
            return None
        return round(self._peak / (1024 * 1024), 1)

    def record(self) -> dict[str, Any] | None:
        """The bench record's ``gpu`` entry, or ``None`` when no GPU could be asked."""
        if not isinstance(self._probe, GpuProbe):
            return None
        return {
            "device": self._probe.device,
            "peak_memory_mb": self.peak_mb,
            "method": self._probe.method,
        }


__all__ = ["GpuMemoryMonitor", "GpuProbe", "find_probe"]
