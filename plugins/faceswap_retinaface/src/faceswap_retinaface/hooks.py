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
    RetinaFaceExportConfig,
)

if TYPE_CHECKING:
    from faceswap_core import BuildContext, Detector, Exporter, Landmarker, Recognizer, Register


def _retinaface(config: RetinaFaceConfig, context: BuildContext) -> Detector:
    from faceswap_retinaface.retinaface import RetinaFaceDetector

    return RetinaFaceDetector(config, context.runtime)


def _insightface(config: InsightFaceConfig, context: BuildContext) -> Detector:
    from faceswap_retinaface.insightface_detector import InsightFaceDetector

    return InsightFaceDetector(config, context.models)


def _dlib_recognizer(config: DlibRecognizerConfig, context: BuildContext) -> Recognizer:
    from faceswap_retinaface.recognizers import DlibRecognizer

    return DlibRecognizer(config)


def _arcface(config: ArcFaceConfig, context: BuildContext) -> Recognizer:
    from faceswap_retinaface.recognizers import ArcFaceRecognizer

    return ArcFaceRecognizer(config, context.runtime, context.models)


def _dlib68(config: DlibLandmarkerConfig, context: BuildContext) -> Landmarker:
    from faceswap_retinaface.landmarkers import DlibLandmarker

    return DlibLandmarker(68, config)


def _dlib5(config: DlibLandmarkerConfig, context: BuildContext) -> Landmarker:
    from faceswap_retinaface.landmarkers import DlibLandmarker

    return DlibLandmarker(5, config)


def _retinaface_exporter(config: RetinaFaceExportConfig, context: BuildContext) -> Exporter:
    from faceswap_retinaface.static_export import RetinaFaceExporter

    return RetinaFaceExporter(config)


@hookimpl
def register_detectors(register: Register[Detector]) -> None:
    register("retinaface", _retinaface, config=RetinaFaceConfig)
    register("insightface", _insightface, config=InsightFaceConfig)


@hookimpl
def register_recognizers(register: Register[Recognizer]) -> None:
    register("dlib", _dlib_recognizer, config=DlibRecognizerConfig)
    register("arcface", _arcface, config=ArcFaceConfig)


@hookimpl
def register_landmarkers(register: Register[Landmarker]) -> None:
    register("dlib68", _dlib68, config=DlibLandmarkerConfig)
    register("dlib5", _dlib5, config=DlibLandmarkerConfig)


@hookimpl
def register_exporters(register: Register[Exporter]) -> None:
    register("retinaface", _retinaface_exporter, config=RetinaFaceExportConfig)
