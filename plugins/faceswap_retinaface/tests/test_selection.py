"""Face ranking and NMS against values worked out by hand."""

from __future__ import annotations

import numpy as np

from faceswap_core import Face
from faceswap_retinaface.selection import nms, rank_faces


def face(x1: float, y1: float, x2: float, y2: float, score: float = 0.9) -> Face:
    kps = np.tile([[(x1 + x2) / 2, (y1 + y2) / 2]], (5, 1)).astype(np.float32)
    return Face(bbox=np.array([x1, y1, x2, y2], np.float32), score=score, kps=kps)


# In a 100 x 100 image (centre 50, 50), prominence = area - 2 * squared distance to the centre:
#   centre  (40, 40, 60, 60): area 400, centre (50, 50), distance^2 0      ->   400
#   right   (60, 40, 80, 60): area 400, centre (70, 50), distance^2 400    ->  -400
#   low     (45, 70, 55, 80): area 100, centre (50, 75), distance^2 625    -> -1150
#   corner  ( 0,  0, 30, 30): area 900, centre (15, 15), distance^2 2450   -> -4000
CENTRE = face(40, 40, 60, 60)
RIGHT = face(60, 40, 80, 60)
LOW = face(45, 70, 55, 80)
CORNER = face(0, 0, 30, 30)


def test_rank_keeps_the_most_prominent_not_the_largest() -> None:
    faces = [CORNER, CENTRE, LOW, RIGHT]
    assert rank_faces(faces, 100, 100, 2) == [CENTRE, RIGHT]  # the largest (corner) is dropped
    assert rank_faces(faces, 100, 100, 3) == [CENTRE, RIGHT, LOW]
    assert rank_faces(faces, 100, 100, 0) == faces  # 0 keeps all, in detection order
    assert rank_faces(faces, 100, 100, 4) == faces


def test_nms_drops_the_weaker_of_overlapping_boxes() -> None:
    # a and b overlap: intersection 80 x 100 = 8000, union 10000 + 10000 - 8000 = 12000,
    # IoU 0.667; c is apart.
    boxes = np.array([[0, 0, 100, 100], [20, 0, 120, 100], [300, 300, 350, 350]], np.float32)
    scores = np.array([0.8, 0.9, 0.5], np.float32)
    assert nms(boxes, scores, 0.4) == [1, 2]  # b beats a (higher score), c stays
    assert nms(boxes, scores, 0.7) == [1, 0, 2]  # 0.667 <= 0.7: both kept, best first
