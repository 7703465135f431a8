"""dlib 68/5-point landmarks placed by RetinaFace faces agree with the detector's keypoints."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap_core import Face, Image
from faceswap_retinaface.landmarkers import DlibLandmarker


def _faces(
    t1_image: Image, t1_faces: list[Face], astronaut_image: Image, astronaut_face: Face
) -> list[tuple[Image, Face]]:
    return [(t1_image, f) for f in t1_faces] + [(astronaut_image, astronaut_face)]


def _near_box(points: np.ndarray, face: Face, margin: float = 0.15) -> bool:
    pad = margin * np.array([face.width, face.height])
    return bool(((points >= face.bbox[:2] - pad) & (points <= face.bbox[2:] + pad)).all())


def test_68_points_fit_the_face(
    dlib68: DlibLandmarker,
    t1_image: Image,
    t1_faces: list[Face],
    astronaut_image: Image,
    astronaut_face: Face,
) -> None:
    eye_errors = []
    for image, face in _faces(t1_image, t1_faces, astronaut_image, astronaut_face):
        points = dlib68.landmarks(image, face)
        assert points.shape == (68, 2)
        assert points.dtype == np.float32
        assert _near_box(points, face)
        eyes = np.array([points[36:42].mean(0), points[42:48].mean(0)])
        eye_distance = float(np.linalg.norm(face.kps[1] - face.kps[0]))
        errors = np.linalg.norm(eyes - face.kps[:2], axis=1)
        # Each eye centre within a quarter of the eye distance (the detector's
        # own eye keypoint is off by that much on one turned face of t1).
        assert errors.max() < 0.25 * eye_distance, errors
        eye_errors.extend(errors / eye_distance)
        # Anatomy: brows above eyes above nose tip above mouth above chin.
        assert points[17:27, 1].mean() < eyes[:, 1].mean() < points[30, 1]
        assert points[30, 1] < points[48:68, 1].mean() < points[8, 1]
    assert float(np.mean(eye_errors)) < 0.1  # a few px on 30-50 px eye distances


def test_68_points_on_the_astronaut_are_within_a_few_pixels(
    dlib68: DlibLandmarker, astronaut_image: Image, astronaut_face: Face
) -> None:
    points = dlib68.landmarks(astronaut_image, astronaut_face)
    eyes = np.array([points[36:42].mean(0), points[42:48].mean(0)])
    assert np.linalg.norm(eyes - astronaut_face.kps[:2], axis=1).max() < 3.0
    mouth = np.array([points[48], points[54]])
    assert np.linalg.norm(mouth - astronaut_face.kps[3:], axis=1).max() < 6.0


def test_5_points_match_the_detector_eyes(
    dlib5: DlibLandmarker,
    t1_image: Image,
    t1_faces: list[Face],
    astronaut_image: Image,
    astronaut_face: Face,
) -> None:
    for image, face in _faces(t1_image, t1_faces, astronaut_image, astronaut_face):
        points = dlib5.landmarks(image, face)
        assert points.shape == (5, 2)
        assert _near_box(points, face)
        eye_distance = float(np.linalg.norm(face.kps[1] - face.kps[0]))
        # dlib orders the image-right eye first: points 2-3 are the image-left eye.
        assert np.linalg.norm(points[2:4].mean(0) - face.kps[0]) < 0.25 * eye_distance
        assert np.linalg.norm(points[0:2].mean(0) - face.kps[1]) < 0.25 * eye_distance
        assert points[4, 1] > points[:4, 1].max()  # nose base below the eyes


def test_landmarks_follow_a_rotated_face(
    dlib68: DlibLandmarker, retinaface: object, astronaut_image: Image
) -> None:
    import cv2

    matrix = cv2.getRotationMatrix2D((256, 256), 30, 1.0)
    rotated = cv2.warpAffine(astronaut_image, matrix, (512, 512))
    (face,) = retinaface.detect(rotated)  # type: ignore[attr-defined]
    points = dlib68.landmarks(rotated, face)
    eyes = np.array([points[36:42].mean(0), points[42:48].mean(0)])
    assert np.linalg.norm(eyes - face.kps[:2], axis=1).max() < 5.0


@pytest.mark.parametrize("points", [68, 5])
def test_model_info_and_license(points: int) -> None:
    info = DlibLandmarker(points).model_info
    assert info.file == f"shape_predictor_{points}_face_landmarks.dat"
    assert ("non-commercial" in info.license) == (points == 68)
