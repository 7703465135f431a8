"""A trained checkpoint for inference: the generator, its recognizer, and the export contract.

:func:`load_for_export` is what the export issue calls: it returns a module
with exactly the signature of core's ``onnx`` swapper contract (inputs
``target`` N x 3 x S x S in [0, 1] and ``source`` N x D normalised embedding;
outputs ``output`` and ``mask``) and the ``faceswap.*`` metadata the ONNX
file must carry, read from the checkpoint alone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import attrs
import torch
from torch import nn

from faceswap_core.config.convert import structure
from faceswap_core.config.ranges import between, check_value
from faceswap_core.errors import ConfigError, ModelFileError
from faceswap_core.experiment.loop import read_pointer
from faceswap_unet.checkpoint import (
    MODEL_FILE,
    load_weights,
    model_config_of,
    read_state,
    read_tensors,
)
from faceswap_unet.configs import RecognizerConfig
from faceswap_unet.model.recognizer import FrozenRecognizer, build_backbone, load_backbone_pth
from faceswap_unet.model.unet import UNetSwapper


@attrs.frozen(eq=False)
class LoadedCheckpoint:
    """A checkpoint ready for inference."""

    path: Path
    generator: UNetSwapper
    recognizer: FrozenRecognizer | None
    state: dict[str, Any]

    @property
    def crop_size(self) -> int:
        return int(self.state["crop_size"])

    @property
    def template(self) -> str:
        return str(self.state["template"])

    @property
    def embedding_dim(self) -> int:
        return int(self.state["embedding_dim"])

    @property
    def recognizer_name(self) -> str:
        info = self.state.get("recognizer") or {}
        return str(info.get("name") or f"faceswap-unet:{info.get('arch', 'unknown')}")

    def metadata(self) -> dict[str, str]:
        """The ``metadata_props`` core's ``onnx`` swapper requires of an export."""
        return {
            "faceswap.crop_size": str(self.crop_size),
            "faceswap.template": self.template,
            "faceswap.recognizer": self.recognizer_name,
            "faceswap.embedding_dim": str(self.embedding_dim),
        }


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint folder, or a run folder (its best checkpoint, else its last)."""
    base = Path(path)
    if (base / MODEL_FILE).is_file():
        return base
    folder = base / "checkpoints" if (base / "checkpoints").is_dir() else base
    pointer = read_pointer(folder) if folder.is_dir() else None
    if pointer is not None:
        state = pointer.get("state") or {}
        name = str(state.get("best_checkpoint") or pointer["checkpoint"])
        found: Path = folder / name
        if (found / MODEL_FILE).is_file():
            return found
    raise ModelFileError(
        f"no faceswap-unet checkpoint at {base}: pass a checkpoint folder "
        "(work_dirs/RUN/checkpoints/step-NNNNNNNN.ckpt) or a run folder"
    )


CROP_SIZES = between(32, 512)
"""Crop sizes a U-Net checkpoint may declare (``ModelConfig.crop_size``)."""

EMBEDDING_DIMS = between(8, 4096)
"""Identity embedding sizes a checkpoint may declare (``RecognizerConfig.embedding_dim``)."""

T = TypeVar("T")


def _untrusted(folder: Path, check: Callable[[], T]) -> T:
    """Run a config check on a checkpoint's ``state.json``: a bad value is a damaged model
    file (exit 5), not a config error of the user's."""
    try:
        return check()
    except ConfigError as exc:
        raise ModelFileError(
            f"{folder}: {exc}; the checkpoint is damaged or was not written by faceswap-unet"
        ) from None


def load_checkpoint_for_inference(path: str | Path, device: str = "cpu") -> LoadedCheckpoint:
    folder = resolve_checkpoint(path)
    state = read_state(folder)
    for key in ("crop_size", "template", "embedding_dim", "model"):
        if key not in state:
            raise ModelFileError(
                f"{folder}: state.json lacks {key!r}; it is not a trained checkpoint"
            )
    model_config = _untrusted(folder, lambda: model_config_of(state))
    # state.json is untrusted: no int() traceback, no tensor of a negative size.
    for key, valid in (("crop_size", CROP_SIZES), ("embedding_dim", EMBEDDING_DIMS)):
        if not isinstance(state[key], int) or isinstance(state[key], bool):
            raise ModelFileError(f"{folder}: state.json {key} {state[key]!r} is not an integer")
        _untrusted(folder, partial(check_value, key, state[key], valid))
    generator = UNetSwapper(model_config, int(state["embedding_dim"]))
    tensors = read_tensors(folder / MODEL_FILE)
    load_weights(
        generator,
        {k: v for k, v in tensors.items() if not k.startswith("recognizer.")},
        str(folder),
    )
    generator.eval().to(device)
    recognizer = _recognizer(state, tensors, folder)
    if recognizer is not None:
        recognizer.to(device)
    return LoadedCheckpoint(folder, generator, recognizer, state)


def _recognizer(
    state: dict[str, Any], tensors: dict[str, torch.Tensor], folder: Path
) -> FrozenRecognizer | None:
    info = state.get("recognizer") or {}
    config = _untrusted(
        folder,
        lambda: structure(
            {k: info[k] for k in ("arch", "weights", "embedding_dim", "name", "seed") if k in info},
            RecognizerConfig,
            path="state.json.recognizer",
        ),
    )
    backbone = build_backbone(config)
    own = {
        k.removeprefix("recognizer.backbone."): v
        for k, v in tensors.items()
        if k.startswith("recognizer.backbone.")
    }
    if own:
        load_weights(backbone, own, f"{folder} recognizer")
        return FrozenRecognizer(backbone, config, random=bool(info.get("random")))
    if config.weights and Path(config.weights).is_file():
        load_backbone_pth(backbone, Path(config.weights))
        return FrozenRecognizer(backbone, config, random=False)
    return None


class ExportModule(nn.Module):
    """``forward(target, source) -> (output, mask)``: the ``onnx`` swapper contract."""

    input_names = ("target", "source")
    output_names = ("output", "mask")

    def __init__(self, generator: UNetSwapper) -> None:
        super().__init__()
        self.generator = generator

    def forward(
        self, target: torch.Tensor, source: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        output, mask = self.generator(target, source)
        return output.clamp(0.0, 1.0), mask


def load_for_export(path: str | Path) -> tuple[ExportModule, dict[str, str]]:
    """The contract module (eval mode, CPU) and the ONNX metadata of a checkpoint or run folder."""
    loaded = load_checkpoint_for_inference(path)
    return ExportModule(loaded.generator).eval(), loaded.metadata()


__all__ = [
    "ExportModule",
    "LoadedCheckpoint",
    "load_checkpoint_for_inference",
    "load_for_export",
    "resolve_checkpoint",
]
