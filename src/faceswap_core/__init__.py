"""faceswap-core: the plugin kernel, typed configs, the inference pipeline and its tools.

Plugin authors import what they need from here: ``hookimpl``, the
interfaces their components implement, the data types they exchange and the
build context their factories receive. The sub-packages and their layers are
mapped in ``docs/architecture.md``; ``faceswap_core.testing`` is the opt-in
pytest plugin for plugin tests.

Only ``hookimpl`` and ``Register`` are imported eagerly: a plugin's thin
``hooks`` module does ``from faceswap_core import hookimpl`` and must not pull
in numpy. The other names load on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from faceswap_core.plugin.hookspecs import Register, hookimpl
from faceswap_core.version import __version__

if TYPE_CHECKING:
    from faceswap_core.interfaces import (
        AlignmentTemplate,
        BatchSwapper,
        Dataset,
        DatasetSplit,
        DescribedRuntime,
        Detector,
        Enhancer,
        Exporter,
        ExportReport,
        Face,
        FloatArray,
        Image,
        InferenceSession,
        Landmarker,
        Loss,
        Masker,
        MaskInput,
        Metric,
        MetricValue,
        ModelInfo,
        ModelLocator,
        PairRecord,
        Recognizer,
        Runner,
        Runtime,
        SwapOutput,
        Swapper,
        Work,
        WorkRunner,
    )
    from faceswap_core.plugin.context import BuildContext

_LAZY: dict[str, str] = {
    "BuildContext": "faceswap_core.plugin.context",
    **dict.fromkeys(
        (
            "AlignmentTemplate",
            "BatchSwapper",
            "Dataset",
            "DescribedRuntime",
            "DatasetSplit",
            "Detector",
            "Enhancer",
            "ExportReport",
            "Exporter",
            "Face",
            "FloatArray",
            "Image",
            "InferenceSession",
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
        ),
        "faceswap_core.interfaces",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'faceswap_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AlignmentTemplate",
    "BatchSwapper",
    "BuildContext",
    "Dataset",
    "DatasetSplit",
    "DescribedRuntime",
    "Detector",
    "Enhancer",
    "ExportReport",
    "Exporter",
    "Face",
    "FloatArray",
    "Image",
    "InferenceSession",
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
    "Register",
    "Runner",
    "Runtime",
    "SwapOutput",
    "Swapper",
    "Work",
    "WorkRunner",
    "__version__",
    "hookimpl",
]
