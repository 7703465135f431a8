"""What ONNX swappers share: loading a model through the build context, crops as tensors.

Both the ``onnx`` and the ``inswapper`` swappers feed an aligned RGB crop as a
1 x 3 x S x S float tensor in [0, 1] and read one back; both load their graph
through the pipeline's runtime, so a runtime plugin serves them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from faceswap_core.errors import ConfigError, InvalidImageError
from faceswap_core.interfaces import Face, FloatArray, Image, InferenceSession
from faceswap_core.plugin.context import BuildContext


def load_model(
    model: str, runtime: str | None, context: BuildContext
) -> tuple[InferenceSession, str]:
    """Resolve ``model`` (a path or a model-store name) and load it.

    :param runtime: a runtime name for this model only; ``None`` uses the pipeline's.
    """
    return context.load_named(model, runtime, path="$.pipeline.swapper.runtime")


def to_blob(crop: Image, size: int) -> FloatArray:
    """RGB uint8 crop -> 1 x 3 x S x S float32 in [0, 1]."""
    if crop.dtype != np.uint8 or crop.shape != (size, size, 3):
        raise InvalidImageError(
            f"swap crop must be uint8 {size}x{size}x3, got {crop.dtype} {crop.shape}"
        )
    return np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32) / np.float32(255.0)


def from_blob(blob: np.ndarray[Any, Any]) -> Image:
    """1 x 3 x S x S in [0, 1] -> RGB uint8 S x S x 3."""
    image = np.clip(np.asarray(blob, np.float32)[0].transpose(1, 2, 0) * 255.0 + 0.5, 0, 255)
    return np.ascontiguousarray(image.astype(np.uint8))


def to_blobs(crops: Sequence[Image], size: int) -> FloatArray:
    """RGB uint8 crops -> N x 3 x S x S float32 in [0, 1], converted as one array."""
    for crop in crops:
        if crop.dtype != np.uint8 or crop.shape != (size, size, 3):
            raise InvalidImageError(
                f"swap crop must be uint8 {size}x{size}x3, got {crop.dtype} {crop.shape}"
            )
    batch = np.stack(crops).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(batch, dtype=np.float32) / np.float32(255.0)


def from_blobs(blobs: np.ndarray[Any, Any]) -> list[Image]:
    """N x 3 x S x S in [0, 1] -> RGB uint8 S x S x 3 crops (as :func:`from_blob`, at once)."""
    scaled = np.clip(np.asarray(blobs, np.float32) * np.float32(255.0) + np.float32(0.5), 0, 255)
    images = scaled.astype(np.uint8).transpose(0, 2, 3, 1)
    return [np.ascontiguousarray(image) for image in images]


def require_embedding(face: Face, who: str) -> FloatArray:
    """The source face's embedding, or a config error saying a recognizer is needed."""
    if face.embedding is None:
        raise ConfigError(f"{who} needs the source face's embedding; configure a recognizer")
    return face.embedding


__all__ = ["from_blob", "from_blobs", "load_model", "require_embedding", "to_blob", "to_blobs"]
