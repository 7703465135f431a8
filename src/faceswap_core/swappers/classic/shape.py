"""Face-shape transfer: bend the target's face outline and features to the source's proportions.

Texture alone leaves the target's jaw line, eye spacing and nose length in
place, and those carry much of what makes a face recognisable. So before the
texture is pasted, the target crop is morphed: its 68 landmarks move to the
source's landmarks (fitted onto the target by a similarity transform, so pose
and size stay the target's), and the pixels around the face bend along with
them inside a ring that stays fixed, so nothing outside the ring moves.

The mouth keeps the target's expression: it moves and scales with the
source's mouth position and width, but its shape (open, closed, smiling) is
the target's.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap_core.interfaces.face import FloatArray, Image
from faceswap_core.swappers.classic import masks
from faceswap_core.swappers.classic.symmetry import yaw
from faceswap_core.swappers.classic.warp import border_points, remap_fields, triangulate, warp

MOUTH = slice(48, 68)
# A turned face's 2-D landmarks describe its pose more than its proportions, so
# shape transfer fades out as either face turns (yaw from :func:`.symmetry.yaw`)
# and is off beyond this yaw.
MAX_YAW = 0.4
# How far the mesh reaches up the forehead (fraction of brow-to-chin distance).
MESH_FOREHEAD = 0.3


def fit_onto(source: FloatArray, target: FloatArray) -> FloatArray:
    """``source`` landmarks moved onto ``target`` by the best similarity transform."""
    matrix, _ = cv2.estimateAffinePartial2D(
        np.asarray(source, np.float32), np.asarray(target, np.float32), method=cv2.LMEDS
    )
    if matrix is None:  # degenerate landmarks: keep the target's shape
        return np.asarray(target, np.float32).copy()
    moved = np.asarray(source, np.float32) @ matrix[:, :2].T + matrix[:, 2]
    return moved.astype(np.float32)


def blended_shape(source: FloatArray, target: FloatArray, amount: float) -> FloatArray:
    """Target landmarks moved ``amount`` of the way to the source's proportions.

    The mouth is moved and scaled as a whole, keeping the target's expression.
    """
    target = np.asarray(target, np.float32)
    fitted = fit_onto(source, target)
    shape = (1.0 - amount) * target + amount * fitted
    mouth_t, mouth_s = target[MOUTH], fitted[MOUTH]
    width_t = float(np.linalg.norm(mouth_t[6] - mouth_t[0])) or 1.0
    width_s = float(np.linalg.norm(mouth_s[6] - mouth_s[0])) or width_t
    scale = 1.0 + amount * (width_s / width_t - 1.0)
    centre_t = mouth_t.mean(axis=0)
    centre = (1.0 - amount) * centre_t + amount * mouth_s.mean(axis=0)
    shape[MOUTH] = centre + (mouth_t - centre_t) * np.float32(scale)
    return shape.astype(np.float32)


def pose_weight(source: FloatArray, target: FloatArray) -> float:
    """1 for two frontal faces, falling linearly to 0 as either turns to ``MAX_YAW``."""
    turn = max(abs(yaw(source)), abs(yaw(target)))
    return float(np.clip(1.0 - turn / MAX_YAW, 0.0, 1.0))


def ring(landmarks: FloatArray, margin: float, size: int) -> FloatArray:
    """Fixed anchors around the face: its outline scaled by ``margin`` about its centre."""
    outline = masks.outline(landmarks, MESH_FOREHEAD)
    centre = outline.mean(axis=0)
    anchors = centre + (outline - centre) * np.float32(margin)
    clipped: FloatArray = np.clip(anchors, 1.0, size - 2.0).astype(np.float32)
    return clipped


def morph(
    crop: Image, before: FloatArray, after: FloatArray, anchors: FloatArray, step: int = 1
) -> Image:
    """``crop`` with its landmarks moved from ``before`` to ``after``; ``anchors`` stay put.

    Only triangles with a moving corner change pixels (the others join fixed
    anchors and border points: the identity), so only their bounding box is
    resampled and the rest of the crop is copied as it is. ``step``: see
    :func:`.warp.remap_fields`.
    """
    size = crop.shape[0]
    fixed = np.vstack([anchors, border_points(size)])
    src = np.vstack([before, masks.forehead_points(before, MESH_FOREHEAD), fixed])
    dst = np.vstack([after, masks.forehead_points(after, MESH_FOREHEAD), fixed])
    src, dst = src.astype(np.float32), dst.astype(np.float32)
    triangles = triangulate(dst)
    moving = (triangles < len(src) - len(fixed)).any(axis=1)
    if not moving.any():
        return crop.copy()
    corners = dst[triangles[moving].ravel()]
    x0, y0 = (max(int(v), 0) for v in np.floor(corners.min(axis=0)))
    x1, y1 = (min(int(v) + 2, size) for v in np.ceil(corners.max(axis=0)))
    out = crop.copy()
    box = (x0, y0, x1 - x0, y1 - y0)
    out[y0:y1, x0:x1] = warp(crop, remap_fields(src, dst, triangles, box, step))
    return out


def ring_mask(anchors: FloatArray, size: int, feather: int) -> FloatArray:
    """The region the morph may change: inside the anchor ring, ramped ``2 * feather`` px in."""
    region = np.zeros((size, size), np.float32)
    hull = cv2.convexHull(np.round(anchors).astype(np.int32))
    cv2.fillConvexPoly(region, hull, 1.0)
    return masks.ramp(region, 2 * feather)
