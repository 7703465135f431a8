"""Box arithmetic shared by the detectors: non-maximum suppression and face ranking."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from faceswap_core import Face

Boxes = npt.NDArray[np.float32]


def nms(boxes: Boxes, scores: npt.NDArray[np.float32], iou_threshold: float) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    if len(boxes) == 0:
        return []
    x1, y1, x2, y2 = (boxes[:, i].astype(np.float64) for i in range(4))
    areas = np.maximum(x2 - x1, 0.0) * np.maximum(y2 - y1, 0.0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]))
        h = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]))
        inter = w * h
        union = areas[best] + areas[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[iou <= iou_threshold]
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
