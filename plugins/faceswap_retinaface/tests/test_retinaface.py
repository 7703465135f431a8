"""RetinaFace MobileNet-0.25 on real faces: counts, keypoints, batching, limits, bad inputs."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage import data

from faceswap_core import Face, Image
from faceswap_core.errors import InvalidImageError
from faceswap_retinaface.configs import RetinaFaceConfig
from faceswap_retinaface.retinaface import RetinaFaceDetector, prior_boxes
from faceswap_retinaface.selection import rank_faces


def _assert_plausible(face: Face) -> None:
    x1, y1, x2, y2 = face.bbox
    assert x2 > x1
    assert y2 > y1
    inside = (face.kps >= [x1, y1]) & (face.kps <= [x2, y2])
    assert inside.all(), (face.bbox, face.kps)
    left_eye, right_eye, nose, left_mouth, right_mouth = face.kps
    assert left_eye[0] < right_eye[0]
    assert left_mouth[0] < right_mouth[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < max(left_mouth[1], right_mouth[1])


def test_finds_the_six_faces_of_t1(t1_faces: list[Face], t1_image: Image) -> None:
    assert len(t1_faces) == 6
    for face in t1_faces:
        _assert_plausible(face)
        assert face.score >= RetinaFaceConfig().score_threshold
        assert 60 < face.width < 200  # the t1 faces are 90-120 px wide
    centres = sorted(face.center[0] for face in t1_faces)
    assert np.min(np.diff(centres)) > 50  # six distinct people, no duplicates
    assert all(0 <= c <= t1_image.shape[1] for c in centres)


def test_finds_the_astronaut(astronaut_face: Face) -> None:
    _assert_plausible(astronaut_face)
    # Eileen Collins' face sits in the top middle of the 512 x 512 portrait.
    cx, cy = astronaut_face.center
    assert 180 < cx < 280
    assert 60 < cy < 180


def test_keypoints_follow_the_arcface_template_on_an_aligned_face(
    retinaface: RetinaFaceDetector, tom_hanks_image: Image
) -> None:
    # The Tom Hanks sample is already an ArcFace-aligned 112 px crop.
    from faceswap_core.vision.align import ARCFACE_TEMPLATE_112

    (face,) = retinaface.detect(tom_hanks_image)
    assert np.abs(face.kps - ARCFACE_TEMPLATE_112).max() < 8.0


def test_no_faces_in_images_without_people(retinaface: RetinaFaceDetector) -> None:
    for image in (data.coffee(), data.chelsea(), np.zeros((240, 320, 3), np.uint8)):
        assert retinaface.detect(image) == []


def test_coordinates_scale_with_the_image(
    retinaface: RetinaFaceDetector, astronaut_image: Image, astronaut_face: Face
) -> None:
    bigger = cv2.resize(astronaut_image, (1024, 1024), interpolation=cv2.INTER_LINEAR)
    (face,) = retinaface.detect(bigger)
    np.testing.assert_allclose(face.bbox / 2, astronaut_face.bbox, atol=4)
    np.testing.assert_allclose(face.kps / 2, astronaut_face.kps, atol=3)


def test_batch_equals_single(
    retinaface: RetinaFaceDetector, t1_image: Image, astronaut_image: Image
) -> None:
    frames = [t1_image, astronaut_image, t1_image[:, ::-1].copy(), astronaut_image]
    batched = retinaface.detect_batch(frames)
    assert len(batched) == len(frames)
    for frame, faces in zip(frames, batched, strict=True):
        single = retinaface.detect(frame)
        assert len(faces) == len(single)
        for a, b in zip(faces, single, strict=True):
            np.testing.assert_allclose(a.bbox, b.bbox, atol=1e-2)
            np.testing.assert_allclose(a.kps, b.kps, atol=1e-2)
            assert a.score == pytest.approx(b.score, abs=1e-4)
    assert retinaface.detect_batch([]) == []


def test_max_faces_keeps_the_most_prominent(t1_image: Image, t1_faces: list[Face]) -> None:
    detector = RetinaFaceDetector(RetinaFaceConfig(max_faces=2))
    kept = detector.detect(t1_image)
    height, width = t1_image.shape[:2]
    # rank_faces is checked against hand-worked values in test_selection.py.
    expected = rank_faces(t1_faces, height, width, 2)
    np.testing.assert_allclose([f.bbox for f in kept], [f.bbox for f in expected], atol=1e-3)
    assert len(kept) == 2


def test_smaller_det_size_still_finds_t1_faces(t1_image: Image) -> None:
    faces = RetinaFaceDetector(RetinaFaceConfig(det_size=320)).detect(t1_image)
    assert len(faces) == 6
    for face in faces:
        _assert_plausible(face)


def test_score_threshold_filters(retinaface: RetinaFaceDetector, t1_image: Image) -> None:
    loose = RetinaFaceDetector(RetinaFaceConfig(score_threshold=0.05)).detect(t1_image)
    strict = RetinaFaceDetector(RetinaFaceConfig(score_threshold=0.999)).detect(t1_image)
    assert len(loose) > 6 > len(strict)
    assert all(f.score >= 0.999 for f in strict)


@pytest.mark.parametrize(("height", "width"), [(480, 640), (301, 517), (64, 40)])
def test_prior_boxes_match_the_network_outputs(
    retinaface: RetinaFaceDetector, height: int, width: int
) -> None:
    blob = np.zeros((1, 3, height, width), np.float32)
    outputs = retinaface.session.run({"input": blob})
    assert prior_boxes(height, width).shape == (outputs["loc"].shape[1], 4)


BAD_DTYPES = st.sampled_from([np.float32, np.float64, np.int32, np.uint16, np.int8, bool])


@settings(max_examples=25, deadline=None)
@given(image=hnp.arrays(BAD_DTYPES, st.tuples(st.integers(8, 20), st.integers(8, 20), st.just(3))))
def test_wrong_dtype_is_invalid_image(retinaface: RetinaFaceDetector, image: Any) -> None:
    with pytest.raises(InvalidImageError, match="dtype"):
        retinaface.detect(image)


@settings(max_examples=25, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=12))
def test_wrong_shape_is_invalid_image(
    retinaface: RetinaFaceDetector, shape: tuple[int, ...]
) -> None:
    image = np.zeros(shape, np.uint8)
    valid = len(shape) == 3 and shape[2] == 3
    if valid:
        assert retinaface.detect(image) == []  # all black: no face at any size
    else:
        with pytest.raises(InvalidImageError):
            retinaface.detect(image)
        with pytest.raises(InvalidImageError, match=r"images\[1\]"):
            retinaface.detect_batch([np.zeros((16, 16, 3), np.uint8), image])


def test_non_arrays_are_invalid_images(retinaface: RetinaFaceDetector) -> None:
    with pytest.raises(InvalidImageError, match="numpy uint8 array"):
        retinaface.detect(b"\xff\xd8 not decoded")  # type: ignore[arg-type]
