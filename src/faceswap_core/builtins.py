"""Core's own components, registered through the same hooks as any plugin.

Heavy imports (OpenCV, ONNX Runtime) happen inside the factories so that
``faceswap --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core.hookspecs import RegisterCallback, hookimpl
from faceswap_core.runtime_config import OnnxRuntimeConfig
from faceswap_core.swappers.configs import ClassicConfig, InswapperConfig, OnnxSwapperConfig

if TYPE_CHECKING:
    from faceswap_core.interfaces import Runtime, Swapper


def _classic(config: ClassicConfig) -> Swapper:
    from faceswap_core.swappers.classic import ClassicSwapper

    return ClassicSwapper(config)


def _inswapper(config: InswapperConfig) -> Swapper:
    from faceswap_core.swappers.inswapper import InswapperSwapper

    return InswapperSwapper(config)


def _onnx(config: OnnxSwapperConfig) -> Swapper:
    from faceswap_core.swappers.onnx import OnnxSwapper

    return OnnxSwapper(config)


def _onnxruntime(config: OnnxRuntimeConfig) -> Runtime:
    from faceswap_core.runtime import OnnxRuntime

    return OnnxRuntime(config)


@hookimpl
def register_swappers(register: RegisterCallback) -> None:
    register("classic", _classic, config=ClassicConfig)
    register("inswapper", _inswapper, config=InswapperConfig)
    register("onnx", _onnx, config=OnnxSwapperConfig)


@hookimpl
def register_runtimes(register: RegisterCallback) -> None:
    register("onnxruntime", _onnxruntime, config=OnnxRuntimeConfig)
