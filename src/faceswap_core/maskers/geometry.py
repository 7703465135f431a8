"""Maskers without weights: the crop's box, the landmarks' hull, the model's mask, face areas.

``box`` is insightface's paste-back mask (the whole crop, eroded and blurred
at its edges); ``hull`` and ``model`` the landmark hull and the swap model's
own mask; ``auto`` picks the model's mask, else the hull, else the box, as
the pipeline did before masks were components
(:func:`faceswap_core.vision.blend.builtin_mask`).

``area`` keeps only some areas of the face, from the 68-point landmarks, as
FaceFusion's area masks (``--face-mask-areas``): the upper face (brows, eyes
and nose down to the nostrils, between the temples), the lower face (jaw,
cheeks and mouth below the nostrils) and the mouth. The areas named are
joined into one convex hull, filled and softened inward.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from faceswap_core.errors import ConfigError
from faceswap_core.interfaces import FloatArray, MaskInput
from faceswap_core.maskers.configs import AreaConfig
from faceswap_core.vision.blend import builtin_mask, feather_edges

# The 68-point layout (iBUG 300-W): jaw 0-16, brows 17-26, nose 27-35 (nostrils 31-35),
# eyes 36-47, mouth 48-67.
AREA_POINTS: dict[str, tuple[int, ...]] = {
    "upper-face": (*range(0, 3), *range(14, 17), *range(17, 27), *range(31, 36)),
    "lower-face": (*range(3, 14), *range(31, 36)),
    "mouth": tuple(range(48, 68)),
}
"""Landmark indices whose hull makes each face area (FaceFusion's ``face_mask_area_set``)."""


class BuiltInMasker:
    """``box``, ``hull``, ``model`` or ``auto``: :func:`faceswap_core.vision.blend.builtin_mask`."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.needs_landmarks = mode == "hull"

    def masks(self, faces: Sequence[MaskInput]) -> list[FloatArray]:
        return [
            builtin_mask(
                self.mode,
                face.size,
                erode=face.erode,
                blur=face.blur,
                model_mask=face.model_mask,
                landmarks=face.landmarks,
            )
            for face in faces
        ]


def area_mask(size: int, landmarks: FloatArray, areas: Sequence[str]) -> FloatArray:
    """The filled hull of the named areas' landmarks in a ``size`` crop, edges softened inward."""
    points = np.asarray(landmarks, np.float32)
    if points.shape != (68, 2):
        raise ConfigError(
            f"the area mask needs 68-point landmarks, got {points.shape[0]} points; "
            "configure a 68-point landmarker (pipeline.landmarker: dlib68)"
        )
    indices = [index for area in areas for index in AREA_POINTS[area]]
    hull = cv2.convexHull(points[indices].astype(np.int32))
    mask = np.zeros((size, size), np.float32)
    cv2.fillConvexPoly(mask, hull, 1.0)
    return feather_edges(mask)


class AreaMasker:
    """The ``area`` masker: only the face areas named in ``pipeline.paste.areas`` are swapped."""

    needs_landmarks = True

    def __init__(self, config: AreaConfig) -> None:
        self.areas = tuple(config.areas)

    def masks(self, faces: Sequence[MaskInput]) -> list[FloatArray]:
        out = []
        for face in faces:
            if face.landmarks is None:
                raise ConfigError("the area mask needs landmarks; configure a landmarker")
            out.append(area_mask(face.size, face.landmarks, self.areas))
        return out


__all__ = ["AREA_POINTS", "AreaMasker", "BuiltInMasker", "area_mask"]
