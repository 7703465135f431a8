"""The ``occlusion`` masker: an XSeg occluder keeps what covers the face (a hand, a microphone).

A swap paints a whole face over the crop; where the target's face is hidden
behind something, the swap should not show. The occluder looks at the
target crop (before the swap) and scores each pixel 1 where the face is
visible, 0 where it is covered; that score caps the paste mask.

Pre- and post-processing are FaceFusion's (``create_occlusion_mask``), so
their XSeg files give their masks: the crop resized to the model's side,
BGR, in [0, 1], NHWC; the output clipped to [0, 1], resized back to the
crop and its edge softened inward (:func:`~faceswap_core.vision.blend.feather_edges`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from faceswap_core.interfaces import FloatArray, Image, MaskInput
from faceswap_core.maskers.configs import OccluderConfig
from faceswap_core.maskers.contract import check_occluder
from faceswap_core.plugin.context import BuildContext
from faceswap_core.runtime.batch import run_batched
from faceswap_core.swappers.contract import check_output
from faceswap_core.vision.blend import feather_edges


def occluder_input(crops: Sequence[Image], size: int) -> np.ndarray[Any, Any]:
    """N x S x S x 3 float32: each RGB crop resized to ``size``, as BGR in [0, 1]."""
    batch = [cv2.resize(np.ascontiguousarray(crop[..., ::-1]), (size, size)) for crop in crops]
    return np.stack(batch).astype(np.float32) / np.float32(255.0)


def occlusion_from_output(raw: np.ndarray[Any, Any], crop_size: int) -> FloatArray:
    """One S x S x 1 occluder output -> the crop's mask (clipped, resized, edges softened)."""
    visible = np.clip(np.asarray(raw, np.float32)[..., 0], 0.0, 1.0)
    resized = cv2.resize(visible, (crop_size, crop_size))
    return feather_edges(resized)


class OcclusionMasker:
    """Runs an XSeg occluder on the target crops; its contract is checked on load and each run."""

    needs_landmarks = False

    def __init__(self, config: OccluderConfig, context: BuildContext) -> None:
        self.session, self.origin = context.load_named(
            config.model, config.runtime, path="$.pipeline.paste.occluder"
        )
        self.model_path: str | None = self.origin
        self.contract = check_occluder(self.session, self.origin)

    def masks(self, faces: Sequence[MaskInput]) -> list[FloatArray]:
        if not faces:
            return []
        contract = self.contract
        feed = occluder_input([face.target for face in faces], contract.size)
        out = run_batched(
            self.session,
            {contract.input: feed},
            batched=[contract.input],
            outputs=[contract.output],
        )
        raw = check_output(
            self.origin,
            contract.output,
            out[contract.output],
            (len(faces), contract.size, contract.size, 1),
        )
        return [occlusion_from_output(raw[k], face.size) for k, face in enumerate(faces)]


__all__ = ["OcclusionMasker", "occluder_input", "occlusion_from_output"]
