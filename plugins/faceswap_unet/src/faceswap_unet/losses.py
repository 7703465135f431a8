"""The training losses, registered by name and weighted from the config.

A loss is called with the generator's ``outputs`` and the ``batch`` (both
mappings of tensors) and returns a scalar; the trainer multiplies it by
``weight``. Each loss names the outputs it ``requires``, so the trainer runs
the recognizer and the discriminator only when some loss needs them.

``outputs``: ``output`` / ``mask`` (N x 3|1 x S x S), ``output_embedding`` and
``source_embedding`` (N x D, normalised), ``fake_logits`` / ``fake_features``
/ ``real_features`` (per discriminator scale). ``batch``: ``target``,
``source`` (N x 3 x S x S in [0, 1]) and ``same`` (N, 1.0 where source and
target share the identity).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch.nn import functional as F  # noqa: N812 (the torch convention)

from faceswap_unet.configs import (
    AdversarialLossConfig,
    MaskLossConfig,
    ReconstructionLossConfig,
    WeightedLossConfig,
)

Tensors = Mapping[str, Any]


class ReconstructionLoss:
    """L1 (plus LPIPS when attached) between output and target, on same-identity pairs only."""

    name = "reconstruction"
    requires: frozenset[str] = frozenset({"output"})

    def __init__(self, config: ReconstructionLossConfig) -> None:
        self.weight = config.weight
        self.lpips_weight = config.lpips_weight
        self.lpips: Any = None

    def attach_lpips(self, module: Any) -> None:
        self.lpips = module

    def __call__(self, outputs: Tensors, batch: Tensors) -> torch.Tensor:
        output, target = outputs["output"], batch["target"]
        same = batch["same"].to(output.dtype)
        per_sample = (output - target).abs().flatten(1).mean(dim=1)
        if self.lpips is not None and self.lpips_weight > 0:
            distance = self.lpips(output * 2 - 1, target * 2 - 1).flatten(1).mean(dim=1)
            per_sample = per_sample + self.lpips_weight * distance
        value: torch.Tensor = (per_sample * same).sum() / same.sum().clamp(min=1.0)
        return value


class IdentityLoss:
    """1 - cosine between the recognizer's embedding of the output and the source embedding."""

    name = "identity"
    requires: frozenset[str] = frozenset({"output_embedding", "source_embedding"})

    def __init__(self, config: WeightedLossConfig) -> None:
        self.weight = config.weight

    def __call__(self, outputs: Tensors, batch: Tensors) -> torch.Tensor:
        cosine = F.cosine_similarity(
            outputs["output_embedding"], outputs["source_embedding"], dim=1
        )
        value: torch.Tensor = (1.0 - cosine).mean()
        return value


class MaskLoss:
    """Keeps the blend mask small (mean) and smooth (total variation)."""

    name = "mask"
    requires: frozenset[str] = frozenset({"mask"})

    def __init__(self, config: MaskLossConfig) -> None:
        self.weight = config.weight
        self.area = config.area
        self.smoothness = config.smoothness

    def __call__(self, outputs: Tensors, batch: Tensors) -> torch.Tensor:
        mask = outputs["mask"]
        tv = (mask[..., 1:, :] - mask[..., :-1, :]).abs().mean() + (
            mask[..., :, 1:] - mask[..., :, :-1]
        ).abs().mean()
        value: torch.Tensor = self.area * mask.mean() + self.smoothness * tv
        return value


class AdversarialLoss:
    """The generator's hinge term, ``-D(output)``, averaged over the discriminator's scales."""

    name = "adversarial"
    requires: frozenset[str] = frozenset({"fake_logits"})

    def __init__(self, config: AdversarialLossConfig) -> None:
        self.weight = config.weight
        self.config = config

    def __call__(self, outputs: Tensors, batch: Tensors) -> torch.Tensor:
        return torch.stack([-logits.mean() for logits in outputs["fake_logits"]]).mean()


class FeatureMatchingLoss:
    """L1 between the discriminator's features of the output and of the real target."""

    name = "feature_matching"
    requires: frozenset[str] = frozenset({"fake_features", "real_features"})

    def __init__(self, config: WeightedLossConfig) -> None:
        self.weight = config.weight

    def __call__(self, outputs: Tensors, batch: Tensors) -> torch.Tensor:
        terms = [
            (fake - real.detach()).abs().mean()
            for fakes, reals in zip(outputs["fake_features"], outputs["real_features"], strict=True)
            for fake, real in zip(fakes, reals, strict=True)
        ]
        return torch.stack(terms).mean()


__all__ = [
    "AdversarialLoss",
    "FeatureMatchingLoss",
    "IdentityLoss",
    "MaskLoss",
    "ReconstructionLoss",
]
