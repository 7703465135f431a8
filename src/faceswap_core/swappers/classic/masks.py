"""Face and mouth regions from 68-point landmarks (iBUG 300-W order), in crop pixels.

The classic swapper pastes only the face: the convex hull of the jaw and a
brow line lifted onto the forehead, eroded and blurred so the edge is soft and
lies on skin, with the target's own mouth interior cut out when asked.
"""

from __future__ import annotations

import itertools
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core.interfaces.face import FloatArray

JAW = slice(0, 17)
BROWS = slice(17, 27)
INNER = slice(17, 68)  # brows, nose, eyes and mouth
RAMP_SAMPLES = 8  # grid pixels across a wide ramp (see :func:`ramp`)
OUTER_LIPS = slice(48, 60)
INNER_LIPS = slice(60, 68)


def forehead_points(landmarks: FloatArray, lift: float) -> FloatArray:
    """The ten brow points raised by ``lift`` times the brow-to-chin distance.

    Lifting along the face's own vertical axis (chin to brows) keeps the
    forehead band the same shape for tilted heads.
    """
    points = np.asarray(landmarks, dtype=np.float32)
    brows = points[BROWS]
    up = brows.mean(axis=0) - points[8]
    lifted: FloatArray = (brows + up * np.float32(lift)).astype(np.float32)
    return lifted


def outline(landmarks: FloatArray, lift: float) -> FloatArray:
    """Points whose convex hull is the face region: jaw plus the lifted brows."""
    points = np.asarray(landmarks, dtype=np.float32)
    return np.vstack([points[JAW], forehead_points(points, lift)])


def _fill_hull(size: int, points: FloatArray) -> FloatArray:
    mask = np.zeros((size, size), dtype=np.float32)
    hull = cv2.convexHull(np.round(points * 16).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1.0, cv2.LINE_8, 4)
    return mask


def _clear_border(mask: FloatArray, width: int) -> FloatArray:
    mask[:width, :] = 0
    mask[-width:, :] = 0
    mask[:, :width] = 0
    mask[:, -width:] = 0
    return mask


def face_region(size: int, landmarks: FloatArray, lift: float, border: int = 2) -> FloatArray:
    """The hard face region (0 or 1), kept ``border`` pixels off the crop edge.

    Poisson cloning fails when its mask touches the image border, and the
    pasted region must end inside the crop, so the border is always cleared.
    """
    return _clear_border(_fill_hull(size, outline(landmarks, lift)), max(border, 1))


def inner_region(size: int, landmarks: FloatArray) -> FloatArray:
    """The hard hull (0 or 1) of the brows, eyes, nose and mouth (points 17-67)."""
    return _fill_hull(size, np.asarray(landmarks, dtype=np.float32)[INNER])


def _support(mask: npt.NDArray[Any], margin: int) -> tuple[int, int, int, int] | None:
    """The box ``(x0, y0, x1, y1)`` of ``mask > 0`` grown by ``margin``, or ``None`` if empty."""
    x, y, w, h = cv2.boundingRect((np.asarray(mask) > 0).astype(np.uint8))
    if w == 0 or h == 0:
        return None
    height, width = np.shape(mask)[:2]
    return (
        max(x - margin, 0),
        max(y - margin, 0),
        min(x + w + margin, width),
        min(y + h + margin, height),
    )


def _inside_distance(region: FloatArray) -> tuple[FloatArray, tuple[int, int, int, int]] | None:
    """Each pixel's distance to the outside of ``region`` (> 0.5), over its box plus one pixel."""
    box = _support(np.asarray(region) > 0.5, 1)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    hard = (np.asarray(region)[y0:y1, x0:x1] > 0.5).astype(np.uint8)
    distance = np.asarray(cv2.distanceTransform(hard, cv2.DIST_L2, cv2.DIST_MASK_5), np.float32)
    return distance, box


def _smoothstep(t: FloatArray) -> FloatArray:
    """``t * t * (3 - 2 t)`` (OpenCV arithmetic: several times NumPy's speed on a face)."""
    rising = cv2.addWeighted(t, -2.0, t, 0.0, 3.0)
    return np.asarray(cv2.multiply(cv2.multiply(t, t), rising), np.float32)


def ramp(region: FloatArray, width: float) -> FloatArray:
    """``region`` (0 or 1) with its edge ramped from 0 on the boundary to 1 ``width`` px inside.

    A smoothstep of the distance to the boundary: nothing outside the region
    gets a weight. A wide ramp is worked out on a coarser grid (at least
    :data:`RAMP_SAMPLES` grid pixels across the ramp) and enlarged, so its
    cost does not grow with ``width`` or with the face.
    """
    hard = (np.asarray(region) > 0.5).astype(np.float32)
    step = max(1, int(width // RAMP_SAMPLES))
    half = step // 2
    small = hard[half::step, half::step]  # grid pixel i is pixel i * step + half
    coarse: FloatArray = np.zeros(small.shape, np.float32)
    found = _inside_distance(small)
    if found is not None:
        outside, (x0, y0, x1, y1) = found
        t = np.clip(outside * np.float32(step / max(width, 1e-3)), 0.0, 1.0)
        coarse[y0:y1, x0:x1] = _smoothstep(t)
    if step == 1:
        return coarse
    rows, cols = coarse.shape[:2]
    big = np.asarray(
        cv2.resize(coarse, (cols * step, rows * step), interpolation=cv2.INTER_LINEAR), np.float32
    )
    mask = np.zeros(hard.shape, np.float32)
    height, width_px = min(big.shape[0], hard.shape[0]), min(big.shape[1], hard.shape[1])
    mask[:height, :width_px] = big[:height, :width_px]
    mask *= hard
    return mask


def feathered(region: FloatArray, inner: FloatArray, width: float, least: float) -> FloatArray:
    """A soft mask that is 1 on ``inner``, 0 outside ``region`` and ramps in between.

    The ramp runs ``width`` pixels in from the region's edge where the face
    leaves room, and narrows to end on the inner face where it does not (a low
    forehead, a narrow cheek), so the source's brows, eyes, nose and mouth are
    pasted whole instead of showing the target's through a half-transparent
    edge. It never gets narrower than ``least`` pixels: where the inner face
    reaches the region's edge, that strip of it fades. The ramp is a
    smoothstep of the distance to the edge (no kink where it meets 0 or 1),
    and nothing outside ``region`` gets a non-zero weight.
    """
    mask = np.zeros(np.shape(region), np.float32)
    found = _inside_distance(region)
    if found is None:
        return mask
    outside, (x0, y0, x1, y1) = found
    away = np.less_equal(inner[y0:y1, x0:x1], 0.5).view(np.uint8)
    to_inner = cv2.distanceTransform(away, cv2.DIST_L2, cv2.DIST_MASK_5)
    span = cv2.max(cv2.min(cv2.add(outside, to_inner), float(width)), max(float(least), 1e-3))
    mask[y0:y1, x0:x1] = _smoothstep(np.asarray(cv2.min(cv2.divide(outside, span), 1.0)))
    return mask


def mouth_region(size: int, landmarks: FloatArray, grow: int) -> FloatArray:
    """The inner-mouth polygon (points 60-67) grown by ``grow`` pixels (0 or 1)."""
    mask = np.zeros((size, size), dtype=np.float32)
    points = np.asarray(landmarks, np.float32)[INNER_LIPS]
    polygon = np.round(points * 16).astype(np.int32)
    cv2.fillPoly(mask, [polygon], 1.0, cv2.LINE_8, 4)
    box = _support(mask, grow + 1) if grow > 0 else None
    if box is not None:
        x0, y0, x1, y1 = box
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        mask[y0:y1, x0:x1] = cv2.dilate(mask[y0:y1, x0:x1], kernel)
    return mask


def soft_hole(region: FloatArray, radius: int) -> FloatArray:
    """Blur a hole's mask outwards only: the region itself stays exactly 1.

    Dilating by ``radius`` before a blur of the same radius means every pixel
    of the original region sees only ones, so the hole's core is kept exactly.
    Only the hole's box (grown by what the dilation and blur reach) is computed.
    """
    if radius <= 0:
        return region.copy()
    out = np.asarray(region, np.float32).copy()
    box = _support(out, 2 * radius + 1)
    if box is None:
        return out
    x0, y0, x1, y1 = box
    window = out[y0:y1, x0:x1]
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    grown = cv2.dilate(window, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    blurred = cv2.GaussianBlur(
        grown, (2 * radius + 1, 2 * radius + 1), radius / 2.0, borderType=cv2.BORDER_CONSTANT
    )
    # A Gaussian's weights sum to 1 only up to rounding: clip, so the core is exactly 1.
    out[y0:y1, x0:x1] = np.maximum(np.minimum(blurred, 1.0), window)
    return out


def mouth_opening(landmarks: FloatArray) -> float:
    """Inner-lip gap over mouth width: about 0.05 closed, above 0.15 clearly open."""
    points = np.asarray(landmarks, dtype=np.float32)
    gap = float(np.mean(np.linalg.norm(points[[61, 62, 63]] - points[[67, 66, 65]], axis=1)))
    width = float(np.linalg.norm(points[54] - points[48]))
    return gap / width if width > 0 else 0.0


def face_scale(landmarks: FloatArray) -> float:
    """Inter-ocular distance in pixels: the unit for mask sizes that follow the face."""
    points = np.asarray(landmarks, dtype=np.float32)
    left = points[36:42].mean(axis=0)
    right = points[42:48].mean(axis=0)
    return float(np.linalg.norm(right - left))


def _strip_fraction(
    skin: npt.NDArray[np.bool_], polygon: FloatArray, origin: tuple[int, int] = (0, 0)
) -> float | None:
    """Fraction of ``skin`` pixels inside ``polygon``; ``None`` when it covers almost none.

    ``skin`` may be a window of the crop whose top-left pixel is ``origin``.
    """
    height, width = skin.shape
    polygon = polygon - np.array(origin, np.float32)
    x0, y0 = np.floor(polygon.min(axis=0)).astype(int)
    x1, y1 = np.ceil(polygon.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return None
    local = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    shifted = np.round((polygon - np.array([x0, y0], np.float32)) * 16).astype(np.int32)
    cv2.fillPoly(local, [shifted], 1, cv2.LINE_8, 4)
    inside = local > 0
    count = int(inside.sum())
    if count < 4:
        return None
    return float(skin[y0:y1, x0:x1][inside].sum()) / count


def skin_lift(lab: FloatArray, landmarks: FloatArray, limit: float, step: float = 0.02) -> float:
    """How far above the brows the forehead is still skin, up to ``limit``.

    Bangs or a hat just above the brows must not be pasted as forehead, and
    the seam must not run through hair (Poisson cloning turns a dark source
    boundary into a bright glare). The band above the brows is walked up in
    ``step`` strips; each strip must look like the cheek skin in LAB (within
    three spreads) for most of its pixels. Skin is only classified inside the
    band's bounding box, the one place the strips read.
    """
    points = np.asarray(landmarks, dtype=np.float32)
    size = lab.shape[0]
    lifts = [0.0]
    while lifts[-1] + step <= limit + 1e-6:
        lifts.append(lifts[-1] + step)
    if len(lifts) == 1:
        return 0.0
    cheek_points = points[[1, 2, 3, 31, 33, 35, 13, 14, 15, 28]]
    cx0, cy0 = (max(int(v), 0) for v in np.floor(cheek_points.min(axis=0)))
    cx1, cy1 = (min(int(v) + 2, size) for v in np.ceil(cheek_points.max(axis=0)))
    if cx1 <= cx0 or cy1 <= cy0:
        return 0.0
    cheeks = np.zeros((cy1 - cy0, cx1 - cx0), np.uint8)
    shifted = np.round((cheek_points - np.array([cx0, cy0], np.float32)) * 16).astype(np.int32)
    cv2.fillPoly(cheeks, [shifted], 1, cv2.LINE_8, 4)
    if int(cv2.countNonZero(cheeks)) < 16:
        return 0.0
    window = np.asarray(lab[cy0:cy1, cx0:cx1], np.float32)
    mean64, std64 = cv2.meanStdDev(window, mask=cheeks)
    mean = mean64.ravel().astype(np.float32)
    spread = np.maximum(std64.ravel().astype(np.float32), np.array([5.0, 3.0, 3.0], np.float32))
    band = np.vstack([forehead_points(points, 0.0), forehead_points(points, lifts[-1])])
    bx0, by0 = (max(int(v), 0) for v in np.floor(band.min(axis=0)))
    bx1, by1 = (min(int(v) + 1, size) for v in np.ceil(band.max(axis=0)))
    if bx1 <= bx0 or by1 <= by0:
        return 0.0
    window = lab[by0:by1, bx0:bx1]
    skin = (((window - mean) / spread) ** 2).sum(axis=2) < 9.0  # within three spreads
    lift = 0.0
    for lower_lift, upper_lift in itertools.pairwise(lifts):
        lower = forehead_points(points, lower_lift)
        upper = forehead_points(points, upper_lift)
        fraction = _strip_fraction(skin, np.vstack([lower, upper[::-1]]), (bx0, by0))
        if fraction is None or fraction < 0.7:
            break
        lift = upper_lift
    return lift
