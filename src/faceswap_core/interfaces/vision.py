"""Face analysis components: detectors, recognizers, landmarkers.

Plugins never import each other: a detector from one distribution and a
swapper from another meet only through these Protocols and the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

from faceswap_core.interfaces.face import Face, FloatArray, Image


@attrs.frozen
class ModelInfo:
    """Which model file a component uses, where it comes from, and its license."""

    name: str
    file: str
    license: str
    source: str


@runtime_checkable
class Detector(Protocol):
    """Finds faces and their five keypoints in RGB images."""

    model_info: ModelInfo

    def detect(self, image: Image) -> list[Face]: ...

    def detect_batch(self, images: Sequence[Image]) -> list[list[Face]]: ...


@runtime_checkable
class Recognizer(Protocol):
    """Maps a face to an L2-normalised identity embedding.

    ``threshold`` is the Euclidean distance between normalised embeddings
    below which two faces are taken as the same person.
    """

    model_info: ModelInfo
    embedding_dim: int
    threshold: float

    def embed(self, image: Image, face: Face) -> FloatArray: ...


@runtime_checkable
class Landmarker(Protocol):
    """Dense landmarks (68 or 5 points, image coordinates) for a detected face."""

    model_info: ModelInfo
    num_points: int

    def landmarks(self, image: Image, face: Face) -> FloatArray: ...


__all__ = ["Detector", "Landmarker", "ModelInfo", "Recognizer"]
