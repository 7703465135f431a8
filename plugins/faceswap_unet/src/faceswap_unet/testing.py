"""Seeded, randomly initialised checkpoints: real checkpoint folders without a training run.

Export tests and the deployment check (``nox -s unet_export``, feeding ``nox
-s isolation``) need a U-Net checkpoint in seconds, not a training run. This
writes one through the trainer's own :func:`~faceswap_unet.checkpoint.save_checkpoint`
(safetensors + ``state.json``, the same format a run writes), with every
weight drawn from a seed, including the identity-injection layers that
training starts at zero, so the source embedding changes the output. Like a
smoke run, it carries its random ``tiny`` recognizer, so it swaps with
``--model unet`` and its export carries the recognizer as ONNX.

``python -m faceswap_unet.testing FOLDER`` writes the default one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch

from faceswap_core.config.convert import unstructure
from faceswap_unet.checkpoint import arch_hash, save_checkpoint
from faceswap_unet.configs import ModelConfig, RecognizerConfig
from faceswap_unet.model.recognizer import build_recognizer
from faceswap_unet.model.unet import UNetSwapper

SMALL_MODEL = ModelConfig(crop_size=64, base_channels=8, depth=3, bottleneck_blocks=1)
"""The smoke config's U-Net: exports in a few seconds, runs in milliseconds."""


def random_checkpoint(
    folder: Path,
    *,
    model: ModelConfig = SMALL_MODEL,
    embedding_dim: int = 128,
    recognizer: str | None = None,
    template: str = "arcface",
    seed: int = 0,
    scale: float = 0.05,
) -> Path:
    """Write a checkpoint folder whose generator weights are drawn from ``seed``.

    :param recognizer: the name recorded for its recognizer (``recognizer.name``; ``None``
        records ``faceswap-unet:tiny``, as a smoke run does). The network itself is a
        seeded ``tiny`` recognizer stored in the checkpoint.
    :param scale: standard deviation of the noise added to every parameter.
    :returns: ``folder``.
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    network = UNetSwapper(model, embedding_dim)
    with torch.no_grad():
        for parameter in network.parameters():
            noise = torch.randn(parameter.shape, generator=generator) * scale
            parameter.add_(noise)
    frozen = build_recognizer(
        RecognizerConfig(arch="tiny", embedding_dim=embedding_dim, name=recognizer, seed=seed),
        None,
    )
    meta: dict[str, Any] = {
        "step": 0,
        "arch": arch_hash(unstructure(model), embedding_dim),
        "model": unstructure(model),
        "crop_size": model.crop_size,
        "template": template,
        "embedding_dim": embedding_dim,
        "recognizer": frozen.describe() | {"seed": seed},
        "seed": seed,
        "note": "randomly initialised by faceswap_unet.testing (not trained)",
    }
    save_checkpoint(
        folder, generator=network, meta=meta, optimizers={}, schedulers={}, recognizer=frozen
    )
    return folder


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m faceswap_unet.testing FOLDER", file=sys.stderr)
        return 2
    print(random_checkpoint(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["SMALL_MODEL", "random_checkpoint"]
