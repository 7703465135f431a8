"""The plugin's entry point: registers components, imports nothing heavy.

``faceswap --help`` imports this module, so dlib and numpy are imported inside
the factory only, when a pipeline actually builds the detector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl
from faceswap_hello.config import HogConfig

if TYPE_CHECKING:
    from faceswap_core import BuildContext, Detector, Register


def _build_hog(config: HogConfig, context: BuildContext) -> Detector:
    from faceswap_hello.detector import HogDetector

    return HogDetector(config)


@hookimpl
def register_detectors(register: Register[Detector]) -> None:
    register("hog", _build_hog, config=HogConfig)
