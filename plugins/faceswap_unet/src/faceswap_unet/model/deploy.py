"""The generator's inference form: the trained function with less arithmetic, for export.

Export traces this form instead of the training module. Each rewrite is
exact algebra on the trained weights, made when the form is built, so every
checkpoint (those trained before it too) exports through it unchanged, and
the exporter still validates the graph against the training module.

Each decoder level up-samples (nearest, x2) and then convolves (3 x 3): the
convolution runs on a tensor four times the size of its input, three
quarters of which repeat their neighbours. Output pixel ``(2i + a, 2j + b)``
sees only input rows ``i - 1 + a .. i + a`` and columns ``j - 1 + b .. j + b``,
so for each of the four phases ``(a, b)`` the 3 x 3 kernel collapses to a
2 x 2 kernel on the low-resolution input (taps that land on the same input
pixel are summed). One 2 x 2 convolution (padding 1) computes the four
phases as ``4 x C`` channels, a depth-to-space interleaves them and one
crop takes off the border row and column (the phases' order makes their
offsets line up). That is 16 instead of 36
multiply-adds per input pixel and channel pair (2.25x fewer, about a third
of the default U-Net's work), and the up-sampled tensor is never made. It
stays an ordinary convolution, so static int8 quantization and TensorRT
treat it like the others (a transposed convolution computes the same but
ONNX Runtime has no int8 kernel for it).

Group normalisation stays as it is: its statistics are per image, so it
cannot be folded into the convolution before it (``docs/export.md`` has the
profile).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional

from faceswap_unet.model.unet import ConvBlock, UNetSwapper, UpLevel

PHASES: tuple[tuple[int, int], ...] = ((1, 1), (1, 0), (0, 1), (0, 0))
"""Output phases ``(row, column)`` of a x2 up-sampling, in the order of the collapsed kernel's
channels (each output channel's four, depth-to-space CRD order): reversed, so that phase ``a``
at convolution row ``i + a`` lands on row ``2 i + a + 1`` of the depth-to-space, and the
up-sampled convolution is that grid without its first and last row and column."""

_TAPS: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {
    0: ((0,), (1, 2)),
    1: ((0, 1), (2,)),
}
"""Phase -> which 3 x 3 taps (rows or columns) fall on the first and the second input pixel."""


def subpixel_weight(weight: torch.Tensor) -> torch.Tensor:
    """``C_out x C_in x 3 x 3`` -> ``4 C_out x C_in x 2 x 2``, four phases per output channel.

    Channel ``4 c + k`` holds output channel ``c``'s kernel for phase ``PHASES[k]``. Sums
    are taken in float64, so the collapsed kernel is the exact sum rounded once.
    """
    if weight.shape[-2:] != (3, 3):
        raise ValueError(f"expected a 3 x 3 kernel, got {tuple(weight.shape[-2:])}")
    wide = weight.detach().to(torch.float64)
    out = wide.new_zeros(wide.shape[0], len(PHASES), wide.shape[1], 2, 2)
    for phase, (a, b) in enumerate(PHASES):
        for r, rows in enumerate(_TAPS[a]):
            for s, cols in enumerate(_TAPS[b]):
                out[:, phase, :, r, s] = wide[:, :, list(rows)][:, :, :, list(cols)].sum(dim=(2, 3))
    return out.reshape(-1, wide.shape[1], 2, 2).to(weight.dtype)


class SubPixelConv(nn.Module):
    """``conv(upsample_nearest_x2(x))`` for a 3 x 3, padding 1, stride 1 convolution."""

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        if conv.kernel_size != (3, 3) or conv.stride != (1, 1) or conv.padding != (1, 1):
            raise ValueError("SubPixelConv rewrites 3 x 3 convolutions with padding 1, stride 1")
        if conv.groups != 1 or conv.dilation != (1, 1):
            raise ValueError("SubPixelConv rewrites plain (ungrouped, undilated) convolutions")
        self.channels = conv.out_channels
        self.weight = nn.Parameter(subpixel_weight(conv.weight), requires_grad=False)
        bias = None if conv.bias is None else conv.bias.detach().repeat_interleave(4)
        self.bias = None if bias is None else nn.Parameter(bias, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2], x.shape[-1]
        phases = functional.conv2d(x, self.weight, self.bias, padding=1)  # N x 4C x (H+1) x (W+1)
        grid = functional.pixel_shuffle(phases, 2)  # N x C x (2H+2) x (2W+2)
        return grid[:, :, 1 : 2 * height + 1, 1 : 2 * width + 1]


class DeployUpLevel(nn.Module):
    """:class:`UpLevel` with its up-sampling and first convolution as one :class:`SubPixelConv`."""

    def __init__(self, level: UpLevel) -> None:
        super().__init__()
        conv, norm, act = level.reduce[0], level.reduce[1], level.reduce[2]
        if not isinstance(conv, nn.Conv2d) or level.up.scale_factor not in (2, 2.0):
            raise ValueError("DeployUpLevel expects a x2 up-sampling then a convolution block")
        self.reduce = nn.Sequential(SubPixelConv(conv), norm, act)
        self.merge: ConvBlock = level.merge
        self.inject = level.inject

    def forward(self, x: torch.Tensor, skip: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        x = self.reduce(x)
        out: torch.Tensor = self.inject(self.merge(torch.cat([x, skip], dim=1)), embedding)
        return out


def deploy_form(generator: UNetSwapper) -> UNetSwapper:
    """A copy of ``generator`` whose decoder levels are :class:`DeployUpLevel` (same outputs).

    The copy is for inference (export traces it); the trained module is left as it is.
    """
    deployed = copy.deepcopy(generator).eval()
    levels = [level for level in deployed.up if isinstance(level, UpLevel)]
    if len(levels) != len(deployed.up):
        raise ValueError("deploy_form expects a UNetSwapper whose decoder levels are UpLevel")
    deployed.up = nn.ModuleList(DeployUpLevel(level) for level in levels)
    return deployed


REWRITES: tuple[str, ...] = ("nearest x2 up-sampling + 3x3 conv -> sub-pixel 2x2 conv",)
"""What :func:`deploy_form` changes, as the export record states it."""


__all__ = ["PHASES", "REWRITES", "DeployUpLevel", "SubPixelConv", "deploy_form", "subpixel_weight"]
