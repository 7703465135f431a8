"""Paste-back: put a swapped aligned crop into the frame through the inverse affine.

Only pixels under the (soft) mask change; everything outside the pasted region
stays byte-identical to the input frame.
"""

from __future__ import annotations

import functools
from typing import Any

import cv2
import numpy as np

from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import FloatArray, Image
from faceswap_core.vision.align import Matrix, invert, transform_points


def _odd(value: float) -> int:
    k = max(round(value), 1)
    return k if k % 2 == 1 else k + 1


def soften(mask: FloatArray, *, erode: float, blur: float) -> FloatArray:
    """Erode then Gaussian-blur a [0, 1] mask (sizes in pixels of this mask)."""
    out = np.asarray(mask, dtype=np.float32)
    if erode >= 1:
        k = _odd(erode)
        out = np.asarray(cv2.erode(out, np.ones((k, k), np.uint8)), np.float32)
    if blur >= 1:
        k = _odd(blur * 2 + 1)
        out = np.asarray(cv2.GaussianBlur(out, (k, k), 0), np.float32)
    return np.clip(out, 0.0, 1.0)


def box_mask(size: int, *, erode: float, blur: float) -> FloatArray:
    """The whole crop, eroded and blurred at its edges: insightface's paste-back mask.

    It depends only on its arguments, so it is made once per size and kept
    (read-only): a video pays for it on its first frame.

    insightface (``INSwapper.get``) warps a white crop into the frame, erodes
    it with a ``k`` x ``k`` kernel, ``k = mask_size // 10``, and blurs it with a
    ``2 * (mask_size // 20) + 1`` Gaussian. This is the same in crop pixels:
    the crop is surrounded by zeros (the frame beyond it), eroded with an
    ``erode`` kernel (``erode / 2`` per edge) and blurred with a ``2 * blur + 1``
    kernel, so the weight reaches 0.5 about ``erode / 2`` from the edge and the
    face is pasted down to the chin. The erosion is at least ``blur + 1`` per
    edge, so the blurred edge ends inside the crop: its outermost pixels stay 0
    and the paste has no step at the crop's border.
    """
    return _box_mask(int(size), float(erode), float(blur))


@functools.lru_cache(maxsize=32)
def _box_mask(size: int, erode: float, blur: float) -> FloatArray:
    blur_side = _odd(blur * 2 + 1) if blur >= 1 else 1
    k = _odd(max(erode, blur_side + 2 if blur >= 1 else 3))
    out = np.asarray(
        cv2.erode(
            np.ones((size, size), np.float32),
            np.ones((k, k), np.uint8),
            borderType=cv2.BORDER_CONSTANT,
            borderValue=0,
        ),
        np.float32,
    )
    if blur >= 1:
        out = np.asarray(
            cv2.GaussianBlur(out, (blur_side, blur_side), 0, borderType=cv2.BORDER_CONSTANT),
            np.float32,
        )
    kept: FloatArray = np.clip(out, 0.0, 1.0)
    kept.setflags(write=False)
    return kept


def hull_mask(size: int, landmarks: FloatArray, *, erode: float, blur: float) -> FloatArray:
    """The convex hull of the landmarks, with the brow line raised to cover the forehead."""
    points = np.asarray(landmarks, np.float32).copy()
    if len(points) == 68:
        chin = points[8]
        brows = points[17:27]
        # Lift the brows by a fifth of the brow-to-chin distance.
        lift = (chin - brows.mean(axis=0)) * 0.2
        points = np.vstack([points, brows - lift])
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    mask = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(mask, hull, 1.0)
    return soften(mask, erode=erode, blur=blur)


def match_color(source: Image, target: Image, mask: FloatArray) -> Image:
    """Shift ``source``'s LAB mean and spread under ``mask`` to ``target``'s (Reinhard)."""
    weights = mask > 0.5
    if int(weights.sum()) < 16:
        return source
    src = cv2.cvtColor(source, cv2.COLOR_RGB2LAB).astype(np.float32)
    tgt = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    s_mean, s_std = src[weights].mean(axis=0), src[weights].std(axis=0) + 1e-3
    t_mean, t_std = tgt[weights].mean(axis=0), tgt[weights].std(axis=0) + 1e-3
    out = (src - s_mean) * (t_std / s_std) + t_mean
    return np.asarray(
        cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB), dtype=np.uint8
    )


def paste_back(
    frame: Image,
    crop: Image,
    matrix: Matrix,
    mask: FloatArray,
    *,
    inplace: bool = False,
    within: tuple[FloatArray, Matrix] | None = None,
) -> Image:
    """Blend ``crop`` (aligned with ``matrix``) into ``frame`` under ``mask``.

    Returns a blended copy of ``frame``, or ``frame`` itself blended in place
    with ``inplace=True`` (a video stream owns its decoded frames). Only frame
    pixels whose warped mask is above zero are written; every other pixel is
    left byte-identical. The work is limited to where the mask is non-zero:
    its bounding box in the crop, mapped into the frame. ``within`` (another
    crop's mask and its matrix) confines the paste further to the pixels that
    mask reaches: an enhancer's paste never writes where the swap did not.
    """
    out = frame if inplace else frame.copy()
    weights = np.asarray(mask, np.float32)
    x, y, w, h = cv2.boundingRect((weights > 0).astype(np.uint8))
    if w == 0 or h == 0:
        return out
    height, width = frame.shape[:2]
    inverse = invert(matrix)
    # Bilinear sampling reaches one crop pixel beyond the support: grow the box by one.
    box = np.array(
        [[x - 1, y - 1], [x + w, y - 1], [x - 1, y + h], [x + w, y + h]], dtype=np.float32
    )
    corners = transform_points(box, inverse)
    x0 = max(int(np.floor(corners[:, 0].min())) - 1, 0)
    y0 = max(int(np.floor(corners[:, 1].min())) - 1, 0)
    x1 = min(int(np.ceil(corners[:, 0].max())) + 2, width)
    y1 = min(int(np.ceil(corners[:, 1].max())) + 2, height)
    if x1 <= x0 or y1 <= y0:
        return out
    shifted = inverse.copy()
    shifted[0, 2] -= x0
    shifted[1, 2] -= y0
    roi_size = (x1 - x0, y1 - y0)
    # Four channels take OpenCV's vector path (about 3x faster than three, same pixels).
    padded = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2RGBA)
    warped = cv2.warpAffine(padded, shifted, roi_size, flags=cv2.INTER_LINEAR, borderValue=0)[
        ..., :3
    ]
    alpha = cv2.warpAffine(weights, shifted, roi_size, flags=cv2.INTER_LINEAR, borderValue=0.0)
    changed = alpha > 0
    if within is not None:
        limit_mask, limit_matrix = within
        limit = invert(limit_matrix)
        limit[0, 2] -= x0
        limit[1, 2] -= y0
        reach = cv2.warpAffine(
            np.asarray(limit_mask, np.float32),
            limit,
            roi_size,
            flags=cv2.INTER_LINEAR,
            borderValue=0.0,
        )
        changed &= reach > 0
    if not changed.any():
        return out
    roi = out[y0:y1, x0:x1]
    region = roi.astype(np.float32)
    # region + alpha * (warped - region): one multiply-add instead of two products.
    blended = cv2.subtract(warped.astype(np.float32), region)
    blended = cv2.multiply(blended, cv2.merge([np.minimum(alpha, 1.0)] * 3))
    blended = cv2.add(blended, region)
    # In place through the view: only pixels whose warped mask is above zero are written.
    cv2.copyTo(np.rint(blended).astype(np.uint8), changed.astype(np.uint8), roi)
    return out


BUILT_IN_MASKS: tuple[str, ...] = ("auto", "model", "hull", "box")
"""The masks made from the crop's geometry, the landmarks or the swap model's own mask."""


def builtin_mask(
    mode: str,
    size: int,
    *,
    erode: float,
    blur: float,
    model_mask: FloatArray | None,
    landmarks: FloatArray | None,
) -> FloatArray:
    """One of :data:`BUILT_IN_MASKS` for a ``size`` crop (``erode``/``blur`` in its pixels).

    ``auto`` falls back model -> hull -> box. A model's mask is capped by the
    box, so no mask reaches the crop's border.
    """
    if mode in ("auto", "model") and model_mask is not None:
        # A model's own mask may stay high up to the crop's edge, where the crop ends
        # and a square seam would show: it is combined with the box by element-wise
        # minimum (as FaceFusion combines masks), which fades it out at the border.
        own = np.clip(np.asarray(model_mask, np.float32).reshape(size, size), 0.0, 1.0)
        return np.minimum(own, box_mask(size, erode=erode, blur=blur))
    if mode == "model":
        raise ConfigError("paste mask 'model' needs a swap model with a mask output")
    if mode in ("auto", "hull") and landmarks is not None and len(landmarks) >= 5:
        return hull_mask(size, landmarks, erode=erode, blur=blur)
    if mode == "hull":
        raise ConfigError("paste mask 'hull' needs landmarks; configure a landmarker")
    if mode not in BUILT_IN_MASKS:
        raise ConfigError(f"unknown built-in mask {mode!r}; one of {', '.join(BUILT_IN_MASKS)}")
    return box_mask(size, erode=erode, blur=blur)


EDGE_SIGMA = 5.0
"""Gaussian sigma (crop pixels) that softens a model's or a polygon's hard mask edge."""


def feather_edges(mask: np.ndarray[Any, Any], sigma: float = EDGE_SIGMA) -> FloatArray:
    """Soften a (near) binary mask without growing it: blur, keep the upper half, rescale.

    FaceFusion's post-processing of its occlusion, region and area masks
    (``face_masker.py``): ``(GaussianBlur(mask, sigma).clip(0.5, 1) - 0.5) * 2``.
    The edge falls to 0 at the mask's own border, so nothing outside it is pasted.
    """
    clipped = np.clip(np.asarray(mask, np.float32), 0.0, 1.0)
    blurred = cv2.GaussianBlur(clipped, (0, 0), sigma)
    out: FloatArray = ((np.clip(blurred, 0.5, 1.0) - 0.5) * 2.0).astype(np.float32)
    return out
