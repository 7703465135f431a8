"""faceswap: the public facade.

>>> import faceswap
>>> result = faceswap.swap("target.jpg", "source.jpg")  # RGB uint8, same shape as target

Images go in as paths, bytes, PIL images or RGB ``uint8`` arrays and come out
as RGB ``uint8`` arrays. Videos: :func:`swap_video` (file to file) and
:func:`stream` (any iterable of frames). Errors are in :mod:`faceswap.errors`. Applications
import from here; plugins import from ``faceswap_core``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from faceswap import errors
from faceswap._operations import (
    ImageInput,
    compare,
    detect,
    evaluate,
    prepare_lfw,
    report,
    stream,
    swap,
    swap_video,
    train,
)
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.eval.evaluator import EvalResult
from faceswap_core.eval.mos import MosSheet, export_sheet, import_ratings
from faceswap_core.experiment.compare import CompareReport
from faceswap_core.experiment.run import RunResult
from faceswap_core.export.run import run_export
from faceswap_core.interfaces.export import ExportReport
from faceswap_core.interfaces.face import Face
from faceswap_core.operations.export import export_operation
from faceswap_core.operations.structure import resolve_aliases
from faceswap_core.pipeline.image import Pipeline, SourceIdentity, SwapResult
from faceswap_core.pipeline.stream import Frame
from faceswap_core.pipeline.video import VideoReport
from faceswap_core.plugin.kinds import EXPORTER
from faceswap_core.plugin.manager import get_plugins
from faceswap_core.version import __version__

__all__ = [
    "CompareReport",
    "EvalResult",
    "ExportReport",
    "Face",
    "Frame",
    "ImageInput",
    "MosSheet",
    "Pipeline",
    "PipelineConfig",
    "RunResult",
    "SourceIdentity",
    "SwapResult",
    "VideoReport",
    "__version__",
    "compare",
    "detect",
    "errors",
    "evaluate",
    "export",
    "load",
    "mos_export",
    "mos_import",
    "prepare_lfw",
    "report",
    "stream",
    "swap",
    "swap_video",
    "train",
]


def load(config: PipelineConfig | Mapping[str, Any] | str | Path | None = None) -> Pipeline:
    """A pipeline from a config (its ``pipeline:`` section), a mapping, or defaults.

    A config is a YAML path or the name of a shipped config (``"baseline"``,
    ``"smoke"``): an existing path wins, then the configs installed with faceswap.

    Reuse the returned pipeline for many images: models load once and the
    source identity is cached.
    """
    return Pipeline.from_config(config)


def export(format: str, **options: Any) -> ExportReport:
    """Run the exporter ``format`` as ``faceswap export FORMAT`` does, with the same options.

    >>> report = faceswap.export("tensorrt", onnx="swap.onnx", output="swap.engine", fp16=True)
    >>> report.summary["cache_key"]

    :param format: an exporter name (``onnx`` from faceswap-unet, ``tensorrt`` from
        faceswap-trt, ``retinaface`` from faceswap-retinaface); an exporter that is
        not installed raises :class:`~faceswap.errors.UnknownComponentError` naming
        the distribution to install.
    :param options: the command's options as keywords (``--min-shape`` is ``min_shape``;
        repeatable options take lists). Old names (``out``, ``force``) still work, with
        a :class:`~faceswap.errors.FaceswapWarning` naming the new one.
    :returns: the written artifact (``report.out``) and its checks (``report.summary``).
    """
    plugins = get_plugins()
    component = plugins.registry(EXPORTER).get(format)
    if component.config is not None:
        operation = export_operation(component.name, component.config, component.plugin)
        options = resolve_aliases(operation, options, "api")
    return run_export(format, options, plugins=plugins)


def mos_export(
    run_dir: str | Path,
    *,
    n: int = 50,
    seed: int = 0,
    compare: Sequence[str | Path] = (),
    overwrite: bool = False,
    force: bool | None = None,
) -> MosSheet:
    """Write a blind rating sheet for ``n`` pairs (``faceswap mos export``).

    :param overwrite: replace an existing sheet (``force`` is its old name).
    """
    if force is not None:
        warnings.warn("force= is deprecated; use overwrite=", errors.FaceswapWarning, stacklevel=2)
        overwrite = overwrite or force
    return export_sheet(run_dir, n=n, seed=seed, compare=compare, force=overwrite)


def mos_import(run_dir: str | Path, ratings: str | Path) -> dict[str, Any]:
    """Check a ratings CSV; record MOS per method in ``metrics.json`` (``faceswap mos import``)."""
    return import_ratings(run_dir, ratings)
