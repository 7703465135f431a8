"""Paste-back changes only pixels under the mask and lands the crop where it came from."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap_core.config.schema import PasteConfig
from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import Face
from faceswap_core.vision import align, blend

KPS = np.array([[200, 150], [260, 148], [230, 185], [205, 215], [255, 213]], np.float32)


def _face() -> Face:
    return Face(bbox=[170, 100, 290, 250], score=0.99, kps=KPS)


def test_pixels_outside_the_pasted_region_are_byte_identical(astronaut_image: np.ndarray) -> None:
    aligned = align.align(astronaut_image, _face(), 128, "inswapper")
    crop = np.full_like(aligned.crop, 7)
    mask = blend.box_mask(128, erode=6, blur=9)
    out = blend.paste_back(astronaut_image, crop, aligned.matrix, mask)
    changed = np.any(out != astronaut_image, axis=2)
    assert changed.any()
    ys, xs = np.nonzero(changed)
    # Everything that changed lies inside the crop's footprint in the frame.
    corners = align.transform_points([[0, 0], [128, 0], [0, 128], [128, 128]], aligned.inverse)
    assert xs.min() >= corners[:, 0].min() - 1
    assert xs.max() <= corners[:, 0].max() + 1
    assert ys.min() >= corners[:, 1].min() - 1
    assert ys.max() <= corners[:, 1].max() + 1
    assert out.dtype == np.uint8
    assert out.shape == astronaut_image.shape


def test_full_mask_paste_reproduces_the_original_where_crop_is_unchanged(
    astronaut_image: np.ndarray,
) -> None:
    aligned = align.align(astronaut_image, _face(), 256, "arcface")
    mask = blend.box_mask(256, erode=12, blur=0)
    out = blend.paste_back(astronaut_image, aligned.crop, aligned.matrix, mask)
    inner = mask > 0.999
    # Round trip through warp and inverse warp: close to the original inside the mask.
    warped_mask = np.zeros(astronaut_image.shape[:2], bool)
    pts = (
        align.transform_points(np.argwhere(inner)[:, ::-1] + 0.0, aligned.inverse)
        .round()
        .astype(int)
    )
    warped_mask[pts[:, 1].clip(0, 511), pts[:, 0].clip(0, 511)] = True
    diff = np.abs(out.astype(int) - astronaut_image.astype(int))[warped_mask]
    assert np.median(diff) <= 6


def test_paste_outside_the_frame_is_a_no_op(astronaut_image: np.ndarray) -> None:
    face = Face(bbox=[0, 0, 10, 10], score=1, kps=KPS + 5000)
    aligned = align.align(astronaut_image, face, 128, "arcface")
    out = blend.paste_back(
        astronaut_image, aligned.crop, aligned.matrix, blend.box_mask(128, erode=2, blur=2)
    )
    assert np.array_equal(out, astronaut_image)


def test_masks_are_soft_and_bounded() -> None:
    landmarks = np.array(
        [[40 + 48 * np.cos(t), 64 + 40 * np.sin(t)] for t in np.linspace(0, 6.2, 68)], np.float32
    )
    landmarks[:, 0] += 24
    for mask in (
        blend.box_mask(128, erode=6, blur=9),
        blend.box_mask(128, erode=12, blur=5),
        blend.hull_mask(128, landmarks, erode=3, blur=5),
    ):
        assert mask.dtype == np.float32
        assert mask.shape == (128, 128)
        assert mask.min() >= 0.0
        assert mask.max() <= 1.0
        assert mask[0, 0] == 0.0
        assert mask[64, 64] > 0.99
        assert ((mask > 0.05) & (mask < 0.95)).any()  # a feathered edge


def test_box_mask_is_insightface_paste_back_mask() -> None:
    """An axis-aligned crop pasted at scale 1: insightface's mask, cut back to the crop."""
    size, pad = 128, 64
    white = np.zeros((size + 2 * pad, size + 2 * pad), np.float32)
    white[pad:-pad, pad:-pad] = 255  # inverse-warped white crop, thresholded > 20
    k = max(size // 10, 10)
    theirs = cv2.erode(white, np.ones((k, k), np.uint8), iterations=1)
    k = max(size // 20, 5)
    theirs = cv2.GaussianBlur(theirs, (2 * k + 1, 2 * k + 1), 0)[pad:-pad, pad:-pad] / 255.0
    config = PasteConfig()
    ours = blend.box_mask(size, erode=config.erode, blur=config.blur)
    # Blur 5 instead of 6 keeps the edge inside the crop: a slightly steeper edge, same place.
    assert np.abs(ours - theirs).max() < 0.2
    assert np.abs(ours - theirs).mean() < 0.03
    # The same pasted area (weight >= 0.5; insightface's even kernel erodes one side one
    # pixel less), and ours is exactly 0 on the crop's border.
    assert np.sum((ours >= 0.5) != (theirs >= 0.5)) <= 2 * size
    assert ours[0].max() == ours[-1].max() == ours[:, 0].max() == ours[:, -1].max() == 0.0


def _builtin(mode: str, model_mask: np.ndarray | None) -> np.ndarray:
    config = PasteConfig()
    return blend.builtin_mask(
        mode, 128, erode=config.erode, blur=config.blur, model_mask=model_mask, landmarks=None
    )


def test_a_model_mask_fades_out_before_the_crop_border() -> None:
    """A model's own mask is capped by the box: full inside, zero on the crop's border."""
    ones = np.ones((128, 128), np.float32)
    mask = _builtin("auto", ones)
    box = _builtin("auto", None)
    np.testing.assert_array_equal(mask, box)
    assert mask[0].max() == 0.0
    assert mask[64, 64] == 1.0
    half = np.full((128, 128), 0.5, np.float32)
    inside = _builtin("auto", half)
    assert inside[64, 64] == 0.5  # where the box is full, the model's own weight stays


def test_paste_mask_fallbacks_and_errors() -> None:
    model_mask = np.zeros((128, 128), np.float32)
    assert np.array_equal(_builtin("auto", model_mask), model_mask)
    box = _builtin("auto", None)
    assert box[64, 64] > 0.99
    with pytest.raises(ConfigError, match="mask 'model'"):
        _builtin("model", None)
    with pytest.raises(ConfigError, match="mask 'hull'"):
        _builtin("hull", None)


def test_match_color_moves_mean_towards_target() -> None:
    rng = np.random.default_rng(0)
    source = rng.integers(0, 80, (64, 64, 3), dtype=np.uint8)
    target = rng.integers(150, 255, (64, 64, 3), dtype=np.uint8)
    out = blend.match_color(source, target, np.ones((64, 64), np.float32))
    assert abs(out.mean() - target.mean()) < abs(source.mean() - target.mean()) / 4
