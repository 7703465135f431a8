"""The plugin's entry point: registers components, imports nothing heavy.

``faceswap --help`` imports this module, so dlib and numpy are imported inside
the factory only, when a pipeline actually builds the detector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl
from faceswap_core.hookspecs import RegisterCallback
from faceswap_hello.config import HogConfig

if TYPE_CHECKING:
    from faceswap_core.interfaces import Detector


def _build_hog(config: HogConfig) -> Detector:
    from faceswap_hello.detector import HogDetector

    return HogDetector(config)


@hookimpl
def register_detectors(register: RegisterCallback) -> None:
    register("hog", _build_hog, config=HogConfig)
