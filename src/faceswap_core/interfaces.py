"""The Protocols plugins implement and core calls.

Plugins never import each other: a detector from one distribution and a
swapper from another meet only through these interfaces and the registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np

from faceswap_core.face import Face, FloatArray, Image


@attrs.frozen
class ModelInfo:
    """Which model file a component uses, where it comes from, and its license."""

    name: str
    file: str
    license: str
    source: str


@attrs.frozen(eq=False)
class SwapOutput:
    """A swapped aligned crop, and optionally the model's own soft mask (H x W, 0..1)."""

    image: Image
    mask: FloatArray | None = None


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


@runtime_checkable
class Swapper(Protocol):
    """Swaps the identity in one aligned crop.

    The pipeline aligns source and target faces to ``crop_size`` with the
    named alignment ``template``, computes what the swapper asks for
    (``recognizer`` embeddings, ``needs_landmarks``) in crop coordinates, and
    pastes the result back. ``prepare_source`` runs once per source image.
    """

    crop_size: int
    template: str
    recognizer: str | None
    needs_landmarks: bool

    def prepare_source(self, crop: Image, face: Face) -> Any: ...

    def swap(self, crop: Image, face: Face, source: Any) -> SwapOutput: ...


@runtime_checkable
class InferenceSession(Protocol):
    """A loaded model that maps named float arrays to named float arrays."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    metadata: Mapping[str, str]

    def run(self, feeds: Mapping[str, np.ndarray[Any, Any]]) -> dict[str, np.ndarray[Any, Any]]: ...


@runtime_checkable
class Runtime(Protocol):
    """Loads model files into sessions (ONNX Runtime in core, TensorRT in faceswap-trt)."""

    name: str

    def load(self, model: Path | bytes) -> InferenceSession: ...


@runtime_checkable
class Exporter(Protocol):
    """Writes a trained model to a deployable artifact (ONNX, TensorRT engine)."""

    def export(self, source: Path, destination: Path) -> Path: ...


@runtime_checkable
class Runner(Protocol):
    """A job (train, eval, stream) that runs from a resolved config inside a work_dir."""

    def run(self, config: Any, work_dir: Path) -> Mapping[str, Any]: ...
