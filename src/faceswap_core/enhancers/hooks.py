"""Core's enhancers, registered through the same hook as any plugin's.

A thin module: it names config classes only; ONNX Runtime loads inside the
factories, so ``faceswap --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core.enhancers.configs import (
    CodeFormerConfig,
    GfpganConfig,
    Gpen256Config,
    Gpen512Config,
)
from faceswap_core.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from faceswap_core.interfaces import Enhancer
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register


def _gfpgan(config: GfpganConfig, context: BuildContext) -> Enhancer:
    from faceswap_core.enhancers.contract import PUBLISHED
    from faceswap_core.enhancers.onnx import OnnxEnhancer

    return OnnxEnhancer(PUBLISHED["gfpgan"], config.model, config.runtime, context)


def _codeformer(config: CodeFormerConfig, context: BuildContext) -> Enhancer:
    from faceswap_core.enhancers.contract import PUBLISHED
    from faceswap_core.enhancers.onnx import OnnxEnhancer

    return OnnxEnhancer(
        PUBLISHED["codeformer"], config.model, config.runtime, context, weight=config.weight
    )


def _gpen_256(config: Gpen256Config, context: BuildContext) -> Enhancer:
    from faceswap_core.enhancers.contract import PUBLISHED
    from faceswap_core.enhancers.onnx import OnnxEnhancer

    return OnnxEnhancer(PUBLISHED["gpen_bfr_256"], config.model, config.runtime, context)


def _gpen_512(config: Gpen512Config, context: BuildContext) -> Enhancer:
    from faceswap_core.enhancers.contract import PUBLISHED
    from faceswap_core.enhancers.onnx import OnnxEnhancer

    return OnnxEnhancer(PUBLISHED["gpen_bfr_512"], config.model, config.runtime, context)


@hookimpl
def register_enhancers(register: Register[Enhancer]) -> None:
    register("gfpgan", _gfpgan, config=GfpganConfig)
    register("codeformer", _codeformer, config=CodeFormerConfig)
    register("gpen_bfr_256", _gpen_256, config=Gpen256Config)
    register("gpen_bfr_512", _gpen_512, config=Gpen512Config)
