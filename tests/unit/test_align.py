"""Alignment templates agree with insightface and the inverse transform is exact."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.interfaces.face import Face
from faceswap_core.vision import align

KPS = np.array([[100, 120], [160, 118], [130, 150], [105, 180], [155, 178]], np.float64)


@pytest.mark.parametrize(
    ("size", "kind"), [(112, "arcface"), (224, "arcface"), (128, "inswapper"), (256, "inswapper")]
)
def test_estimate_matches_insightface_face_align(size: int, kind: str) -> None:
    from insightface.utils import face_align

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = face_align.estimate_norm(KPS, size)
    np.testing.assert_allclose(align.estimate(KPS, size, kind), expected, atol=1e-4)


def test_inswapper_template_is_shifted_eight_pixels_per_128() -> None:
    shift = align.template(256, "inswapper") - align.template(256, "arcface") * np.float32(
        112 / 128
    )
    np.testing.assert_allclose(shift[:, 0], 16.0, atol=1e-4)
    np.testing.assert_allclose(shift[:, 1], 0.0, atol=1e-4)


def test_template_rejects_unknown_kind_and_tiny_size() -> None:
    with pytest.raises(ValueError, match="unknown alignment template"):
        align.template(112, "nope")
    with pytest.raises(ValueError, match="at least 16"):
        align.template(8)


def test_classic_template_keeps_the_face_inside_the_crop() -> None:
    points = align.template(256, "classic")
    assert points.min() > 256 * 0.25
    assert points.max() < 256 * 0.75


@settings(max_examples=40, deadline=None)
@given(
    scale=st.floats(0.3, 4.0),
    angle=st.floats(-1.0, 1.0),
    tx=st.floats(-300, 300),
    ty=st.floats(-300, 300),
)
def test_inverse_maps_template_back_to_keypoints(
    scale: float, angle: float, tx: float, ty: float
) -> None:
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    kps = (align.template(112) @ rotation.T) * scale + [tx, ty]
    matrix = align.estimate(kps, 112)
    np.testing.assert_allclose(align.transform_points(kps, matrix), align.template(112), atol=1e-2)
    back = align.transform_points(align.template(112), align.invert(matrix))
    np.testing.assert_allclose(back, kps, atol=1e-2 * max(scale, 1))


def test_align_puts_face_keypoints_on_the_template(astronaut_image: np.ndarray) -> None:
    kps = align.template(112) * 1.5 + np.float32([170, 80])  # a similarity image of the template
    face = Face(bbox=[150, 60, 360, 280], score=0.9, kps=kps, landmarks=np.tile(kps, (2, 1)))
    aligned = align.align(astronaut_image, face, 128, "inswapper")
    assert aligned.crop.shape == (128, 128, 3)
    assert aligned.crop.dtype == np.uint8
    np.testing.assert_allclose(aligned.face.kps, align.template(128, "inswapper"), atol=0.05)
    assert aligned.face.landmarks is not None
    assert aligned.face.landmarks.shape == (10, 2)
    np.testing.assert_allclose(aligned.inverse, align.invert(aligned.matrix))


@pytest.mark.parametrize(("size", "kind"), [(112, "arcface"), (224, "arcface"), (128, "inswapper")])
def test_aligned_crop_matches_insightface_norm_crop_on_a_real_face(
    astronaut_image: np.ndarray, size: int, kind: str
) -> None:
    """Pixel for pixel (within 1 level) against insightface's own ``face_align.norm_crop``.

    The keypoints are RetinaFace's on the astronaut, written out so this test
    needs no detector plugin (``nox -s core`` runs it with core alone).
    """
    from insightface.utils import face_align

    kps = np.array(
        [[202.9, 101.3], [247.1, 103.3], [223.3, 129.8], [200.6, 139.0], [245.5, 140.8]],
        np.float32,
    )
    face = Face(bbox=[180, 60, 270, 170], score=0.99, kps=kps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = face_align.norm_crop(astronaut_image, face.kps, image_size=size)
    crop = align.align(astronaut_image, face, size, kind).crop
    assert crop.shape == expected.shape == (size, size, 3)
    difference = np.abs(crop.astype(np.int16) - expected.astype(np.int16))
    assert difference.max() <= 1


# -- native crops (the classic swapper's): the image's own pixels, sized to the face --------


def _box_face(x: float, y: float, width: float, height: float) -> Face:
    kps = np.array([[x + 0.3 * width, y + 0.4 * height]] * 5, np.float32)
    return Face(bbox=[x, y, x + width, y + height], score=0.9, kps=kps)


@settings(max_examples=60, deadline=None)
@given(
    x=st.floats(-80, 560),
    y=st.floats(-80, 560),
    width=st.floats(8, 400),
    height=st.floats(8, 400),
    largest=st.sampled_from([128, 256, 1024]),
)
def test_native_crop_is_the_image_at_its_own_resolution(
    astronaut_image: np.ndarray, x: float, y: float, width: float, height: float, largest: int
) -> None:
    """Whole-pixel offset, no rotation, no scaling; mirrored past the border; exact back."""
    from faceswap_core.vision.blend import paste_back

    face = _box_face(x, y, width, height)
    aligned = align.align(astronaut_image, face, largest, align.NATIVE)
    side = aligned.size
    assert aligned.crop.shape == (side, side, 3)
    assert aligned.kind == align.NATIVE
    assert side % align.NATIVE_STEP == 0 or side == largest
    assert 64 <= side <= max(largest, 64)
    wanted = align.NATIVE_FRAMING * max(width, height)
    if wanted <= largest:
        assert wanted <= side < max(wanted + align.NATIVE_STEP, 64 + 1)
        x0, y0 = -aligned.matrix[:, 2]
        assert aligned.matrix[:, :2].tolist() == [[1.0, 0.0], [0.0, 1.0]]
        assert float(x0).is_integer()
        assert float(y0).is_integer()
        # Every pixel is the image's own pixel at that offset, mirrored (reflect-101) outside it.
        rows = np.arange(side) + int(y0)
        cols = np.arange(side) + int(x0)
        height_px, width_px = astronaut_image.shape[:2]

        def reflect(index: np.ndarray, length: int) -> np.ndarray:
            period = 2 * length - 2
            index = np.mod(index, period)
            return np.where(index >= length, period - index, index)

        expected = astronaut_image[np.ix_(reflect(rows, height_px), reflect(cols, width_px))]
        assert np.array_equal(aligned.crop, expected)
        # Pasting the crop back unchanged leaves the image byte-identical.
        mask = np.ones((side, side), np.float32)
        assert np.array_equal(
            paste_back(astronaut_image, aligned.crop, aligned.matrix, mask), astronaut_image
        )
    else:
        assert side == largest
        scale = aligned.matrix[0, 0]
        assert aligned.matrix[1, 1] == scale
        assert aligned.matrix[0, 1] == aligned.matrix[1, 0] == 0.0
        assert scale == pytest.approx(largest / wanted, rel=0.02)
    # The face's box lands inside the crop, centred.
    box = aligned.face.bbox
    assert min(box[0], box[1]) >= -1
    assert max(box[2], box[3]) <= side + 1
    np.testing.assert_allclose((box[:2] + box[2:]) / 2, side / 2, atol=1.0)


def test_native_crop_covers_the_landmarks_too() -> None:
    kps = np.array([[100, 100]] * 5, np.float32)
    landmarks = np.array([[50, 40], [260, 300]] * 34, np.float32)  # beyond the small box
    face = Face(bbox=[90, 90, 130, 130], score=0.9, kps=kps, landmarks=landmarks)
    side, scale = align.native_size(face, 1024)
    assert scale == 1.0
    assert side >= align.NATIVE_FRAMING * 260  # the landmarks' extent, not the box's


ASTRONAUT_KPS = np.array(
    [[202.9, 101.3], [247.1, 103.3], [223.3, 129.8], [200.6, 139.0], [245.5, 140.8]], np.float64
)
"""The five keypoints RetinaFace finds on scikit-image's astronaut (rounded)."""


@pytest.mark.parametrize(("size", "kind"), [(112, "arcface"), (128, "inswapper")])
def test_crop_of_a_face_at_the_frame_edge_matches_insightface_norm_crop(
    astronaut_image: np.ndarray, size: int, kind: str
) -> None:
    from insightface.utils import face_align

    # Cut the frame through the face: its left half and the top of its forehead are gone.
    left, top = 215, 80
    frame = np.ascontiguousarray(astronaut_image[top:, left:])
    kps = ASTRONAUT_KPS - [left, top]
    face = Face(bbox=np.array([0, 0, 60, 100], np.float32), score=1.0, kps=kps)
    ours = align.align(frame, face, size, kind).crop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = face_align.norm_crop(frame, kps, size)
    outside = ~np.any(theirs > 0, axis=2)
    assert outside.mean() > 0.2  # a real share of the crop lies outside the frame
    assert np.all(ours[outside] == 0)  # ... and is black, not the mirrored face
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert diff.max() <= 1  # the same warp (transforms agree to 1e-4 px)


def test_classic_crops_still_mirror_the_frame_at_its_edge(astronaut_image: np.ndarray) -> None:
    frame = np.ascontiguousarray(astronaut_image[80:, 215:])
    face = Face(
        bbox=np.array([0, 0, 60, 100], np.float32), score=1.0, kps=ASTRONAUT_KPS - [215, 80]
    )
    black = ~np.any(align.align(frame, face, 128, "classic").crop, axis=2)
    assert black.mean() < 0.05  # the suit's dark pixels only: no black band for the warp
