"""Pixels outside the pasted mask are exactly the original ones, for every mask mode.

The oracle warps each face's final mask back into the frame with OpenCV
(``WARP_INVERSE_MAP`` with the frame-to-crop matrix, not the pipeline's own
inverse), grows its support by one pixel for interpolation at the edge, and
requires ``out == frame`` everywhere else, bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import cv2
import numpy as np
import pytest
from tests.integration.conftest import build_faceswap_export

from faceswap_core.config.schema import PasteConfig, PipelineConfig
from faceswap_core.pipeline.image import Pipeline, SwapResult
from faceswap_core.plugin.manager import FaceswapPlugins


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(PipelineConfig(), FaceswapPlugins(strict=True))


def support(result: SwapResult, shape: tuple[int, ...]) -> np.ndarray:
    """Frame pixels any face's mask reaches (alpha > 0), grown by one pixel."""
    height, width = shape[:2]
    reached = np.zeros((height, width), np.uint8)
    for pasted in result.masks:
        alpha = cv2.warpAffine(
            np.asarray(pasted.mask, np.float32),
            pasted.matrix,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderValue=0.0,
        )
        reached |= (alpha > 0).astype(np.uint8)
    return cv2.dilate(reached, np.ones((3, 3), np.uint8)).astype(bool)


def swap_with(
    pipeline: Pipeline, paste: PasteConfig, target: np.ndarray, source: np.ndarray
) -> SwapResult:
    """Swap with another paste config on the same pipeline (models stay loaded)."""
    pipeline.config = attrs.evolve(pipeline.config, paste=paste)
    return pipeline.swap(target, source)


@pytest.mark.parametrize(
    "paste",
    [
        PasteConfig(mask="auto", color_match=True),
        PasteConfig(mask="hull", color_match=True),
        PasteConfig(mask="box", color_match=True),
        PasteConfig(mask="model", color_match=True),
        PasteConfig(mask="auto", color_match=False),
    ],
    ids=["auto+color", "hull+color", "box+color", "model+color", "auto"],
)
def test_outside_the_mask_nothing_changes(
    pipeline: Pipeline, paste: PasteConfig, t1_image: np.ndarray, tom_hanks_image: np.ndarray
) -> None:
    result = swap_with(pipeline, paste, t1_image, tom_hanks_image)
    assert len(result.masks) == len(result.swapped) == 6
    reached = support(result, t1_image.shape)
    outside = ~reached
    assert outside.mean() > 0.5  # most of the group photo is not face
    assert np.array_equal(result.image[outside], t1_image[outside])
    inside = np.zeros_like(reached)
    for pasted in result.masks:  # and something did change under every mask
        h, w = t1_image.shape[:2]
        alpha = cv2.warpAffine(
            pasted.mask, pasted.matrix, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        )
        core = alpha > 0.9
        assert np.any(result.image[core] != t1_image[core])
        inside |= core
    assert inside.any()


def test_mask_modes_differ(
    pipeline: Pipeline, astronaut_image: np.ndarray, tom_hanks_image: np.ndarray
) -> None:
    box = swap_with(pipeline, PasteConfig(mask="box"), astronaut_image, tom_hanks_image)
    hull = swap_with(pipeline, PasteConfig(mask="hull"), astronaut_image, tom_hanks_image)
    (box_mask,), (hull_mask,) = ([m.mask for m in r.masks] for r in (box, hull))
    # A box mask is full across the middle row of the crop; the hull narrows to the face.
    middle = box_mask.shape[0] // 2
    assert (box_mask[middle] > 0.99).sum() > (hull_mask[middle] > 0.99).sum()


def test_colour_match_moves_an_off_colour_face_towards_the_target(
    tmp_path: Path, astronaut_image: np.ndarray, tom_hanks_image: np.ndarray
) -> None:
    """A model that tints the whole crop: matching pulls the pasted face back to the target's
    colour statistics (classic already transfers colour itself, so it cannot show this)."""
    graph, _ = build_faceswap_export(
        tmp_path / "tint.onnx", size=128, template="inswapper", with_mask=False
    )
    pipeline = Pipeline(
        PipelineConfig(swapper={"type": "onnx", "model": str(graph)}), FaceswapPlugins(strict=True)
    )
    plain = swap_with(pipeline, PasteConfig(), astronaut_image, tom_hanks_image)
    matched = swap_with(pipeline, PasteConfig(color_match=True), astronaut_image, tom_hanks_image)
    h, w = astronaut_image.shape[:2]
    alpha = cv2.warpAffine(
        matched.masks[0].mask,
        matched.masks[0].matrix,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
    )
    core = alpha > 0.9
    target_mean = astronaut_image[core].reshape(-1, 3).mean(axis=0)
    plain_gap = np.abs(plain.image[core].reshape(-1, 3).mean(axis=0) - target_mean).sum()
    matched_gap = np.abs(matched.image[core].reshape(-1, 3).mean(axis=0) - target_mean).sum()
    assert plain_gap > 20  # the tint is plain to see
    assert matched_gap < plain_gap / 4
