"""Swappers exported by this project, run from ONNX.

The graph must meet the export contract (:mod:`faceswap_core.swappers.contract`):
``target`` (N x 3 x S x S) and ``source`` (N x D) in, ``output`` (N x 3 x S x S)
and optionally ``mask`` (N x 1 x S x S) out, with ``faceswap.*`` metadata saying
S, D, the alignment template and the recognizer. It is checked on load and
every output is checked on each run.
"""

from __future__ import annotations

import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import Face, FloatArray, Image, SwapOutput
from faceswap_core.io.provenance import TRAINED_COMPOSITE
from faceswap_core.plugin.context import BuildContext
from faceswap_core.swappers.blobs import from_blob, load_model, require_embedding, to_blob
from faceswap_core.swappers.configs import OnnxSwapperConfig
from faceswap_core.swappers.contract import EXPORT_MASK, EXPORT_OUTPUT, check_export, check_output

__all__ = ["OnnxSwapper"]


class OnnxSwapper:
    """A faceswap export: metadata says how to feed it; validated on load and on every run."""

    needs_landmarks = False
    digital_source_type = TRAINED_COMPOSITE

    def __init__(self, config: OnnxSwapperConfig, context: BuildContext) -> None:
        self.config = config
        self.session, self.origin = load_model(config.model, config.runtime, context)
        self.model_path: str | None = self.origin  # hashed into a signed manifest
        contract = check_export(self.session, self.origin)
        self.crop_size = contract.crop_size
        self.embedding_dim = contract.embedding_dim
        self.template = contract.template
        self.recognizer: str | None = contract.recognizer
        self.has_mask = contract.has_mask

    def prepare_source(self, crop: Image, face: Face) -> FloatArray:
        embedding = require_embedding(face, "onnx swapper")
        if embedding.shape != (self.embedding_dim,):
            raise ModelFileError(
                f"model {self.origin} expects {self.embedding_dim}-d embeddings from "
                f"{self.recognizer}, got {embedding.shape[0]}-d; set faceswap.recognizer right"
            )
        return embedding.reshape(1, -1).astype(np.float32)

    def swap(self, crop: Image, face: Face, source: FloatArray) -> SwapOutput:
        size = self.crop_size
        outputs = self.session.run({"target": to_blob(crop, size), "source": source})
        image = check_output(self.origin, EXPORT_OUTPUT, outputs[EXPORT_OUTPUT], (1, 3, size, size))
        mask = None
        if self.has_mask:
            raw = check_output(self.origin, EXPORT_MASK, outputs[EXPORT_MASK], (1, 1, size, size))
            mask = np.clip(raw.reshape(size, size), 0, 1)
        return SwapOutput(from_blob(image), mask)
