"""Sharpness of a face: the variance of the Laplacian over its inner face.

The variance of the Laplacian (Pech-Pacheco et al. 2000) grows with the
energy of the finest detail, so it drops with every blur or low-pass
resampling. It is measured only inside the inner face (the convex hull of the
68-point landmarks 17-67: brows, eyes, nose and mouth, eroded by 4 pixels),
where a swap replaces the pixels and no background or hair edge counts. The
numbers depend on the face's size in pixels, so compare faces at the size
they are shown: a swapped face against the source and the target as they
were given (see :func:`kept`).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core.interfaces.face import Image

INNER_FACE = slice(17, 68)
"""Landmarks 17-67 (iBUG 300-W): brows, nose, eyes and mouth; the jaw line (0-16) is left out."""

ERODE_PX = 4
"""The hull is eroded by this many pixels (a disc), so the Laplacian never reads past its edge."""

MIN_PIXELS = 16
"""Fewer measured pixels than this is no measurement (the face is too small or off the image)."""


def inner_face_mask(
    shape: tuple[int, ...], landmarks: npt.ArrayLike, erode: int = ERODE_PX
) -> npt.NDArray[np.bool_]:
    """The inner face of ``landmarks`` (68 x 2, image pixels) as a boolean mask of ``shape[:2]``."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2) or not np.isfinite(points).all():
        raise ValueError(
            f"sharpness needs 68 finite landmarks, got an array of shape {points.shape}"
        )
    mask = np.zeros(shape[:2], np.uint8)
    hull = cv2.convexHull(np.round(points[INNER_FACE]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    if erode > 0:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * erode + 1, 2 * erode + 1))
        mask = np.asarray(
            cv2.erode(mask, disc, borderType=cv2.BORDER_CONSTANT, borderValue=0), np.uint8
        )
    return mask > 0


def laplacian(image: Image) -> npt.NDArray[np.float64]:
    """The 4-neighbour Laplacian of ``image``'s grey level (RGB ``uint8`` or grey), float64."""
    grey = np.asarray(image)
    if grey.ndim == 3:
        grey = np.asarray(
            cv2.cvtColor(np.ascontiguousarray(grey, dtype=np.uint8), cv2.COLOR_RGB2GRAY)
        )
    return np.asarray(cv2.Laplacian(grey, cv2.CV_64F, ksize=1), dtype=np.float64)


def face_sharpness(image: Image, landmarks: npt.ArrayLike, erode: int = ERODE_PX) -> float:
    """Variance of the Laplacian of ``image``'s grey level inside the inner face of ``landmarks``.

    Raises ``ValueError`` when the inner face covers fewer than
    :data:`MIN_PIXELS` pixels of the image.
    """
    mask = inner_face_mask(np.shape(image), landmarks, erode)
    count = int(mask.sum())
    if count < MIN_PIXELS:
        raise ValueError(
            f"the inner face covers {count} pixels of the image (fewer than {MIN_PIXELS}); "
            "sharpness needs a larger face inside the image"
        )
    return float(np.var(laplacian(image)[mask]))


def kept(result: float, source: float, target: float) -> float:
    """How much of its inputs' sharpness a swap kept: ``result / min(source, target)``."""
    lesser = min(source, target)
    if not lesser > 0:
        raise ValueError(f"input sharpness must be positive, got {source!r} and {target!r}")
    return result / lesser


__all__ = [
    "ERODE_PX",
    "INNER_FACE",
    "MIN_PIXELS",
    "face_sharpness",
    "inner_face_mask",
    "kept",
    "laplacian",
]
