"""Restorer graphs run from ONNX on batches of aligned crops.

Pre- and post-processing are the published ones (FaceFusion's
``prepare_crop_frame`` / ``normalize_crop_frame``): RGB crops scaled to
[-1, 1] as ``(x / 255 - 0.5) / 0.5``, NCHW; the output clipped to [-1, 1],
mapped back with ``(y + 1) / 2 * 255`` and rounded. Every output is checked
(shape, finite values) before it is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from faceswap_core.enhancers.contract import EnhancerSpec, check_enhancer
from faceswap_core.errors import InvalidImageError
from faceswap_core.interfaces import Image
from faceswap_core.plugin.context import BuildContext
from faceswap_core.runtime.batch import run_batched
from faceswap_core.swappers.contract import check_output


def enhancer_input(crops: Sequence[Image], size: int) -> np.ndarray[Any, Any]:
    """N x 3 x S x S float32 in [-1, 1] from RGB ``uint8`` crops of side ``size``."""
    for crop in crops:
        if crop.dtype != np.uint8 or crop.shape != (size, size, 3):
            raise InvalidImageError(
                f"enhancer crop must be uint8 {size}x{size}x3, got {crop.dtype} {crop.shape}"
            )
    batch = np.stack(crops).astype(np.float32) / np.float32(255.0)
    return np.ascontiguousarray(((batch - 0.5) / 0.5).transpose(0, 3, 1, 2), dtype=np.float32)


def enhancer_output(raw: np.ndarray[Any, Any]) -> list[Image]:
    """N x 3 x S x S in [-1, 1] -> RGB ``uint8`` crops (clipped, rescaled, rounded)."""
    scaled = (np.clip(np.asarray(raw, np.float32), -1.0, 1.0) + 1.0) / 2.0
    images = np.rint(scaled.transpose(0, 2, 3, 1) * 255.0).astype(np.uint8)
    return [np.ascontiguousarray(image) for image in images]


class OnnxEnhancer:
    """A restorer graph held to its published contract (``enhancers/contract.py``)."""

    def __init__(
        self,
        spec: EnhancerSpec,
        model: str,
        runtime: str | None,
        context: BuildContext,
        *,
        weight: float | None = None,
    ) -> None:
        self.session, self.origin = context.load_named(model, runtime, path="$.pipeline.enhancer")
        self.model_path: str | None = self.origin
        self.contract = check_enhancer(self.session, self.origin, spec)
        self.size = spec.size
        self.template = spec.template
        self.weight = weight

    def enhance(self, crops: Sequence[Image]) -> list[Image]:
        if not crops:
            return []
        contract, size = self.contract, self.size
        feeds: dict[str, np.ndarray[Any, Any]] = {contract.input: enhancer_input(crops, size)}
        if contract.weight is not None:
            dtype = np.float64 if contract.weight_type == "double" else np.float32
            feeds[contract.weight] = np.array([self.weight or 0.0], dtype=dtype)
        out = run_batched(self.session, feeds, batched=[contract.input], outputs=[contract.output])
        raw = check_output(
            self.origin, contract.output, out[contract.output], (len(crops), 3, size, size)
        )
        return enhancer_output(raw)


__all__ = ["OnnxEnhancer", "enhancer_input", "enhancer_output"]
