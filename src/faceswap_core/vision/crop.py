"""Crops around a detected face, with context (hair, chin) for contact sheets, demos and benches."""

from __future__ import annotations

import math

import numpy as np

from faceswap_core.interfaces.face import Face, Image


def grown_box(face: Face, margin: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The face box grown by ``margin`` times its size on every side, clipped to ``shape``."""
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    w, h = (x2 - x1) * margin, (y2 - y1) * margin
    left, top = max(math.floor(x1 - w), 0), max(math.floor(y1 - h), 0)
    right, bottom = min(math.ceil(x2 + w), shape[1]), min(math.ceil(y2 + h), shape[0])
    return left, top, right, bottom


def crop_around(image: Image, face: Face, margin: float = 0.6) -> Image:
    """The face with ``margin`` times its size of context on each side (hair, chin)."""
    left, top, right, bottom = grown_box(face, margin, image.shape)
    return np.ascontiguousarray(image[top:bottom, left:right])
