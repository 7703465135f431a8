"""Differentiable recognizers for the identity loss: ArcFace iresnet, or a tiny random net.

Choice: insightface's ``arcface_torch`` iresnet backbones, loaded from the
``backbone.pth`` state dict insightface publishes for each training run
(``torch.load(..., weights_only=True)``: tensors only, no unpickling of
objects). Converting an ArcFace ONNX (``w600k_r50.onnx``) with onnx2torch
gives a module whose ops are not all differentiable-friendly (BatchNorm
folding, Flatten/Gemm variants) and adds a dependency, so it is not offered.
Without weights only ``tiny`` is allowed: a small randomly initialised CNN
for smoke runs, flagged as such wherever identity numbers are reported.

Input: N x 3 x S x S RGB in [0, 1] on the ArcFace template (any S, resized to
112); output: N x D L2-normalised embeddings.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812 (the torch convention)

from faceswap_core.errors import ModelFileError
from faceswap_unet.configs import RecognizerConfig
from faceswap_unet.torch_files import load_state_file

INPUT_SIZE = 112
LAYERS: dict[str, list[int]] = {
    "iresnet18": [2, 2, 2, 2],
    "iresnet34": [3, 4, 6, 3],
    "iresnet50": [3, 4, 14, 3],
    "iresnet100": [3, 13, 30, 3],
}


def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class IBasicBlock(nn.Module):
    """The pre-activation residual block of insightface's iresnet (same parameter names)."""

    def __init__(
        self, inplanes: int, planes: int, stride: int, downsample: nn.Module | None
    ) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-05)
        self.conv1 = _conv3x3(inplanes, planes)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-05)
        self.prelu = nn.PReLU(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-05)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        identity = x if self.downsample is None else self.downsample(x)
        result: torch.Tensor = out + identity
        return result


class IResNet(nn.Module):
    """insightface's iresnet with its state-dict layout, so ``backbone.pth`` loads as is."""

    def __init__(self, layers: list[int], num_features: int = 512) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-05)
        self.prelu = nn.PReLU(64)
        self.layer1 = self._layer(64, layers[0])
        self.layer2 = self._layer(128, layers[1])
        self.layer3 = self._layer(256, layers[2])
        self.layer4 = self._layer(512, layers[3])
        self.bn2 = nn.BatchNorm2d(512, eps=1e-05)
        self.dropout = nn.Dropout(p=0.0)
        self.fc = nn.Linear(512 * 7 * 7, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-05)
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = False

    def _layer(self, planes: int, blocks: int) -> nn.Sequential:
        downsample = nn.Sequential(
            nn.Conv2d(self.inplanes, planes, 1, stride=2, bias=False),
            nn.BatchNorm2d(planes, eps=1e-05),
        )
        layers: list[nn.Module] = [IBasicBlock(self.inplanes, planes, 2, downsample)]
        self.inplanes = planes
        layers += [IBasicBlock(planes, planes, 1, None) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.bn2(x), 1)
        embedding: torch.Tensor = self.features(self.fc(self.dropout(x)))
        return embedding


class TinyRecognizer(nn.Module):
    """Four strided convolutions and a linear layer: cheap, random, for smoke runs only."""

    def __init__(self, embedding_dim: int) -> None:
        super().__init__()
        chans = [3, 16, 32, 64, 64]
        layers: list[nn.Module] = []
        for cin, cout in itertools.pairwise(chans):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(64 * 7 * 7, embedding_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        embedding: torch.Tensor = self.fc(torch.flatten(self.body(x), 1))
        return embedding


class FrozenRecognizer(nn.Module):
    """Resize to 112, normalise to [-1, 1], embed, L2-normalise; weights never train."""

    def __init__(self, backbone: nn.Module, config: RecognizerConfig, *, random: bool) -> None:
        super().__init__()
        self.backbone = backbone
        self.config = config
        self.random = random
        self.embedding_dim = config.embedding_dim
        for param in self.backbone.parameters():
            param.requires_grad_(False)
        self.backbone.eval()

    def train(self, mode: bool = True) -> FrozenRecognizer:
        super().train(False)  # BatchNorm statistics stay frozen too
        return self

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if image.shape[-1] != INPUT_SIZE or image.shape[-2] != INPUT_SIZE:
            image = F.interpolate(
                image, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False
            )
        return F.normalize(self.backbone(image * 2.0 - 1.0).float(), dim=1)

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "arch": self.config.arch,
            "embedding_dim": self.embedding_dim,
            "weights": self.config.weights,
            "random": self.random,
            "name": self.config.name,
        }
        if self.random:
            info["note"] = (
                "randomly initialised recognizer: identity losses and metrics of this run "
                "measure nothing about real identity"
            )
        return info


def build_backbone(config: RecognizerConfig) -> nn.Module:
    if config.arch == "tiny":
        return TinyRecognizer(config.embedding_dim)
    return IResNet(LAYERS[config.arch], config.embedding_dim)


def load_backbone_pth(backbone: nn.Module, path: Path) -> None:
    """Load an insightface ``backbone.pth`` (a plain state dict) without unpickling objects."""
    state = load_state_file(
        path,
        "recognizer weights",
        "pass the backbone.pth of an insightface arcface_torch run",
    )
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ModelFileError(f"{path} holds a {type(state).__name__}, not a state dict")
    state = {k.removeprefix("module."): v for k, v in state.items()}
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ModelFileError(
            f"{path} does not fit this recognizer: {len(missing)} missing keys "
            f"({', '.join(missing[:3])}), {len(unexpected)} unexpected "
            f"({', '.join(unexpected[:3])}); check recognizer.arch and embedding_dim"
        )


def build_recognizer(config: RecognizerConfig, weights_path: Path | None) -> FrozenRecognizer:
    """The frozen recognizer; ``weights_path`` is the resolved ``config.weights`` (or ``None``)."""
    backbone = build_backbone(config)
    if weights_path is None:
        if config.arch != "tiny":
            raise ModelFileError(
                f"recognizer {config.arch} needs weights: set train.recognizer.weights to an "
                "insightface backbone.pth (or use arch: tiny for smoke runs)"
            )
        generator = torch.Generator().manual_seed(config.seed)
        with torch.no_grad():
            for param in backbone.parameters():
                bound = 1.0 / max(1, param[0].numel()) ** 0.5 if param.dim() > 1 else 0.05
                param.copy_((torch.rand(param.shape, generator=generator) * 2 - 1) * bound)
        return FrozenRecognizer(backbone, config, random=True)
    load_backbone_pth(backbone, weights_path)
    return FrozenRecognizer(backbone, config, random=False)


__all__ = [
    "LAYERS",
    "FrozenRecognizer",
    "IResNet",
    "TinyRecognizer",
    "build_backbone",
    "build_recognizer",
    "load_backbone_pth",
]
