"""TensorRT and the CUDA GPU: whether they are here, and the CUDA runtime calls we need.

Device memory is handled with NVIDIA's ``cuda-python`` runtime bindings
(``cuda.bindings.runtime``, or ``cuda.cudart`` in releases before 12.6),
the same ones TensorRT's own Python samples use; both come with the
``faceswap-trt[tensorrt]`` extra. Loading them and finding the GPU are core's
(:mod:`faceswap_core.runtime.gpu`, the one GPU probe). Every call returns
``(error, *values)``; :func:`check` turns an error into an exception naming the call.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs

from faceswap_core.runtime.gpu import cuda_runtime, find_gpus

INSTALL_HINT = "pip install 'faceswap-trt[tensorrt]'"


class CudaError(RuntimeError):
    """A CUDA runtime call failed."""


@attrs.frozen
class Availability:
    """Whether engines can be built and run here, and if not, why.

    :ivar reason: one sentence for users when ``ok`` is false.
    :ivar compute_capability: ``(major, minor)`` of device 0.
    """

    ok: bool
    reason: str | None = None
    trt_version: str | None = None
    gpu: str | None = None
    compute_capability: tuple[int, int] | None = None

    @property
    def fast_fp16(self) -> bool:
        """FP16 arithmetic at full rate: SM 5.3 (Jetson TX1), 6.0, 6.2 (TX2) and 7.0 on."""
        cc = self.compute_capability
        return cc is not None and (cc in ((5, 3), (6, 0), (6, 2)) or cc[0] >= 7)


def check(result: Any, call: str) -> Any:
    """Unpack ``(error, *values)``: the value(s), or :class:`CudaError` naming ``call``."""
    runtime = cuda_runtime()
    error, *values = result if isinstance(result, tuple) else (result,)
    if error != runtime.cudaError_t.cudaSuccess:
        name = getattr(error, "name", str(error))
        raise CudaError(f"{call} failed: {name}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


@functools.cache
def probe() -> Availability:
    """Look for TensorRT, the CUDA bindings and a CUDA device (once per process).

    The device comes from core's one GPU probe, asked through the CUDA runtime
    alone: that is what TensorRT runs on, so a GPU only NVML can see is no use.
    """
    try:
        import tensorrt as trt
    except ImportError:
        return Availability(False, f"TensorRT is not installed ({INSTALL_HINT})")
    except Exception as exc:  # a broken install (missing libnvinfer) raises OSError and friends
        return Availability(False, f"TensorRT failed to import: {type(exc).__name__}: {exc}")
    version = str(trt.__version__)
    try:
        cuda_runtime()
    except ImportError:
        return Availability(
            False, f"the CUDA runtime bindings are missing ({INSTALL_HINT})", version
        )
    inventory = find_gpus(("cuda-runtime",))
    gpu = inventory.first
    if gpu is None:
        return Availability(False, inventory.reason or "no CUDA GPU found", version)
    return Availability(True, None, version, gpu.name, gpu.compute_capability)


__all__ = ["INSTALL_HINT", "Availability", "CudaError", "check", "probe"]
