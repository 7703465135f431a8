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

import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import Face, FloatArray, Image, SwapOutput
from faceswap_core.plugin.context import BuildContext
from faceswap_core.swappers.blobs import from_blob, load_model, require_embedding, to_blob
from faceswap_core.swappers.configs import OnnxSwapperConfig
from faceswap_core.vision.align import TEMPLATES

METADATA_KEYS: tuple[str, ...] = (
    "faceswap.crop_size",
    "faceswap.template",
    "faceswap.recognizer",
    "faceswap.embedding_dim",
)


class OnnxSwapper:
    """A faceswap export: metadata says how to feed it; validated on load."""

    needs_landmarks = False

    def __init__(self, config: OnnxSwapperConfig, context: BuildContext) -> None:
        self.config = config
        self.session, origin = load_model(config.model, config.runtime, context)
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
        embedding = require_embedding(face, "onnx swapper")
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
