"""inswapper_128-compatible ONNX graphs (insightface's swap model, user-provided).

The graph takes the aligned target crop (1 x 3 x 128 x 128 RGB in [0, 1],
insightface's +8 px shifted template) and a 1 x 512 latent: the source's
L2-normalised ArcFace embedding multiplied by the graph's last initializer
``emap`` (512 x 512), then normalised again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import SwapOutput
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.plugin.context import BuildContext
from faceswap_core.swappers.blobs import from_blob, load_model, require_embedding, to_blob
from faceswap_core.swappers.configs import InswapperConfig


def read_emap(path: Path) -> FloatArray:
    """The graph's last initializer, which maps embeddings into the swap latent."""
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as exc:
        raise ModelFileError(f"invalid ONNX model {path}: {exc}") from None
    if not graph.initializer:
        raise ModelFileError(f"{path} has no initializers, so no emap: not an inswapper graph")
    emap = numpy_helper.to_array(graph.initializer[-1]).astype(np.float32)
    if emap.ndim != 2 or emap.shape[0] != emap.shape[1]:
        raise ModelFileError(
            f"{path}: last initializer has shape {emap.shape}, expected a square emap"
        )
    return emap


class InswapperSwapper:
    """Runs an inswapper_128-compatible graph; validates its signature on load."""

    template = "inswapper"
    needs_landmarks = False

    def __init__(self, config: InswapperConfig, context: BuildContext) -> None:
        self.config = config
        self.recognizer: str | None = config.recognizer
        self.session, origin = load_model(config.model, config.runtime, context)
        shapes = getattr(self.session, "input_shapes", {})
        inputs = list(self.session.input_names)
        if len(inputs) != 2 or len(self.session.output_names) != 1:
            raise ModelFileError(
                f"{origin}: an inswapper graph has 2 inputs and 1 output, got {inputs} and "
                f"{list(self.session.output_names)}"
            )
        # Inputs are named target/source (insightface's export); otherwise tell them apart by rank.
        if set(inputs) == {"target", "source"}:
            self.target_name, self.source_name = "target", "source"
        else:
            ranks = {name: len(shapes.get(name, ())) for name in inputs}
            four = [n for n, r in ranks.items() if r == 4]
            two = [n for n, r in ranks.items() if r == 2]
            if len(four) != 1 or len(two) != 1:
                raise ModelFileError(
                    f"{origin}: cannot tell target and source inputs apart: {ranks}"
                )
            self.target_name, self.source_name = four[0], two[0]
        target_shape = tuple(shapes.get(self.target_name, ()))
        size = target_shape[-1] if target_shape and isinstance(target_shape[-1], int) else 128
        self.crop_size = int(size)
        self.emap = read_emap(Path(origin))
        source_shape = tuple(shapes.get(self.source_name, ()))
        if (
            source_shape
            and isinstance(source_shape[-1], int)
            and source_shape[-1] != self.emap.shape[0]
        ):
            raise ModelFileError(
                f"{origin}: source input is {source_shape[-1]}-d but emap is {self.emap.shape}"
            )

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
        outputs = self.session.run(
            {self.target_name: to_blob(crop, self.crop_size), self.source_name: source}
        )
        return SwapOutput(from_blob(next(iter(outputs.values()))))
