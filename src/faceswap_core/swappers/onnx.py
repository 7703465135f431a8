"""Swappers exported by this project, run from ONNX.

The export contract (what ``faceswap-unet``'s exporter writes):

- inputs ``target`` (N x 3 x S x S float32 RGB in [0, 1]) and ``source``
  (N x D float32, L2-normalised identity embedding);
- outputs ``output`` (N x 3 x S x S in [0, 1]) and optionally ``mask`` (N x 1 x S x S);
- ONNX ``metadata_props``: ``faceswap.crop_size`` (S), ``faceswap.template``
  (an alignment template name), ``faceswap.recognizer`` (which recognizer
  produced the embeddings), ``faceswap.embedding_dim`` (D).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from faceswap_core.align import TEMPLATES
from faceswap_core.errors import ConfigError, InvalidImageError, ModelFileError
from faceswap_core.face import Face, FloatArray, Image
from faceswap_core.interfaces import InferenceSession, SwapOutput
from faceswap_core.swappers.configs import OnnxSwapperConfig

METADATA_KEYS: tuple[str, ...] = (
    "faceswap.crop_size",
    "faceswap.template",
    "faceswap.recognizer",
    "faceswap.embedding_dim",
)


def load_model(model: str, runtime: str) -> tuple[InferenceSession, str]:
    """Resolve ``model`` (a path or a model-store name) and load it with the named runtime."""
    from faceswap_core.models import ModelStore
    from faceswap_core.plugins import get_plugins

    path = ModelStore().resolve(model)
    session = get_plugins().build("runtime", {"type": runtime}, path="$.pipeline.swapper.runtime")
    return session.load(path), str(path)


def to_blob(crop: Image, size: int) -> FloatArray:
    """RGB uint8 crop -> 1 x 3 x S x S float32 in [0, 1]."""
    if crop.dtype != np.uint8 or crop.shape != (size, size, 3):
        raise InvalidImageError(
            f"swap crop must be uint8 {size}x{size}x3, got {crop.dtype} {crop.shape}"
        )
    return np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32) / np.float32(255.0)


def from_blob(blob: np.ndarray[Any, Any]) -> Image:
    """1 x 3 x S x S in [0, 1] -> RGB uint8 S x S x 3."""
    image = np.clip(np.asarray(blob, np.float32)[0].transpose(1, 2, 0) * 255.0 + 0.5, 0, 255)
    return np.ascontiguousarray(image.astype(np.uint8))


def _require_embedding(face: Face, who: str) -> FloatArray:
    if face.embedding is None:
        raise ConfigError(f"{who} needs the source face's embedding; configure a recognizer")
    return face.embedding


class OnnxSwapper:
    """A faceswap export: metadata says how to feed it; validated on load."""

    needs_landmarks = False

    def __init__(self, config: OnnxSwapperConfig) -> None:
        self.config = config
        self.session, origin = load_model(config.model, config.runtime)
        meta = self.session.metadata
        missing = [key for key in METADATA_KEYS if key not in meta]
        if missing:
            raise ModelFileError(
                f"{origin} is not a faceswap export: metadata {', '.join(missing)} missing; "
                "export it with faceswap export, or use --model inswapper for inswapper graphs"
            )
        try:
            self.crop_size = int(meta["faceswap.crop_size"])
            self.embedding_dim = int(meta["faceswap.embedding_dim"])
        except ValueError:
            raise ModelFileError(
                f"{origin}: faceswap.crop_size/embedding_dim must be integers"
            ) from None
        self.template = meta["faceswap.template"]
        if self.template not in TEMPLATES:
            raise ModelFileError(
                f"{origin}: unknown faceswap.template {self.template!r}; "
                f"known: {', '.join(TEMPLATES)}"
            )
        self.recognizer: str | None = meta["faceswap.recognizer"]
        names = set(self.session.input_names)
        if names != {"target", "source"} or "output" not in self.session.output_names:
            raise ModelFileError(
                f"{origin}: expected inputs target, source and output 'output', got inputs "
                f"{sorted(names)} and outputs {list(self.session.output_names)}"
            )
        self.has_mask = "mask" in self.session.output_names

    def prepare_source(self, crop: Image, face: Face) -> FloatArray:
        embedding = _require_embedding(face, "onnx swapper")
        if embedding.shape != (self.embedding_dim,):
            raise ModelFileError(
                f"swap model expects {self.embedding_dim}-d embeddings from {self.recognizer}, "
                f"got {embedding.shape[0]}-d"
            )
        return embedding.reshape(1, -1).astype(np.float32)

    def swap(self, crop: Image, face: Face, source: FloatArray) -> SwapOutput:
        outputs = self.session.run({"target": to_blob(crop, self.crop_size), "source": source})
        mask = None
        if self.has_mask:
            mask = np.clip(
                np.asarray(outputs["mask"], np.float32).reshape(self.crop_size, self.crop_size),
                0,
                1,
            )
        return SwapOutput(from_blob(outputs["output"]), mask)
