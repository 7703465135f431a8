"""Box geometry: intersection over union, the one overlap measure of the project.

Boxes are ``(x1, y1, x2, y2)`` in pixels; a box with no area overlaps
nothing (IoU 0). Tracking matches detections to tracks with it, evaluation
finds the swapped face again in the result with it, and detectors suppress
duplicate boxes (non-maximum suppression) with it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def iou_matrix(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Intersection over union of every box in ``a`` (N x 4) with every box in ``b`` (M x 4)."""
    boxes_a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    x1 = np.maximum(boxes_a[:, None, 0], boxes_b[None, :, 0])
    y1 = np.maximum(boxes_a[:, None, 1], boxes_b[None, :, 1])
    x2 = np.minimum(boxes_a[:, None, 2], boxes_b[None, :, 2])
    y2 = np.minimum(boxes_a[:, None, 3], boxes_b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = box_areas(boxes_a)[:, None] + box_areas(boxes_b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def box_areas(boxes: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Area of each box (N x 4); an inverted box has none."""
    array = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.clip(array[:, 2] - array[:, 0], 0, None) * np.clip(array[:, 3] - array[:, 1], 0, None)


__all__ = ["box_areas", "iou_matrix"]
