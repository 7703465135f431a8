"""dlib's HOG frontal face detector behind faceswap's ``Detector`` interface."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dlib
import numpy as np

from faceswap_core import Face, FloatArray, Image, ModelInfo
from faceswap_core.errors import InvalidImageError
from faceswap_core.vision.align import template
from faceswap_hello.config import HogConfig

# Where the eyes sit in a dlib HOG box (fractions of its width and height),
# measured with dlib's 5-point shape predictor on faceswap's sample faces.
EYE_LINE_Y = 0.33
EYE_DISTANCE = 0.40


def box_keypoints(x1: float, y1: float, x2: float, y2: float) -> FloatArray:
    """Approximate five keypoints: ArcFace's template scaled so its eyes land on the eye line.

    HOG gives boxes only; these points follow the box, not the face, so a
    turned or tilted head gets frontal-looking points.
    """
    points = template(112).astype(np.float64)
    eyes = points[:2].mean(axis=0)
    scale = EYE_DISTANCE * (x2 - x1) / float(points[1, 0] - points[0, 0])
    centre = np.array([(x1 + x2) / 2, y1 + EYE_LINE_Y * (y2 - y1)])
    placed: FloatArray = ((points - eyes) * scale + centre).astype(np.float32)
    return placed


def _score(margin: float) -> float:
    """Map dlib's unbounded SVM margin to (0, 1) so scores compare with other detectors'."""
    return 1.0 / (1.0 + math.exp(-margin))


class HogDetector:
    """Frontal faces from dlib's HOG + linear SVM detector, with box-derived keypoints."""

    def __init__(self, config: HogConfig) -> None:
        self.config = config
        self._detector: Any = dlib.get_frontal_face_detector()
        self.model_info = ModelInfo(
            name="dlib-hog-frontal-face",
            file="built into dlib",
            license="Boost Software License 1.0",
            source=f"dlib {dlib.__version__} get_frontal_face_detector()",
        )

    def detect(self, image: Image) -> list[Face]:
        """Faces in an RGB ``uint8`` image, highest score first."""
        if (
            not isinstance(image, np.ndarray)
            or image.dtype != np.uint8
            or image.ndim != 3
            or image.shape[2] != 3
            or 0 in image.shape
        ):
            shape = getattr(image, "shape", None)
            dtype = getattr(image, "dtype", type(image).__name__)
            raise InvalidImageError(
                f"hog detector input: expected an RGB uint8 array of shape (H, W, 3), "
                f"got {dtype} with shape {shape}; decode images with faceswap_core first"
            )
        rects, margins, _ = self._detector.run(
            np.ascontiguousarray(image), self.config.upsample, self.config.threshold
        )
        height, width = image.shape[:2]
        faces = []
        for rect, margin in zip(rects, margins, strict=True):
            x1, y1 = max(float(rect.left()), 0.0), max(float(rect.top()), 0.0)
            x2, y2 = (
                min(float(rect.right()), float(width)),
                min(float(rect.bottom()), float(height)),
            )
            faces.append(
                Face(bbox=(x1, y1, x2, y2), score=_score(margin), kps=box_keypoints(x1, y1, x2, y2))
            )
        faces.sort(key=lambda face: face.score, reverse=True)
        return faces[: self.config.max_faces] if self.config.max_faces else faces

    def detect_batch(self, images: Sequence[Image]) -> list[list[Face]]:
        return [self.detect(image) for image in images]
