"""Our mask and enhancer pre/post-processing against FaceFusion's published formulas.

FaceFusion (3.8, ``face_masker.py`` and ``processors/modules/face_enhancer``)
works on BGR frames; its formulas are written out here from that math, fed
the BGR version of the same input, and compared with ours on RGB. The model
files are theirs, so the numbers fed to and read from a graph must match.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap_core.enhancers.onnx import enhancer_input, enhancer_output
from faceswap_core.maskers.geometry import area_mask
from faceswap_core.maskers.occlusion import occluder_input, occlusion_from_output
from faceswap_core.maskers.region import REGION_CLASSES, parser_input, region_from_output

RNG = np.random.default_rng(19)


def _crop(size: int) -> np.ndarray:
    """A face-like crop: smooth gradients and noise, RGB ``uint8``."""
    ramp = np.linspace(30, 220, size, dtype=np.float32)
    base = np.stack(
        [
            ramp[None, :].repeat(size, 0),
            ramp[:, None].repeat(size, 1),
            ramp[::-1][None, :].repeat(size, 0),
        ],
        -1,
    )
    return np.clip(base + RNG.normal(0, 20, base.shape), 0, 255).astype(np.uint8)


def _their_soften(mask: np.ndarray) -> np.ndarray:
    return (cv2.GaussianBlur(mask.clip(0, 1), (0, 0), 5).clip(0.5, 1) - 0.5) * 2


@pytest.mark.parametrize("crop_size", [128, 512])
def test_occlusion_matches_facefusion(crop_size: int) -> None:
    rgb = _crop(crop_size)
    bgr = rgb[..., ::-1].copy()
    # create_occlusion_mask: resize the (BGR) crop to the model size, / 255, NHWC
    theirs_in = np.expand_dims(cv2.resize(bgr, (256, 256)), axis=0).astype(np.float32) / 255.0
    np.testing.assert_allclose(occluder_input([rgb], 256), theirs_in, atol=1e-7)
    raw = RNG.uniform(-0.3, 1.3, (1, 256, 256, 1)).astype(np.float32)
    temp = raw[0].transpose(0, 1, 2).clip(0, 1).astype(np.float32)
    theirs_out = _their_soften(cv2.resize(temp, (crop_size, crop_size)))
    np.testing.assert_allclose(occlusion_from_output(raw[0], crop_size), theirs_out, atol=1e-6)


@pytest.mark.parametrize(
    "regions", [["skin", "nose"], ["glasses", "mouth", "upper-lip", "lower-lip"]]
)
def test_region_matches_facefusion(regions: list[str]) -> None:
    rgb = _crop(256)
    bgr = rgb[..., ::-1].copy()
    # create_region_mask: resize, BGR -> RGB, / 255, ImageNet mean/std, NCHW
    frame = cv2.resize(bgr, (512, 512))[:, :, ::-1].astype(np.float32) / 255.0
    frame = (frame - np.array([0.485, 0.456, 0.406], np.float32)) / np.array(
        [0.229, 0.224, 0.225], np.float32
    )
    theirs_in = np.expand_dims(frame, axis=0).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(parser_input([rgb], 512), theirs_in, atol=1e-5)
    # Their class ids (facefusion.choices.face_mask_region_set) for the names we share.
    their_ids = {"skin": 1, "glasses": 6, "nose": 10, "mouth": 11, "upper-lip": 12, "lower-lip": 13}
    scores = RNG.normal(0, 1, (19, 512, 512)).astype(np.float32)
    chosen = np.isin(scores.argmax(0), [their_ids[name] for name in regions])
    theirs_out = _their_soften(cv2.resize(chosen.astype(np.float32), (256, 256)))
    ours = region_from_output(scores, [REGION_CLASSES[name] for name in regions], 256)
    np.testing.assert_allclose(ours, theirs_out, atol=1e-6)


def test_region_classes_are_the_celebamask_hq_order() -> None:
    their_ids = {
        "skin": 1, "left-eyebrow": 2, "right-eyebrow": 3, "left-eye": 4, "right-eye": 5,
        "glasses": 6, "nose": 10, "mouth": 11, "upper-lip": 12, "lower-lip": 13,
    }  # fmt: skip
    assert {name: REGION_CLASSES[name] for name in their_ids} == their_ids
    assert sorted(REGION_CLASSES.values()) == list(range(1, 19))


@pytest.mark.parametrize(
    "areas", [["upper-face"], ["lower-face"], ["mouth"], ["upper-face", "mouth"]]
)
def test_area_matches_facefusion(areas: list[str]) -> None:
    # facefusion.choices.face_mask_area_set: landmark indices of each area
    their_points = {
        "upper-face": [
            0, 1, 2, 31, 32, 33, 34, 35, 14, 15, 16, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
        ],
        "lower-face": [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 35, 34, 33, 32, 31],
        "mouth": list(range(48, 68)),
    }  # fmt: skip
    size = 256
    angles = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    landmarks = np.stack([128 + 90 * np.cos(angles), 128 + 100 * np.sin(angles)], 1)
    landmarks = (landmarks + RNG.normal(0, 4, landmarks.shape)).astype(np.float32)
    points = [index for area in areas for index in their_points[area]]
    hull = cv2.convexHull(landmarks[points].astype(np.int32))
    theirs = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(theirs, hull, 1.0)
    np.testing.assert_allclose(area_mask(size, landmarks, areas), _their_soften(theirs), atol=1e-6)


def test_enhancer_normalisation_matches_facefusion() -> None:
    rgb = _crop(512)
    bgr = rgb[..., ::-1].copy()
    # prepare_crop_frame: BGR -> RGB, / 255, (x - 0.5) / 0.5, NCHW
    frame = bgr[:, :, ::-1] / 255.0
    frame = (frame - 0.5) / 0.5
    theirs_in = np.expand_dims(frame.transpose(2, 0, 1), axis=0).astype(np.float32)
    np.testing.assert_allclose(enhancer_input([rgb], 512), theirs_in, atol=1e-6)
    raw = RNG.uniform(-1.4, 1.4, (1, 3, 512, 512)).astype(np.float32)
    # normalize_crop_frame: clip, (x + 1) / 2, HWC, * 255, round, uint8, RGB -> BGR
    out = np.clip(raw[0], -1, 1)
    out = (out + 1) / 2
    out = out.transpose(1, 2, 0)
    out = (out * 255.0).round()
    theirs_out = out.astype(np.uint8)[:, :, ::-1]
    (ours,) = enhancer_output(raw)
    np.testing.assert_array_equal(ours, theirs_out[:, :, ::-1])


def test_region_choice_is_the_arg_max_even_on_ties() -> None:
    """Scores tied between a chosen and an other class go to the first, as an arg-max does."""
    scores = RNG.integers(0, 3, (19, 64, 64)).astype(np.float32)  # many exact ties
    for classes in ([1], [0, 17], [5, 6, 7], list(range(1, 19))):
        ours = region_from_output(scores, classes, 64)
        chosen = np.isin(scores.argmax(0), classes).astype(np.float32)
        np.testing.assert_allclose(ours, _their_soften(chosen), atol=1e-6)
