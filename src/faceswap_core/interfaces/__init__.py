"""The Protocols plugins implement and core calls, and the data they exchange.

One module per slot: ``vision`` (detectors, recognizers, landmarkers),
``align`` (alignment templates), ``swap``, ``masks``, ``enhance``, ``runtime``,
``models``, ``train``, ``eval``, ``export``, ``jobs``; ``face`` holds the data
types. Everything is re-exported here (and from :mod:`faceswap_core`), so plugins
write ``from faceswap_core import Detector``.
"""

from __future__ import annotations

from faceswap_core.interfaces.align import AlignmentTemplate
from faceswap_core.interfaces.enhance import Enhancer
from faceswap_core.interfaces.eval import Metric, MetricValue, PairRecord
from faceswap_core.interfaces.export import Exporter, ExportReport
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.interfaces.jobs import DetachedJobs, JobsRunner, Runner, Work, WorkRunner
from faceswap_core.interfaces.masks import Masker, MaskInput
from faceswap_core.interfaces.models import ModelLocator
from faceswap_core.interfaces.runtime import DescribedRuntime, InferenceSession, Runtime
from faceswap_core.interfaces.swap import BatchSwapper, ChecksRecognizer, SwapOutput, Swapper
from faceswap_core.interfaces.train import Dataset, DatasetSplit, Loss
from faceswap_core.interfaces.vision import Detector, Landmarker, ModelInfo, Recognizer

__all__ = [
    "AlignmentTemplate",
    "BatchSwapper",
    "ChecksRecognizer",
    "Dataset",
    "DatasetSplit",
    "DescribedRuntime",
    "DetachedJobs",
    "Detector",
    "Enhancer",
    "ExportReport",
    "Exporter",
    "Face",
    "FloatArray",
    "Image",
    "InferenceSession",
    "JobsRunner",
    "Landmarker",
    "Loss",
    "MaskInput",
    "Masker",
    "Metric",
    "MetricValue",
    "ModelInfo",
    "ModelLocator",
    "PairRecord",
    "Recognizer",
    "Runner",
    "Runtime",
    "SwapOutput",
    "Swapper",
    "Work",
    "WorkRunner",
]
