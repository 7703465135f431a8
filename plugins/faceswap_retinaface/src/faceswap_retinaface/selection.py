"""Box arithmetic shared by the detectors: non-maximum suppression and face ranking."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from faceswap_core import Face
from faceswap_core.vision.boxes import iou_matrix

Boxes = npt.NDArray[np.float32]


def nms(boxes: Boxes, scores: npt.NDArray[np.float32], iou_threshold: float) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    if len(boxes) == 0:
        return []
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        overlap = iou_matrix(boxes[best], boxes[rest])[0]
        order = rest[overlap <= iou_threshold]
    return keep


def rank_faces(faces: list[Face], height: int, width: int, max_faces: int) -> list[Face]:
    """Keep the ``max_faces`` most prominent faces (0 keeps all, in detection order).

    Prominence follows insightface's default: box area minus twice the squared
    distance of the box centre from the image centre, so a large face near the
    middle wins over an equally large one at the edge.
    """
    if max_faces <= 0 or len(faces) <= max_faces:
        return faces
    cx, cy = width / 2.0, height / 2.0

    def prominence(face: Face) -> float:
        fx, fy = face.center
        return face.area - 2.0 * ((fx - cx) ** 2 + (fy - cy) ** 2)

    return sorted(faces, key=prominence, reverse=True)[:max_faces]
