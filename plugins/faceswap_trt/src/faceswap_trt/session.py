"""A deserialized engine as a :class:`faceswap_core.InferenceSession`.

I/O is by tensor name (TensorRT >= 10): each run sets the input shapes,
copies inputs to device buffers that grow as needed and are reused, binds
every tensor with ``set_tensor_address``, enqueues ``execute_async_v3`` on
the session's own CUDA stream and copies the outputs back. A batch larger
than the engine's profile runs in chunks along the first dimension.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from faceswap_core.errors import InvalidImageError, ModelFileError
from faceswap_core.runtime.gpu import cuda_runtime
from faceswap_trt.device import check

Array = np.ndarray[Any, Any]


class TensorRTSession:
    """One engine with its execution context, CUDA stream and device buffers."""

    def __init__(self, engine_bytes: bytes, origin: str, metadata: Mapping[str, str]) -> None:
        import tensorrt as trt

        self._trt = trt
        self.origin = origin
        self.metadata: Mapping[str, str] = dict(metadata)
        self._runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self._engine = self._runtime.deserialize_cuda_engine(engine_bytes)
        if self._engine is None:
            raise ModelFileError(
                f"TensorRT cannot deserialize {origin}: built by another TensorRT version or "
                "for another GPU, or damaged; rebuild it with faceswap export tensorrt"
            )
        self._context = self._engine.create_execution_context()
        names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
        inputs = trt.TensorIOMode.INPUT
        self.input_names = tuple(n for n in names if self._engine.get_tensor_mode(n) == inputs)
        self.output_names = tuple(n for n in names if n not in self.input_names)
        self.input_shapes = {n: self._declared(n) for n in self.input_names}
        self.output_shapes = {n: self._declared(n) for n in self.output_names}
        self._dtypes = {n: np.dtype(trt.nptype(self._engine.get_tensor_dtype(n))) for n in names}
        self._max_batch = self._profile_max_batch()
        self._cuda = cuda_runtime()
        self._stream = check(self._cuda.cudaStreamCreate(), "cudaStreamCreate")
        self._buffers: dict[str, tuple[int, int]] = {}  # name -> (device pointer, bytes)
        self._lock = threading.Lock()

    def _declared(self, name: str) -> tuple[int | None, ...]:
        return tuple(None if d < 0 else int(d) for d in self._engine.get_tensor_shape(name))

    def _profile_max_batch(self) -> int | None:
        """The largest first dimension the profile allows for every input (None: no limit known)."""
        limits = []
        for name in self.input_names:
            if self.input_shapes[name][:1] != (None,):
                return None  # a fixed batch: inputs must match it exactly
            _, _, largest = self._engine.get_tensor_profile_shape(name, 0)
            limits.append(int(largest[0]))
        return min(limits) if limits else None

    def device_bytes(self) -> int:
        """Device memory held by this session's I/O buffers and the engine's activations."""
        held = sum(size for _, size in self._buffers.values())
        engine = self._engine
        activations = getattr(engine, "device_memory_size_v2", None)
        if activations is None:  # TensorRT 10.0
            activations = getattr(engine, "device_memory_size", 0)
        return held + int(activations or 0)

    def _buffer(self, name: str, nbytes: int) -> int:
        pointer, size = self._buffers.get(name, (0, 0))
        if size < nbytes:
            if pointer:
                check(self._cuda.cudaFree(pointer), "cudaFree")
            pointer = int(check(self._cuda.cudaMalloc(max(nbytes, 1)), "cudaMalloc"))
            self._buffers[name] = (pointer, nbytes)
        return pointer

    def run(self, feeds: Mapping[str, Array]) -> dict[str, Array]:
        missing = [n for n in self.input_names if n not in feeds]
        if missing:
            raise InvalidImageError(f"{self.origin}: inputs {', '.join(missing)} not given")
        arrays = {
            n: np.ascontiguousarray(feeds[n], dtype=self._dtypes[n]) for n in self.input_names
        }
        batch = {a.shape[0] for a in arrays.values() if a.ndim}
        if self._max_batch is not None and len(batch) == 1 and batch.pop() > self._max_batch:
            return self._run_chunked(arrays, self._max_batch)
        with self._lock:
            return self._run_once(arrays)

    def _run_chunked(self, arrays: dict[str, Array], size: int) -> dict[str, Array]:
        total = next(iter(arrays.values())).shape[0]
        parts: list[dict[str, Array]] = []
        for start in range(0, total, size):
            chunk = {n: a[start : start + size] for n, a in arrays.items()}
            with self._lock:
                parts.append(self._run_once(chunk))
        return {n: np.concatenate([p[n] for p in parts]) for n in self.output_names}

    def _run_once(self, arrays: dict[str, Array]) -> dict[str, Array]:
        cuda = self._cuda
        to_device = cuda.cudaMemcpyKind.cudaMemcpyHostToDevice
        to_host = cuda.cudaMemcpyKind.cudaMemcpyDeviceToHost
        for name, array in arrays.items():
            if not self._context.set_input_shape(name, array.shape):
                raise InvalidImageError(
                    f"{self.origin}: input {name!r} shape {list(array.shape)} is outside the "
                    f"engine's profile (declared {list(self.input_shapes[name])})"
                )
            pointer = self._buffer(name, array.nbytes)
            check(
                cuda.cudaMemcpyAsync(
                    pointer, array.ctypes.data, array.nbytes, to_device, self._stream
                ),
                "cudaMemcpyAsync",
            )
            self._context.set_tensor_address(name, pointer)
        outputs: dict[str, Array] = {}
        for name in self.output_names:
            shape = tuple(int(d) for d in self._context.get_tensor_shape(name))
            if any(d < 0 for d in shape):
                raise ModelFileError(f"{self.origin}: output {name!r} has a data-dependent shape")
            host = np.empty(shape, dtype=self._dtypes[name])
            outputs[name] = host
            self._context.set_tensor_address(name, self._buffer(name, max(host.nbytes, 1)))
        if not self._context.execute_async_v3(int(self._stream)):
            raise ModelFileError(f"{self.origin}: TensorRT failed to enqueue the inference")
        for name, host in outputs.items():
            pointer, _ = self._buffers[name]
            check(
                cuda.cudaMemcpyAsync(host.ctypes.data, pointer, host.nbytes, to_host, self._stream),
                "cudaMemcpyAsync",
            )
        check(cuda.cudaStreamSynchronize(self._stream), "cudaStreamSynchronize")
        return {
            n: a.astype(np.float32, copy=False) if a.dtype == np.float16 else a
            for n, a in outputs.items()
        }

    def close(self) -> None:
        """Free device buffers and the stream (also done when the session is collected)."""
        cuda = getattr(self, "_cuda", None)
        if cuda is None:
            return
        for pointer, _ in self._buffers.values():
            cuda.cudaFree(pointer)
        self._buffers.clear()
        if getattr(self, "_stream", None) is not None:
            cuda.cudaStreamDestroy(self._stream)
            self._stream = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at shutdown the bindings may already be gone
            self.close()


__all__ = ["TensorRTSession"]
