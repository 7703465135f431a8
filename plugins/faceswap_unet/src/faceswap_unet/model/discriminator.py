"""Multi-scale PatchGAN discriminator (pix2pixHD-style): one patch critic per image scale."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 (the torch convention)


def _groups(channels: int) -> int:
    return 4 if channels % 4 == 0 else 1


class PatchDiscriminator(nn.Module):
    """Returns the patch logits and the intermediate features (for feature matching)."""

    def __init__(self, channels: int, layers: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = [
            nn.Sequential(nn.Conv2d(3, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2))
        ]
        width = channels
        for _ in range(1, layers):
            nxt = min(width * 2, channels * 8)
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(width, nxt, 4, stride=2, padding=1),
                    nn.GroupNorm(_groups(nxt), nxt),
                    nn.LeakyReLU(0.2),
                )
            )
            width = nxt
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = image * 2.0 - 1.0
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return self.head(x), features


class MultiScaleDiscriminator(nn.Module):
    """``scales`` patch critics, each on the image down-sampled by 2 more than the last."""

    def __init__(self, scales: int, channels: int, layers: int) -> None:
        super().__init__()
        self.critics = nn.ModuleList(PatchDiscriminator(channels, layers) for _ in range(scales))

    def forward(self, image: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        out = []
        for index, critic in enumerate(self.critics):
            if index:
                image = F.avg_pool2d(image, 3, stride=2, padding=1, count_include_pad=False)
            out.append(critic(image))
        return out


def hinge_d_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """The discriminator's hinge loss, averaged over scales."""
    terms = [
        F.relu(1.0 - r).mean() + F.relu(1.0 + f).mean() for r, f in zip(real, fake, strict=True)
    ]
    return torch.stack(terms).mean()


__all__ = ["MultiScaleDiscriminator", "PatchDiscriminator", "hinge_d_loss"]
