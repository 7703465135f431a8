"""Entry point of faceswap-unet: registers this plugin's components.

Thin: torch, torchvision and lpips load inside the factories, so
``faceswap --help`` stays fast and works where torch is broken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl
from faceswap_unet.lpips_metric import LpipsConfig, build_lpips

if TYPE_CHECKING:
    from faceswap_core import Metric, Register


@hookimpl
def register_metrics(register: Register[Metric]) -> None:
    register("lpips", build_lpips, config=LpipsConfig)
