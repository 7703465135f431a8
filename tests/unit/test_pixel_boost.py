"""Pixel boost's split and merge: the sub-crop layout is the published one, and lossless."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.vision import pixel_boost


@given(
    factor=st.integers(1, 4),
    side=st.integers(1, 12),
    channels=st.sampled_from([(), (1,), (3,)]),
    seed=st.integers(0, 2**16),
)
def test_merge_undoes_split_bit_for_bit(
    factor: int, side: int, channels: tuple[int, ...], seed: int
) -> None:
    crop = np.random.default_rng(seed).integers(0, 256, (side * factor, side * factor, *channels))
    tiles = pixel_boost.split(crop.astype(np.uint8), factor)
    assert tiles.shape == (factor * factor, side, side, *channels)
    np.testing.assert_array_equal(pixel_boost.merge(tiles, factor), crop)


def test_sub_crop_a_b_holds_every_factor_th_pixel_from_a_b() -> None:
    """Pixel (i, j) of sub-crop (a, b) is pixel (i * s + a, j * s + b) of the crop."""
    s, n = 4, 128
    rows, cols = np.mgrid[0 : s * n, 0 : s * n]
    crop = np.stack([rows, cols], axis=-1)  # each pixel holds its own coordinates
    tiles = pixel_boost.split(crop, s)
    for a in range(s):
        for b in range(s):
            tile = tiles[a * s + b]
            i, j = 17, 93
            assert tuple(tile[i, j]) == (i * s + a, j * s + b)
            np.testing.assert_array_equal(tile[..., 0], rows[a::s, b::s])
            np.testing.assert_array_equal(tile[..., 1], cols[a::s, b::s])


@pytest.mark.parametrize(
    ("boost", "model", "factor"), [(256, 128, 2), (384, 128, 3), (512, 128, 4)]
)
def test_boost_factor(boost: int, model: int, factor: int) -> None:
    assert pixel_boost.boost_factor(boost, model) == factor


@pytest.mark.parametrize(("boost", "model"), [(384, 256), (64, 128), (200, 128)])
def test_a_boost_that_is_not_a_multiple_of_the_model_is_refused(boost: int, model: int) -> None:
    with pytest.raises(ValueError, match=f"multiple of the model's {model} px"):
        pixel_boost.boost_factor(boost, model)


def test_split_refuses_a_crop_that_does_not_divide() -> None:
    with pytest.raises(ValueError, match="cannot split"):
        pixel_boost.split(np.zeros((10, 10, 3), np.uint8), 3)
    with pytest.raises(ValueError, match="cannot merge"):
        pixel_boost.merge(np.zeros((3, 4, 4, 3), np.uint8), 2)
