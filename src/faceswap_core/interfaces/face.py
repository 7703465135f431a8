"""The data every component exchanges: RGB images and detected faces.

These types sit with the interfaces (not in :mod:`faceswap_core.vision`)
because they are the vocabulary of the plugin contract: a detector from one
distribution returns :class:`Face` objects that a swapper from another reads.
Algorithms on faces (alignment, selection, blending) live in ``vision/``.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""An RGB image: ``uint8`` array of shape ``(H, W, 3)``."""

FloatArray = npt.NDArray[np.float32]


def _float32_of_shape(value: Any, shape: tuple[int, ...], what: str) -> FloatArray:
    array = np.asarray(value, dtype=np.float32)
    if array.shape != shape:
        raise ValueError(f"{what} must have shape {shape}, got {array.shape}")
    return array


def _bbox(value: Any) -> FloatArray:
    return _float32_of_shape(value, (4,), "bbox")


def _kps(value: Any) -> FloatArray:
    return _float32_of_shape(value, (5, 2), "kps")


def _optional_landmarks(value: Any) -> FloatArray | None:
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"landmarks must be N x 2, got {array.shape}")
    return array


def _optional_embedding(value: Any) -> FloatArray | None:
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


@attrs.frozen(eq=False)
class Face:
    """One detected face in image coordinates.

    ``kps`` are the five points left eye, right eye, nose, left and right mouth
    corner (from the subject's point of view as insightface orders them).
    ``embedding`` is always stored L2-normalised.
    """

    bbox: FloatArray = attrs.field(converter=_bbox)
    score: float = attrs.field(converter=float)
    kps: FloatArray = attrs.field(converter=_kps)
    landmarks: FloatArray | None = attrs.field(default=None, converter=_optional_landmarks)
    embedding: FloatArray | None = attrs.field(default=None, converter=_optional_embedding)
    track_id: int | None = None

    @property
    def width(self) -> float:
        return float(self.bbox[2] - self.bbox[0])

    @property
    def height(self) -> float:
        return float(self.bbox[3] - self.bbox[1])

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return (float(self.bbox[0] + self.bbox[2]) / 2, float(self.bbox[1] + self.bbox[3]) / 2)

    def evolve(self, **changes: Any) -> Face:
        """Return a copy with some fields replaced (faces are immutable)."""
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view used by ``faceswap detect --json`` and the REST API."""
        data: dict[str, Any] = {
            "bbox": [round(float(v), 2) for v in self.bbox],
            "score": round(self.score, 4),
            "kps": [[round(float(x), 2), round(float(y), 2)] for x, y in self.kps],
        }
        if self.landmarks is not None:
            data["landmarks"] = [
                [round(float(x), 2), round(float(y), 2)] for x, y in self.landmarks
            ]
        if self.track_id is not None:
            data["track_id"] = self.track_id
        return data
