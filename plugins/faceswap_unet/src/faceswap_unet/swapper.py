"""The ``unet`` swapper: a trained checkpoint run with torch inside core's pipeline.

``faceswap swap --model unet --model-path work_dirs/RUN`` aligns faces to the
checkpoint's crop size and template, embeds the source crop with the
checkpoint's own recognizer (so a run trained with the random ``tiny``
recognizer still swaps), and returns the output with its blend mask for
core's paste-back. For deployments without torch, export the same
checkpoint to ONNX and use the ``onnx`` swapper.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from faceswap_core.errors import ConfigError, InvalidImageError
from faceswap_core.interfaces import Face, FloatArray, Image, SwapOutput
from faceswap_core.io.provenance import TRAINED_COMPOSITE
from faceswap_unet.checkpoint import MODEL_FILE
from faceswap_unet.configs import UnetSwapperConfig
from faceswap_unet.inference import load_checkpoint_for_inference


def to_tensor(crop: Image, size: int) -> torch.Tensor:
    if crop.dtype != np.uint8 or crop.shape != (size, size, 3):
        raise InvalidImageError(
            f"swap crop must be uint8 {size}x{size}x3, got {crop.dtype} {crop.shape}"
        )
    return torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))).float().div(255.0)[None]


class UnetSwapper:
    """Swaps with a faceswap-unet checkpoint (torch, CPU by default)."""

    needs_landmarks = False
    recognizer: str | None = None  # the checkpoint embeds the source itself
    digital_source_type = TRAINED_COMPOSITE  # a trained generator paints the face

    def __init__(self, config: UnetSwapperConfig) -> None:
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.loaded = load_checkpoint_for_inference(config.model, str(self.device))
        if self.loaded.recognizer is None:
            raise ConfigError(
                f"{self.loaded.path} names recognizer weights that are not available here "
                f"({(self.loaded.state.get('recognizer') or {}).get('weights')}); put them back "
                "or export to ONNX and use the onnx swapper with its pipeline recognizer"
            )
        self.crop_size = self.loaded.crop_size
        self.template = self.loaded.template
        self.model_path: str | None = str(self.loaded.path / MODEL_FILE)  # hashed when signing

    @torch.no_grad()
    def prepare_source(self, crop: Image, face: Face) -> FloatArray:
        assert self.loaded.recognizer is not None
        embedding = self.loaded.recognizer(to_tensor(crop, self.crop_size).to(self.device))
        vector: FloatArray = embedding[0].cpu().numpy().astype(np.float32)
        return vector

    def swap(self, crop: Image, face: Face, source: Any) -> SwapOutput:
        return self.swap_batch([crop], [face], source)[0]

    @torch.no_grad()
    def swap_batch(
        self, crops: Sequence[Image], faces: Sequence[Face], source: Any
    ) -> list[SwapOutput]:
        """Swap several crops of one source in one forward pass (pixel boost's sub-crops)."""
        target = torch.cat([to_tensor(crop, self.crop_size) for crop in crops]).to(self.device)
        embedding = torch.as_tensor(np.asarray(source, np.float32)).reshape(1, -1)
        embedding = embedding.expand(len(crops), -1).to(self.device)
        output, mask = self.loaded.generator(target, embedding)
        images = (output.clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() * 255.0 + 0.5).astype(
            np.uint8
        )
        masks = mask[:, 0].cpu().numpy().astype(np.float32)
        return [SwapOutput(np.ascontiguousarray(images[k]), masks[k]) for k in range(len(crops))]


__all__ = ["UnetSwapper", "to_tensor"]
