"""Core's maskers, registered through the same hook as any plugin's.

A thin module: it names config classes only; OpenCV and ONNX Runtime load
inside the factories, so ``faceswap --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from faceswap_core.maskers.configs import AreaConfig, OccluderConfig, ParserConfig
from faceswap_core.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from faceswap_core.interfaces import Masker
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register


def _built_in(mode: str) -> Callable[[None, BuildContext], Masker]:
    def build(config: None, context: BuildContext) -> Masker:
        from faceswap_core.maskers.geometry import BuiltInMasker

        return BuiltInMasker(mode)

    return build


def _area(config: AreaConfig, context: BuildContext) -> Masker:
    from faceswap_core.maskers.geometry import AreaMasker

    return AreaMasker(config)


def _occlusion(config: OccluderConfig, context: BuildContext) -> Masker:
    from faceswap_core.maskers.occlusion import OcclusionMasker

    return OcclusionMasker(config, context)


def _region(config: ParserConfig, context: BuildContext) -> Masker:
    from faceswap_core.maskers.region import RegionMasker

    return RegionMasker(config, context)


@hookimpl
def register_maskers(register: Register[Masker]) -> None:
    for mode in ("auto", "box", "hull", "model"):
        register(mode, _built_in(mode))
    register("area", _area, config=AreaConfig)
    register("occlusion", _occlusion, config=OccluderConfig)
    register("region", _region, config=ParserConfig)
