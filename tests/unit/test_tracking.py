"""Tracking: IoU matching, stable ids, optical flow on a real face, scene cuts."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.vision.boxes import iou_matrix
from faceswap_core.vision.tracking import SceneCutDetector, Tracker, move_face

KPS = np.array([[30, 30], [50, 30], [40, 40], [32, 50], [48, 50]], np.float32)


def _face(x: float, y: float, size: float = 60.0) -> Face:
    return Face(bbox=[x, y, x + size, y + size], score=0.9, kps=KPS + np.float32([x, y]))


def _blank() -> Image:
    return np.zeros((240, 320, 3), np.uint8)


def test_iou_by_hand() -> None:
    # Two 10x10 boxes overlapping by 5x10: 50 / (100 + 100 - 50) = 1/3; disjoint: 0.
    out = iou_matrix([[0, 0, 10, 10]], [[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]])
    assert np.allclose(out, [[1 / 3, 0.0, 1.0]])
    assert iou_matrix(np.zeros((0, 4)), [[0, 0, 1, 1]]).shape == (0, 1)


def test_ids_stay_with_their_faces_and_new_faces_get_new_ids() -> None:
    tracker = Tracker(iou_threshold=0.3, max_missed=1)
    first = tracker.update(_blank(), [_face(10, 10), _face(200, 10)])
    ids = {round(float(t.face.bbox[0])): t.id for t in first}
    assert sorted(ids.values()) == [0, 1]
    # Both moved a little, listed in the other order, and a third face appears.
    second = tracker.update(_blank(), [_face(205, 12), _face(100, 150), _face(14, 10)])
    by_x = {round(float(t.face.bbox[0])): t.id for t in second}
    assert by_x[14] == ids[10]
    assert by_x[205] == ids[200]
    assert by_x[100] == 2
    assert all(t.face.track_id == t.id for t in second)


def test_a_missed_face_keeps_its_id_for_max_missed_rounds() -> None:
    tracker = Tracker(max_missed=1)
    (track,) = tracker.update(_blank(), [_face(10, 10)])
    assert tracker.update(_blank(), []) == []  # missed once: hidden, kept
    (back,) = tracker.update(_blank(), [_face(12, 10)])
    assert back.id == track.id
    tracker.update(_blank(), [])
    tracker.update(_blank(), [])  # missed twice: ended
    (new,) = tracker.update(_blank(), [_face(12, 10)])
    assert new.id != track.id


def test_a_far_detection_does_not_steal_an_id() -> None:
    tracker = Tracker(iou_threshold=0.3)
    (track,) = tracker.update(_blank(), [_face(10, 10)])
    (other,) = tracker.update(_blank(), [_face(150, 150)])
    assert other.id != track.id


@pytest.fixture(scope="module")
def astronaut_face(astronaut_image: Image) -> Face:
    plugins = FaceswapPlugins(strict=True)
    detector = plugins.build("detector", "retinaface", context=build_context(plugins))
    (face,) = detector.detect(astronaut_image)
    return face


@pytest.mark.parametrize(
    "matrix",
    [
        [[1.0, 0.0, 3.0], [0.0, 1.0, -2.0]],  # a 3 px / -2 px pan
        [[1.04, 0.0, -9.0], [0.0, 1.04, -4.0]],  # a 4 % zoom
    ],
)
def test_optical_flow_follows_a_known_camera_move(
    astronaut_image: Image, astronaut_face: Face, matrix: list[list[float]]
) -> None:
    camera = np.array(matrix, np.float64)
    height, width = astronaut_image.shape[:2]
    moved = cv2.warpAffine(astronaut_image, camera, (width, height), flags=cv2.INTER_LINEAR)
    tracker = Tracker()
    tracker.update(astronaut_image, [astronaut_face])
    (track,) = tracker.follow(moved)
    truth = astronaut_face.kps @ camera[:, :2].T + camera[:, 2]
    assert np.abs(track.face.kps - truth).max() < 0.5
    assert not tracker.needs_detection


def test_a_face_that_cannot_be_followed_is_lost_and_asks_for_detection(
    astronaut_image: Image, astronaut_face: Face
) -> None:
    tracker = Tracker()
    tracker.update(astronaut_image, [astronaut_face])
    assert tracker.follow(np.full_like(astronaut_image, 128)) == []
    assert tracker.needs_detection
    (again,) = tracker.update(astronaut_image, [astronaut_face])
    assert not tracker.needs_detection
    assert again.id == 0


def test_move_face_moves_box_points_and_landmarks() -> None:
    face = _face(10, 20).evolve(landmarks=np.tile(KPS, (2, 1)))
    shift = np.array([[2.0, 0.0, 5.0], [0.0, 2.0, -5.0]])  # scale 2 then shift
    out = move_face(face, shift)
    assert np.allclose(out.kps, (KPS + np.float32([10, 20])) * 2 + np.float32([5, -5]))
    assert out.landmarks is not None
    assert np.allclose(out.landmarks, np.tile(KPS, (2, 1)) * 2 + [5, -5])
    assert np.allclose([out.width, out.height], [120, 120])
    assert np.allclose(out.center, np.array(face.center) * 2 + [5, -5])


def test_scene_cuts_are_cuts_and_pans_are_not(astronaut_image: Image, t1_image: Image) -> None:
    detector = SceneCutDetector()  # default 0.12: pans measure below 0.03, cuts above 0.2
    assert detector(astronaut_image) is False  # the first frame is never a cut
    height, width = astronaut_image.shape[:2]
    for step in range(1, 6):  # a pan of 6 px per frame
        pan = np.array([[1.0, 0.0, -6.0 * step], [0.0, 1.0, 0.0]])
        frame = cv2.warpAffine(astronaut_image, pan, (width, height), borderMode=cv2.BORDER_REFLECT)
        assert detector(frame) is False
    assert detector(cv2.resize(t1_image, (width, height))) is True
    with pytest.raises(ValueError, match="threshold"):
        SceneCutDetector(0.0)
