"""The U-Net swap generator: encoder-decoder with skips and identity injection.

The source identity (an L2-normalised embedding) is injected at the
bottleneck and at every decoder level, by FiLM (``x * (1 + gamma) + beta``)
or AdaIN (instance-normalise, then the same scale and shift). Two heads: an
RGB image and a blend mask; the output is ``mask * rgb + (1 - mask) *
target``, so the crop outside the mask stays the target's. Only
export-friendly ops (convolutions, GroupNorm, nearest up-sampling, linear
layers, sigmoid): no data-dependent control flow, so the graph exports to the
``onnx`` swapper contract as is.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from faceswap_unet.configs import ModelConfig

MAX_WIDTH_FACTOR = 8


def _groups(channels: int) -> int:
    for groups in (8, 4, 2):
        if channels % groups == 0:
            return groups
    return 1


class ConvBlock(nn.Sequential):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.GroupNorm(_groups(cout), cout),
            nn.LeakyReLU(0.2),
        )


class Injection(nn.Module):
    """Scale and shift features from the identity embedding (starts as the identity map)."""

    def __init__(self, embedding_dim: int, channels: int, adain: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(embedding_dim, 2 * channels)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)
        self.norm = nn.InstanceNorm2d(channels, affine=False) if adain else nn.Identity()
        self.channels = channels

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        params = self.linear(embedding)
        gamma = params[:, : self.channels].unsqueeze(-1).unsqueeze(-1)
        beta = params[:, self.channels :].unsqueeze(-1).unsqueeze(-1)
        out: torch.Tensor = self.norm(x) * (1.0 + gamma) + beta
        return out


class InjectedResBlock(nn.Module):
    def __init__(self, channels: int, embedding_dim: int, adain: bool) -> None:
        super().__init__()
        self.conv1 = ConvBlock(channels, channels)
        self.inject = Injection(embedding_dim, channels, adain)
        self.conv2 = ConvBlock(channels, channels)

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = x + self.conv2(self.inject(self.conv1(x), embedding))
        return out


class UpLevel(nn.Module):
    def __init__(self, cin: int, cout: int, embedding_dim: int, adain: bool) -> None:
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.reduce = ConvBlock(cin, cout)
        self.merge = ConvBlock(2 * cout, cout)
        self.inject = Injection(embedding_dim, cout, adain)

    def forward(self, x: torch.Tensor, skip: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        x = self.reduce(self.up(x))
        out: torch.Tensor = self.inject(self.merge(torch.cat([x, skip], dim=1)), embedding)
        return out


def widths(config: ModelConfig) -> list[int]:
    base = config.base_channels
    return [base * min(2**level, MAX_WIDTH_FACTOR) for level in range(config.depth + 1)]


class UNetSwapper(nn.Module):
    """``forward(target, source) -> (output, mask)``.

    :param target: N x 3 x S x S RGB in [0, 1] (the aligned target crop).
    :param source: N x D L2-normalised identity embedding.
    :returns: ``output`` N x 3 x S x S in [0, 1] and ``mask`` N x 1 x S x S in [0, 1].
    """

    def __init__(self, config: ModelConfig, embedding_dim: int) -> None:
        super().__init__()
        self.config = config
        self.embedding_dim = embedding_dim
        adain = config.injection == "adain"
        chans = widths(config)
        self.stem = ConvBlock(3, chans[0])
        self.down = nn.ModuleList(
            nn.Sequential(
                ConvBlock(chans[i], chans[i + 1], stride=2), ConvBlock(chans[i + 1], chans[i + 1])
            )
            for i in range(config.depth)
        )
        self.bottleneck = nn.ModuleList(
            InjectedResBlock(chans[-1], embedding_dim, adain)
            for _ in range(config.bottleneck_blocks)
        )
        self.up = nn.ModuleList(
            UpLevel(chans[i + 1], chans[i], embedding_dim, adain)
            for i in reversed(range(config.depth))
        )
        self.rgb = nn.Conv2d(chans[0], 3, 1)
        self.mask = nn.Conv2d(chans[0], 1, 1)

    def forward(
        self, target: torch.Tensor, source: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.stem(target * 2.0 - 1.0)
        skips = []
        for level in self.down:
            skips.append(x)
            x = level(x)
        for block in self.bottleneck:
            x = block(x, source)
        for level, skip in zip(self.up, reversed(skips), strict=True):
            x = level(x, skip, source)
        rgb = torch.sigmoid(self.rgb(x))
        mask = torch.sigmoid(self.mask(x))
        return mask * rgb + (1.0 - mask) * target, mask


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def gflops(model: UNetSwapper, size: int = 128) -> float:
    """Forward GFLOPs (multiply-adds counted as 2) for one ``size`` px crop, via torch's counter."""
    from torch.utils.flop_counter import FlopCounterMode

    param = next(model.parameters())
    target = torch.zeros(1, 3, size, size, device=param.device)
    source = torch.zeros(1, model.embedding_dim, device=param.device)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(target, source)
    return counter.get_total_flops() / 1e9


def model_stats(model: UNetSwapper, size: int = 128) -> dict[str, Any]:
    return {
        "parameters": parameter_count(model),
        "gflops_at": size,
        "gflops": round(gflops(model, size), 4),
    }


__all__ = ["UNetSwapper", "gflops", "model_stats", "parameter_count", "widths"]
