"""inswapper_128-compatible ONNX graphs (insightface's swap model, user-provided).

The graph takes the aligned target crop (1 x 3 x 128 x 128 RGB in [0, 1],
insightface's +8 px shifted template) and a 1 x 512 latent: the source's
L2-normalised ArcFace embedding multiplied by the graph's last initializer
``emap`` (512 x 512), then normalised again. Its signature is checked on load
and its output on every run (:func:`faceswap_core.swappers.contract.check_inswapper`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import SwapOutput
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.io.provenance import TRAINED_COMPOSITE
from faceswap_core.plugin.context import BuildContext
from faceswap_core.runtime.batch import run_batched
from faceswap_core.swappers.blobs import from_blobs, load_model, require_embedding, to_blobs
from faceswap_core.swappers.configs import InswapperConfig
from faceswap_core.swappers.contract import MAX_EMBEDDING_DIM, check_inswapper, check_output


def read_emap(path: Path) -> FloatArray:
    """The graph's last initializer, which maps embeddings into the swap latent."""
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"invalid ONNX model {path}: {detail}") from None
    if not graph.initializer:
        raise ModelFileError(
            f"model {path} has no initializers, so no emap: not an inswapper graph"
        )
    last = graph.initializer[-1]
    dims = tuple(int(d) for d in last.dims)
    if len(dims) != 2 or dims[0] != dims[1] or not 1 <= dims[0] <= MAX_EMBEDDING_DIM:
        raise ModelFileError(
            f"model {path}: last initializer has shape {list(dims)}, expected a square emap "
            f"of at most {MAX_EMBEDDING_DIM} x {MAX_EMBEDDING_DIM}: not an inswapper graph"
        )
    emap = numpy_helper.to_array(last).astype(np.float32)
    if emap.shape != dims or not np.isfinite(emap).all():
        raise ModelFileError(f"model {path}: the emap initializer is corrupt")
    return emap


class InswapperSwapper:
    """Runs an inswapper_128-compatible graph; validates its signature on load, outputs on run."""

    template = "inswapper"
    needs_landmarks = False
    digital_source_type = TRAINED_COMPOSITE

    def __init__(self, config: InswapperConfig, context: BuildContext) -> None:
        self.config = config
        self.recognizer: str | None = config.recognizer
        self.session, self.origin = load_model(config.model, config.runtime, context)
        self.model_path: str | None = self.origin  # hashed into a signed manifest
        # The signature first: a graph with the wrong inputs is not read any further.
        check_inswapper(self.session, self.origin, emap_dim=None)
        self.emap = read_emap(Path(self.origin))
        contract = check_inswapper(self.session, self.origin, emap_dim=self.emap.shape[0])
        self.target_name, self.source_name = contract.target, contract.source
        self.output_name = contract.output
        self.crop_size = contract.crop_size
        # Any batch: swap_batch runs a batch-1 graph (inswapper_128 as published) once per crop.
        self.max_batch = 0

    def prepare_source(self, crop: Image, face: Face) -> FloatArray:
        embedding = require_embedding(face, "inswapper")
        if embedding.shape[0] != self.emap.shape[0]:
            raise ModelFileError(
                f"inswapper expects {self.emap.shape[0]}-d ArcFace embeddings "
                "(buffalo_l w600k_r50); "
                f"the recognizer {self.recognizer!r} gave {embedding.shape[0]}-d"
            )
        latent = embedding.reshape(1, -1) @ self.emap
        latent /= np.linalg.norm(latent)
        return latent.astype(np.float32)

    def swap(self, crop: Image, face: Face, source: FloatArray) -> SwapOutput:
        return self.swap_batch([crop], [face], source)[0]

    def swap_batch(
        self, crops: Sequence[Image], faces: Sequence[Face], source: FloatArray
    ) -> list[SwapOutput]:
        """Swap several crops of one source (pixel boost's sub-crops).

        inswapper_128 as published takes a batch of 1, so it runs once per crop;
        a graph with a dynamic batch takes them all in one run.
        """
        size, count = self.crop_size, len(crops)
        outputs = run_batched(
            self.session,
            {
                self.target_name: to_blobs(crops, size),
                self.source_name: np.repeat(
                    np.asarray(source, np.float32).reshape(1, -1), count, axis=0
                ),
            },
            batched=[self.target_name, self.source_name],
            outputs=[self.output_name],
        )
        images = check_output(
            self.origin, self.output_name, outputs[self.output_name], (count, 3, size, size)
        )
        return [SwapOutput(image) for image in from_blobs(images)]
