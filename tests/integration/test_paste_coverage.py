"""The paste mask of model swappers covers the face the model made, down to the chin.

A contract graph that paints its whole crop white is swapped into real,
held-out photos (insightface's ``t1.jpg`` group and Tom Hanks portrait,
scikit-image's astronaut), so the pipeline's paste mask is all that decides
which frame pixels change. dlib's 68 landmarks (an independent model) say
where the chin (point 8) and the jaw line (points 0 to 16) are. The oracle is
insightface's own paste-back (``INSwapper.get``), computed here in the frame
from its published steps: inverse-warp a white crop, threshold > 20, erode
with ``k = max(mask_size // 10, 10)``, Gaussian blur ``2 * max(mask_size // 20,
5) + 1``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from tests.integration.conftest import build_white_export

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.pipeline.image import Pipeline, SwapResult
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.tools.samples import load_sample
from faceswap_core.vision.align import invert

CHIN = 8
JAW = slice(0, 17)
PHOTOS = ("t1", "tom_hanks", "astronaut")


def insightface_paste_mask(
    shape: tuple[int, ...], matrix: npt.NDArray[np.float64], size: int
) -> np.ndarray:
    """insightface's paste-back mask in frame pixels (``inswapper.py``, ``paste_back=True``)."""
    inverse = invert(matrix)
    white = np.full((size, size), 255, np.float32)
    mask = cv2.warpAffine(white, inverse, (shape[1], shape[0]), borderValue=0.0)
    mask[mask > 20] = 255
    rows, cols = np.where(mask == 255)
    mask_size = int(np.sqrt((rows.max() - rows.min()) * (cols.max() - cols.min())))
    k = max(mask_size // 10, 10)
    mask = cv2.erode(mask, np.ones((k, k), np.uint8), iterations=1)
    k = max(mask_size // 20, 5)
    mask = cv2.GaussianBlur(mask, (2 * k + 1, 2 * k + 1), 0)
    return mask / 255.0


def frame_alpha(result: SwapResult, index: int, shape: tuple[int, ...]) -> np.ndarray:
    """The pipeline's final mask of one face, warped into the frame as paste-back does."""
    pasted = result.masks[index]
    return cv2.warpAffine(
        np.asarray(pasted.mask, np.float32),
        invert(pasted.matrix),
        (shape[1], shape[0]),
        flags=cv2.INTER_LINEAR,
        borderValue=0.0,
    )


def sample_at(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear values of a float image at sub-pixel points."""
    return np.array(
        [cv2.getRectSubPix(image, (1, 1), (float(x), float(y)))[0, 0] for x, y in points]
    )


@pytest.fixture(scope="module")
def white_swaps(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """Per face of every photo: our weights and insightface's at the jaw line, and both masks."""
    graph = build_white_export(tmp_path_factory.mktemp("white") / "white.onnx")
    plugins = FaceswapPlugins(strict=True)
    pipeline = Pipeline(
        PipelineConfig(swapper={"type": "onnx", "model": str(graph)}, faces="all"), plugins
    )
    assert pipeline.swapper.template == "inswapper"
    landmarker = pipeline.landmarker
    source = load_sample("tom_hanks")
    faces: list[dict[str, object]] = []
    for name in PHOTOS:
        image = load_sample(name)
        result = pipeline.swap(image, source)
        for pasted in result.masks:
            jaw = landmarker.landmarks(image, result.faces[pasted.index])[JAW]
            ours = frame_alpha(result, result.masks.index(pasted), image.shape)
            theirs = insightface_paste_mask(image.shape, pasted.matrix, 128).astype(np.float32)
            faces.append(
                {
                    "photo": name,
                    "ours": sample_at(ours, jaw),
                    "theirs": sample_at(theirs, jaw),
                    "ours_mask": ours,
                    "theirs_mask": theirs,
                }
            )
    assert len(faces) == 8  # six in t1, one each in the portraits
    return faces


def test_the_default_mask_reaches_the_chin_and_the_jaw(
    white_swaps: list[dict[str, object]],
) -> None:
    chins = [float(np.asarray(face["ours"])[CHIN]) for face in white_swaps]
    assert np.median(chins) >= 0.5, chins
    for face in white_swaps:
        jaw = np.asarray(face["ours"])
        assert np.median(jaw) >= 0.5, (face["photo"], jaw.round(2))


def test_the_default_mask_covers_at_least_what_insightface_pastes(
    white_swaps: list[dict[str, object]],
) -> None:
    for face in white_swaps:
        ours, theirs = np.asarray(face["ours"]), np.asarray(face["theirs"])
        # At every jaw point, within 0.1 of insightface's weight or above it.
        assert np.all(ours >= theirs - 0.1), (face["photo"], (ours - theirs).round(2))
        # And the pasted areas (weight >= 0.5) are the same shape.
        a = np.asarray(face["ours_mask"]) >= 0.5
        b = np.asarray(face["theirs_mask"]) >= 0.5
        assert (a & b).sum() / (a | b).sum() >= 0.8


def test_the_classic_swapper_keeps_its_own_mask_which_reaches_the_chin(
    tom_hanks_image: np.ndarray, astronaut_image: np.ndarray
) -> None:
    """classic pastes only its face region (its crop holds background too); that region
    already reaches the chin, so the box of the model swappers does not replace it."""
    plugins = FaceswapPlugins(strict=True)
    pipeline = Pipeline(PipelineConfig(), plugins)
    result = pipeline.swap(astronaut_image, tom_hanks_image)
    (pasted,) = result.masks
    jaw = pipeline.landmarker.landmarks(astronaut_image, result.faces[0])[JAW]
    weights = sample_at(frame_alpha(result, 0, astronaut_image.shape), jaw)
    assert weights[CHIN] >= 0.5
    assert np.median(weights) >= 0.5
    # Its own mask, not the box: the crop's corners (background) are not pasted.
    assert pasted.mask[:16, :16].max() == 0.0


def test_white_graph_and_landmarks_agree_on_where_the_face_is(tmp_path: Path) -> None:
    """The measurement itself: the white graph changes exactly the pixels under the mask."""
    graph = build_white_export(tmp_path / "white.onnx")
    pipeline = Pipeline(
        PipelineConfig(swapper={"type": "onnx", "model": str(graph)}), FaceswapPlugins(strict=True)
    )
    image = load_sample("astronaut")
    result = pipeline.swap(image, load_sample("tom_hanks"))
    alpha = frame_alpha(result, 0, image.shape)
    gain = (result.image.astype(np.float32) - image) / np.maximum(255.0 - image, 1.0)
    full = (alpha > 0.99) & np.all(image < 200, axis=2)
    assert np.all(gain[full] > 0.95)  # painted white where the mask is full
    assert np.array_equal(result.image[alpha == 0], image[alpha == 0])
