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


__all__ = ["InferenceSession", "Runtime"]
