"""The sharpness metric (Laplacian variance over the inner face) on inputs of known value."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from faceswap_core.eval.sharpness import face_sharpness, inner_face_mask, kept
from faceswap_core.interfaces.face import Image
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins

# Landmarks 17-67 on the corners of the rectangle x 40..160, y 50..150 (the jaw, 0-16,
# is not part of the inner face and lies elsewhere).
CORNERS = np.array([[40, 50], [160, 50], [160, 150], [40, 150]], np.float64)
RECTANGLE = np.vstack([np.full((17, 2), 5.0), CORNERS[np.arange(51) % 4]])


def _grey(values: np.ndarray[Any, Any]) -> Image:
    """A grey RGB image (R = G = B), so the grey level is exactly ``values``."""
    return np.repeat(values.astype(np.uint8)[..., None], 3, axis=2)


def test_inner_face_is_the_hull_of_points_17_to_67_eroded_by_four_pixels() -> None:
    mask = inner_face_mask((200, 220), RECTANGLE)
    expected = np.zeros((200, 220), bool)
    expected[54:147, 44:157] = True  # the filled rectangle 40..160 x 50..150, 4 px in
    assert np.array_equal(mask, expected)


@pytest.mark.parametrize("amplitude", [1, 10, 100])
def test_one_pixel_stripes_have_the_variance_worked_out_by_hand(amplitude: int) -> None:
    """Columns alternate 0 and ``a``: the Laplacian is -2a on odd columns and +2a on even ones.

    Inside the mask (columns 44..156: 57 even, 56 odd) the mean is 2a / 113,
    so the variance is 4a^2 - (2a / 113)^2.
    """
    columns = np.arange(220) % 2 * amplitude
    image = _grey(np.tile(columns, (200, 1)))
    expected = 4.0 * amplitude**2 - (2.0 * amplitude / 113) ** 2
    assert face_sharpness(image, RECTANGLE) == pytest.approx(expected, rel=1e-12)


def test_a_flat_or_linear_image_has_no_sharpness() -> None:
    assert face_sharpness(_grey(np.full((200, 220), 128)), RECTANGLE) == 0.0
    ramp = np.tile(np.arange(220) // 2, (200, 1))  # a slope: second derivative 0 almost everywhere
    assert face_sharpness(_grey(ramp), RECTANGLE) < 1.0


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.integers(1, 255))
def test_matches_scipy_laplace_on_random_images(seed: int, scale: int) -> None:
    """An independent implementation: scipy's 4-neighbour Laplacian and NumPy's variance."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, scale + 1, (200, 220))
    mask = inner_face_mask((200, 220), RECTANGLE)
    reference = float(np.var(ndimage.laplace(values.astype(np.float64))[mask]))
    assert face_sharpness(_grey(values), RECTANGLE) == pytest.approx(reference, rel=1e-9, abs=1e-9)


@pytest.fixture(scope="module")
def astronaut_landmarks(astronaut_image: Image) -> np.ndarray[Any, Any]:
    pipeline = Pipeline(plugins=FaceswapPlugins(strict=True))
    face = max(pipeline.detect(astronaut_image), key=lambda f: f.area)
    return np.asarray(pipeline.landmarker.landmarks(astronaut_image, face))


def test_blur_lowers_a_real_face_step_by_step(
    astronaut_image: Image, astronaut_landmarks: np.ndarray[Any, Any]
) -> None:
    values = [
        face_sharpness(
            astronaut_image if sigma == 0 else cv2.GaussianBlur(astronaut_image, (0, 0), sigma),
            astronaut_landmarks,
        )
        for sigma in (0, 0.5, 1.0, 2.0)
    ]
    assert values == sorted(values, reverse=True)
    assert values[-1] < 0.1 * values[0]


def test_bad_landmarks_and_faces_off_the_image_are_value_errors() -> None:
    image = _grey(np.zeros((200, 220)))
    with pytest.raises(ValueError, match="68 finite landmarks"):
        face_sharpness(image, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="68 finite landmarks"):
        face_sharpness(image, np.full((68, 2), np.nan))
    with pytest.raises(ValueError, match="larger face"):
        face_sharpness(image, RECTANGLE + 1000.0)


def test_kept_is_over_the_lesser_input() -> None:
    assert kept(300.0, 1200.0, 600.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="positive"):
        kept(1.0, 0.0, 5.0)
