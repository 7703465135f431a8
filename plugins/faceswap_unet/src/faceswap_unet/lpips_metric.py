"""LPIPS through the ``lpips`` package, or the reason it is unavailable.

lpips ships its linear calibration layers but takes the backbone (AlexNet)
from torchvision's ImageNet weights, which torchvision downloads on first
use. Offline, and when the file is not already in torch's hub cache, LPIPS
is reported unavailable with that reason instead of a network error or,
worse, numbers from an untrained backbone. ``random`` builds the real lpips
network on a randomly initialised backbone: only for tests of the plumbing.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any


def alexnet_weights_file() -> Path:
    """Where torchvision keeps AlexNet's ImageNet weights (torch hub cache)."""
    import torch
    from torchvision.models import AlexNet_Weights

    url = str(AlexNet_Weights.IMAGENET1K_V1.url)
    return Path(str(torch.hub.get_dir())) / "checkpoints" / url.rsplit("/", 1)[-1]


def load_lpips(mode: str) -> tuple[Any | None, str | None]:
    """``(module, None)`` or ``(None, reason)``; ``mode`` is ``auto``, ``random`` or ``off``."""
    if mode == "off":
        return None, "LPIPS turned off (eval.lpips: off)"
    try:
        import lpips
    except ImportError as exc:
        return None, f"the lpips package is not installed ({exc}); pip install lpips"
    random_backbone = mode == "random"
    if not random_backbone:
        weights = alexnet_weights_file()
        if not weights.is_file():
            return None, (
                f"LPIPS needs torchvision's AlexNet ImageNet weights at {weights}, which are "
                "not present and cannot be downloaded here; put the file there to enable it"
            )
    with warnings.catch_warnings():
        # lpips 0.1.4 still calls torchvision with the deprecated ``pretrained=`` argument.
        warnings.simplefilter("ignore", UserWarning)
        module = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=random_backbone, verbose=False)
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)
    return module, None


__all__ = ["alexnet_weights_file", "load_lpips"]
