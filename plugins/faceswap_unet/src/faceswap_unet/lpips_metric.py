"""LPIPS (Zhang et al. 2018) on torch: the ``faceswap eval`` metric and the trainer's loss/metric.

LPIPS compares deep features of two images through linear layers calibrated
on human judgements. The ``lpips`` package ships those linear layers; the
backbone (AlexNet by default) is torchvision's ImageNet model, which
torchvision would download. Nothing is downloaded here: the backbone's
state dict is read from ``backbone`` (a file) or torch's hub cache, where
``torchvision`` keeps it (``$TORCH_HOME/hub/checkpoints/alexnet-owt-7be5be79.pth``).
Without the file the metric reports itself unavailable with that reason
instead of a number computed on a random network. ``random_backbone`` exists
for tests of the plumbing only; its numbers mean nothing and are marked so.

This module is imported by the thin hooks module, so torch, torchvision and
lpips are imported inside functions only.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from faceswap_core import BuildContext, Image, Metric, MetricValue, PairRecord
    from faceswap_core.interfaces.eval import Need, PairKind

BACKBONE_FILES: Mapping[str, str] = {
    "alex": "alexnet-owt-7be5be79.pth",
    "vgg": "vgg16-397923af.pth",
    "squeeze": "squeezenet1_1-b8a52dc0.pth",
}
"""torchvision's file name of each ImageNet backbone LPIPS can use."""

_TORCHVISION_BUILDERS: Mapping[str, str] = {
    "alex": "alexnet",
    "vgg": "vgg16",
    "squeeze": "squeezenet1_1",
}


@attrs.frozen
class LpipsConfig:
    """The ``lpips`` metric's parameters.

    :ivar net: the backbone: ``alex`` (the LPIPS paper's default), ``vgg`` or ``squeeze``.
    :ivar backbone: the backbone's ImageNet state dict (torchvision's file); by
        default looked up in torch's hub cache.
    :ivar random_backbone: use an untrained backbone (plumbing tests only; the
        values are meaningless and reported as such).
    """

    net: Literal["alex", "vgg", "squeeze"] = "alex"
    backbone: str | None = None
    random_backbone: bool = False


def default_backbone(net: str) -> Path:
    """Where torchvision caches the backbone: ``<torch hub dir>/checkpoints/<file>``."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / BACKBONE_FILES[net]


def load_backbone(model: Any, net: str, path: Path) -> None:
    """Copy a torchvision ImageNet state dict into the LPIPS model's backbone slices.

    The file is loaded with ``weights_only=True`` (no pickled code) and its
    ``features.*`` tensors (all LPIPS uses; the classifier is ignored) into a
    torchvision model first, so a file of another network fails with a clear
    error instead of loading half its layers.
    """
    import torchvision

    from faceswap_core.errors import ModelFileError
    from faceswap_unet.torch_files import load_state_file

    builder = getattr(torchvision.models, _TORCHVISION_BUILDERS[net])
    reference = builder(weights=None)
    hint = (
        f"it is not torchvision's {_TORCHVISION_BUILDERS[net]} state dict: "
        f"put {BACKBONE_FILES[net]} there"
    )
    state = load_state_file(path, "LPIPS backbone", hint)
    if not isinstance(state, dict):
        raise ModelFileError(f"LPIPS backbone {path} holds a {type(state).__name__}; {hint}")
    try:
        features = {
            key.removeprefix("features."): value
            for key, value in state.items()
            if key.startswith("features.")
        }
        reference.features.load_state_dict(features)  # strict: every layer, right shapes
    except Exception as exc:
        raise ModelFileError(
            f"LPIPS backbone {path} is not torchvision's {_TORCHVISION_BUILDERS[net]} state "
            f"dict ({type(exc).__name__}: {str(exc)[:200]}); put {BACKBONE_FILES[net]} there"
        ) from None
    features = reference.features
    for slice_module in model.net.children():
        for name, layer in slice_module.named_children():
            layer.load_state_dict(features[int(name)].state_dict())


def missing_backbone_reason(net: str, path: Path) -> str:
    """Why LPIPS is unavailable when its backbone file is absent (said in logs and metrics)."""
    return (
        f"LPIPS needs the ImageNet {_TORCHVISION_BUILDERS[net]} backbone weights, not found "
        f"at {path}; put torchvision's {BACKBONE_FILES[net]} there or set backbone: PATH "
        f"in the lpips metric config"
    )


def lpips_network(net: str, backbone: Path | None) -> Any:
    """The real ``lpips`` network, frozen, with ``backbone``'s weights or a random backbone.

    ``backbone=None`` keeps the randomly initialised backbone (plumbing tests only).
    """
    import lpips

    # pnet_rand=True: build the backbone without torchvision's download; the
    # linear layers (shipped in the lpips package) still load. lpips passes
    # torchvision the deprecated ``pretrained=`` argument: not ours to warn about.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="torchvision")
        model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False)
    if backbone is not None:
        load_backbone(model, net, backbone)
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def load_lpips(mode: str, net: str = "alex") -> tuple[Any | None, str | None]:
    """The trainer's LPIPS: ``(network, None)`` or ``(None, reason)``.

    :param mode: ``auto`` (the backbone from torch's hub cache, else unavailable),
        ``random`` (an untrained backbone, for tests) or ``off``.
    """
    if mode == "off":
        return None, "LPIPS turned off (eval.lpips: off)"
    try:
        import lpips  # noqa: F401  (checked here so the reason names the package)
    except ImportError as exc:
        return None, f"the lpips package is not installed ({exc}); pip install lpips"
    if mode == "random":
        return lpips_network(net, None), None
    path = default_backbone(net)
    if not path.is_file():
        return None, missing_backbone_reason(net, path)
    return lpips_network(net, path), None


class LpipsMetric:
    """Mean LPIPS distance of self-swap reconstructions to their targets (lower is better)."""

    name = "lpips"
    pairs: frozenset[PairKind] = frozenset({"self"})
    needs: frozenset[Need] = frozenset({"crops"})

    def __init__(self, config: LpipsConfig | None = None) -> None:
        self.config = config or LpipsConfig()
        self.values: list[float] = []
        self.unavailable: str | None = None
        self.backbone: str
        self._model: Any = None
        path = Path(self.config.backbone) if self.config.backbone else None
        if self.config.random_backbone:
            self.backbone = "random (untrained; values are meaningless, for tests only)"
        else:
            path = path or default_backbone(self.config.net)
            if not path.is_file():
                self.unavailable = missing_backbone_reason(self.config.net, path)
                return
            self.backbone = str(path)
        self._model = lpips_network(self.config.net, None if self.config.random_backbone else path)

    def distance(self, a: Image, b: Image) -> float:
        """LPIPS between two RGB ``uint8`` images of one size."""
        import numpy as np
        import torch

        def tensor(image: Image) -> torch.Tensor:
            array = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)[None] / 127.5 - 1.0
            return torch.from_numpy(np.ascontiguousarray(array))

        with torch.inference_mode():
            return float(self._model(tensor(a), tensor(b)).reshape(-1)[0])

    def update(self, record: PairRecord) -> Mapping[str, float]:
        if self.unavailable is not None:
            return {}
        if record.result_crop is None or record.target_crop is None:
            raise ValueError("metric 'lpips' needs the record's result and target crops")
        value = self.distance(record.result_crop, record.target_crop)
        self.values.append(value)
        return {"lpips": value}

    def results(self) -> Sequence[MetricValue]:
        from faceswap_core import MetricValue

        details: dict[str, Any] = {"net": self.config.net}
        if self.unavailable is None:
            details["backbone"] = self.backbone
        return [
            MetricValue(
                "lpips",
                sum(self.values) / len(self.values) if self.values else None,
                "distance",
                f"mean LPIPS v0.1 ({self.config.net} backbone, lpips package) between the self-"
                "swap result and the target on the 112 px aligned face crop; lower is closer",
                higher_is_better=False,
                count=len(self.values),
                unavailable=self.unavailable,
                details=details,
            )
        ]


def build_lpips(config: LpipsConfig, context: BuildContext) -> Metric:
    """The ``lpips`` metric component (registered by :mod:`faceswap_unet.hooks`)."""
    return LpipsMetric(config)


__all__ = [
    "BACKBONE_FILES",
    "LpipsConfig",
    "LpipsMetric",
    "build_lpips",
    "default_backbone",
    "load_lpips",
    "lpips_network",
    "missing_backbone_reason",
]
