"""Core's swappers, registered through the same hook as any plugin's.

A thin module: it names config classes only; OpenCV and ONNX Runtime load
inside the factories, so ``faceswap --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core.plugin.hookspecs import hookimpl
from faceswap_core.swappers.configs import ClassicConfig, InswapperConfig, OnnxSwapperConfig

if TYPE_CHECKING:
    from faceswap_core.interfaces import Swapper
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register


def _classic(config: ClassicConfig, context: BuildContext) -> Swapper:
    from faceswap_core.swappers.classic.swapper import ClassicSwapper

    return ClassicSwapper(config)


def _inswapper(config: InswapperConfig, context: BuildContext) -> Swapper:
    from faceswap_core.swappers.inswapper import InswapperSwapper

    return InswapperSwapper(config, context)


def _onnx(config: OnnxSwapperConfig, context: BuildContext) -> Swapper:
    from faceswap_core.swappers.onnx import OnnxSwapper

    return OnnxSwapper(config, context)


@hookimpl
def register_swappers(register: Register[Swapper]) -> None:
    register("classic", _classic, config=ClassicConfig)
    register("inswapper", _inswapper, config=InswapperConfig)
    register("onnx", _onnx, config=OnnxSwapperConfig)
