"""Inference runtimes: how a model file becomes something that runs.

Components never create ONNX Runtime sessions themselves; they ask the
runtime in their build context, so a deployment can swap ONNX Runtime for
TensorRT (``faceswap-trt``) without touching detectors or swappers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class InferenceSession(Protocol):
    """A loaded model that maps named float arrays to named float arrays.

    ``input_shapes`` / ``output_shapes`` give each tensor's declared shape:
    ints for static dimensions, strings or ``None`` for dynamic ones. All
    members are read-only: an implementation may store them as attributes.
    """

    @property
    def input_names(self) -> tuple[str, ...]: ...

    @property
    def output_names(self) -> tuple[str, ...]: ...

    @property
    def input_shapes(self) -> Mapping[str, tuple[Any, ...]]: ...

    @property
    def output_shapes(self) -> Mapping[str, tuple[Any, ...]]: ...

    @property
    def metadata(self) -> Mapping[str, str]: ...

    def run(self, feeds: Mapping[str, np.ndarray[Any, Any]]) -> dict[str, np.ndarray[Any, Any]]: ...


@runtime_checkable
class Runtime(Protocol):
    """Loads model files into sessions (ONNX Runtime in core, TensorRT in faceswap-trt)."""

    name: str

    def load(self, model: Path | bytes) -> InferenceSession: ...


@runtime_checkable
class DescribedRuntime(Runtime, Protocol):
    """A runtime that can say what actually runs (optional for runtime plugins).

    ``describe()`` returns JSON-friendly facts: at least ``runtime`` (its
    name), and where relevant the active providers or device, the precision,
    and ``fallback`` (true when models run somewhere other than requested).
    ``faceswap bench`` records it and the edge profiles check it.
    """

    def describe(self) -> Mapping[str, Any]: ...


__all__ = ["DescribedRuntime", "InferenceSession", "Runtime"]
