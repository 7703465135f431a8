"""The one IoU (vision/boxes.py) and the places that match faces with it."""

from __future__ import annotations

import numpy as np

from faceswap_core.eval.scoring import match_face
from faceswap_core.interfaces.face import Face
from faceswap_core.vision.boxes import box_areas, iou_matrix

KPS = np.zeros((5, 2), np.float32)


def _face(x1: float, y1: float, x2: float, y2: float) -> Face:
    return Face(bbox=np.array([x1, y1, x2, y2], np.float32), score=0.9, kps=KPS)


def test_areas_and_iou_of_degenerate_boxes_by_hand() -> None:
    assert box_areas([[0, 0, 4, 5], [3, 3, 1, 1]]).tolist() == [20.0, 0.0]  # inverted: none
    # an empty box overlaps nothing, itself included (no 0 / 0)
    assert iou_matrix([[2, 2, 2, 2]], [[2, 2, 2, 2], [0, 0, 4, 4]]).tolist() == [[0.0, 0.0]]


def test_the_swapped_face_is_found_again_by_the_largest_overlap() -> None:
    target = _face(0, 0, 10, 10)
    # overlaps 1/3 (5x10 of 150) and 0.81 (9x9 of 100): the second one, found in any order
    near, nearer = _face(5, 0, 15, 10), _face(1, 1, 10, 10)
    assert match_face([near, nearer], target) is nearer
    assert match_face([nearer, near], target) is nearer
    assert match_face([near], target, threshold=0.34) is None  # 1/3 is not enough
    assert match_face([near], target, threshold=1 / 3) is near
    assert match_face([], target) is None
    # equal overlaps: the first found, as before
    twin = _face(1, 1, 10, 10)
    assert match_face([nearer, twin], target) is nearer
