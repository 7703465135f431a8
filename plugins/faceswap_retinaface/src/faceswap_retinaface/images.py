"""The public image boundary: every component takes RGB ``uint8`` H x W x 3 arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from faceswap_core import Image
from faceswap_core.errors import InvalidImageError

MIN_SIDE = 8
"""Smaller images hold no detectable face: detectors return no faces for them."""


def too_small(image: Image) -> bool:
    """Whether ``image`` is below the size any face could be detected at."""
    return bool(image.shape[0] < MIN_SIDE or image.shape[1] < MIN_SIDE)


def check_image(image: Any, what: str = "image") -> Image:
    """Return ``image`` as a C-contiguous RGB ``uint8`` array or raise :class:`InvalidImageError`.

    Checking once at the boundary keeps a float or BGRA frame from producing
    silent garbage deep inside a model.
    """
    if not isinstance(image, np.ndarray):
        raise InvalidImageError(
            f"{what}: expected a numpy uint8 array of shape (H, W, 3), got {type(image).__name__}; "
            f"decode files first (faceswap.load)"
        )
    if image.dtype != np.uint8:
        raise InvalidImageError(
            f"{what}: expected dtype uint8, got {image.dtype}; convert with "
            f"np.clip(x, 0, 255).astype(np.uint8)"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise InvalidImageError(
            f"{what}: expected shape (H, W, 3) RGB, got {image.shape}; "
            f"convert grayscale or RGBA images to RGB first"
        )
    return np.ascontiguousarray(image)
