"""Entry point of faceswap-retinaface: registers its components, imports nothing heavy.

OpenCV, ONNX Runtime, dlib and insightface load inside the factories, so
``faceswap --help`` stays fast and a broken optional dependency only breaks
the component that needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core import hookimpl
from faceswap_retinaface.configs import (
    ArcFaceConfig,
    DlibLandmarkerConfig,
    DlibRecognizerConfig,
    InsightFaceConfig,
    RetinaFaceConfig,
)

if TYPE_CHECKING:
    from faceswap_core.hookspecs import RegisterCallback
    from faceswap_core.interfaces import Detector, Landmarker, Recognizer


def _retinaface(config: RetinaFaceConfig) -> Detector:
    from faceswap_retinaface.retinaface import RetinaFaceDetector

    return RetinaFaceDetector(config)


def _insightface(config: InsightFaceConfig) -> Detector:
    from faceswap_retinaface.insightface_detector import InsightFaceDetector

    return InsightFaceDetector(config)


def _dlib_recognizer(config: DlibRecognizerConfig) -> Recognizer:
    from faceswap_retinaface.recognizers import DlibRecognizer

    return DlibRecognizer(config)


def _arcface(config: ArcFaceConfig) -> Recognizer:
    from faceswap_retinaface.recognizers import ArcFaceRecognizer

    return ArcFaceRecognizer(config)


def _dlib68(config: DlibLandmarkerConfig) -> Landmarker:
    from faceswap_retinaface.landmarkers import DlibLandmarker

    return DlibLandmarker(68, config)


def _dlib5(config: DlibLandmarkerConfig) -> Landmarker:
    from faceswap_retinaface.landmarkers import DlibLandmarker

    return DlibLandmarker(5, config)


@hookimpl
def register_detectors(register: RegisterCallback) -> None:
    register("retinaface", _retinaface, config=RetinaFaceConfig)
    register("insightface", _insightface, config=InsightFaceConfig)


@hookimpl
def register_recognizers(register: RegisterCallback) -> None:
    register("dlib", _dlib_recognizer, config=DlibRecognizerConfig)
    register("arcface", _arcface, config=ArcFaceConfig)


@hookimpl
def register_landmarkers(register: RegisterCallback) -> None:
    register("dlib68", _dlib68, config=DlibLandmarkerConfig)
    register("dlib5", _dlib5, config=DlibLandmarkerConfig)
