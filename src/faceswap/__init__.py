"""faceswap: the public facade.

>>> import faceswap
>>> result = faceswap.swap("target.jpg", "source.jpg")  # RGB uint8, same shape as target

Images go in as paths, bytes, PIL images or RGB ``uint8`` arrays and come out
as RGB ``uint8`` arrays. Videos: :func:`swap_video` (file to file) and
:func:`stream` (any iterable of frames). Errors are in :mod:`faceswap.errors`. Applications
import from here; plugins import from ``faceswap_core``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from faceswap import errors
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.eval.evaluator import EvalOptions, EvalResult
from faceswap_core.eval.evaluator import evaluate as _evaluate
from faceswap_core.eval.mos import MosSheet, export_sheet, import_ratings
from faceswap_core.eval.report import write_comparison, write_report
from faceswap_core.experiment.compare import CompareReport, check_regressions, compare_runs
from faceswap_core.experiment.datasets import prepare_dataset
from faceswap_core.experiment.run import RunResult, run_training
from faceswap_core.export.run import run_export
from faceswap_core.interfaces.export import ExportReport
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.image import Pipeline, SourceIdentity, SwapResult
from faceswap_core.pipeline.stream import Frame
from faceswap_core.pipeline.stream import stream as _stream
from faceswap_core.pipeline.video import VideoReport
from faceswap_core.pipeline.video import swap_video as _swap_video
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins
from faceswap_core.runtime.choice import with_runtime
from faceswap_core.version import __version__

__all__ = [
    "CompareReport",
    "EvalResult",
    "ExportReport",
    "Face",
    "Frame",
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

_lock = threading.Lock()
_pipelines: dict[tuple[FaceswapPlugins, str, str, tuple[tuple[str, Any], ...]], Pipeline] = {}


def load(config: PipelineConfig | Mapping[str, Any] | str | Path | None = None) -> Pipeline:
    """A pipeline from a config (its ``pipeline:`` section), a mapping, or defaults.

    A config is a YAML path or the name of a shipped config (``"baseline"``,
    ``"smoke"``): an existing path wins, then the configs installed with faceswap.

    Reuse the returned pipeline for many images: models load once and the
    source identity is cached.
    """
    return Pipeline.from_config(config)


def _shared_pipeline(
    model: str,
    params: Mapping[str, Any],
    runtime: str | Mapping[str, Any] | None = None,
    providers: list[str] | tuple[str, ...] | None = None,
) -> Pipeline:
    """One pipeline per swapper, runtime and plugin manager (a new manager gets new pipelines)."""
    plugins = get_plugins()
    config = with_runtime(PipelineConfig(swapper={"type": model, **params}), runtime, providers)
    key = (
        plugins,
        model,
        repr(sorted(config.runtime.items())),
        tuple(sorted((k, repr(v)) for k, v in params.items())),
    )
    with _lock:
        if key not in _pipelines:
            _pipelines[key] = Pipeline(config, plugins)
        return _pipelines[key]


def detect(
    img: Any,
    *,
    runtime: str | Mapping[str, Any] | None = None,
    providers: list[str] | tuple[str, ...] | None = None,
) -> list[Face]:
    """Faces in ``img`` with boxes, scores and five keypoints (default detector).

    :param runtime: as ``faceswap detect --runtime``: a runtime name or ``{type: NAME, ...}``.
    :param providers: as ``--providers``: ONNX Runtime execution providers in order.
    """
    return _shared_pipeline("classic", {}, runtime, providers).detect(img)


def swap(
    img: Any,
    src: Any,
    *,
    model: str = "classic",
    faces: str | None = None,
    reference: Any = None,
    threshold: float | None = None,
    model_path: str | Path | None = None,
    runtime: str | Mapping[str, Any] | None = None,
    providers: list[str] | tuple[str, ...] | None = None,
    require_face: bool = False,
    **params: Any,
) -> Image:
    """Swap the identity of the largest face in ``src`` into the faces of ``img``.

    :param model: swapper name (``classic``, ``inswapper``, ``onnx``, or a plugin's).
    :param faces: ``all`` (default), ``largest`` or ``reference`` (implied by ``reference``).
    :param reference: an image of the person to replace.
    :param threshold: identity distance for ``reference``, in (0, 2] (default: the recognizer's).
    :param model_path: the model file for ``inswapper`` / ``onnx``.
    :param runtime: the runtime every model runs on, as ``faceswap swap --runtime``:
        a name (``onnxruntime``, ``tensorrt``) or ``{"type": NAME, **params}``.
    :param providers: ONNX Runtime execution providers in order (``["cuda", "cpu"]``),
        as ``--providers``.
    :param require_face: raise :class:`faceswap.errors.NoFaceError` when ``img`` has no face.
    :param params: further parameters of the swapper's config class.
    :returns: RGB ``uint8`` array, same shape as ``img``; unchanged when it has no face.
    """
    if model_path is not None:
        params["model"] = str(model_path)
    pipeline = _shared_pipeline(model, params, runtime, providers)
    result = pipeline.swap(
        img,
        src,
        faces=faces,
        reference=reference,
        threshold=threshold,
        require_face=require_face,
    )
    return result.image


def export(format: str, **options: Any) -> ExportReport:
    """Run the exporter ``format`` as ``faceswap export FORMAT`` does, with the same options.

    >>> report = faceswap.export("tensorrt", onnx="swap.onnx", out="swap.engine", fp16=True)
    >>> report.summary["cache_key"]

    :param format: an exporter name (``onnx`` from faceswap-unet, ``tensorrt`` from
        faceswap-trt, ``retinaface`` from faceswap-retinaface); an exporter that is
        not installed raises :class:`~faceswap.errors.UnknownComponentError` naming
        the distribution to install.
    :param options: the command's options as keywords (``--min-shape`` is ``min_shape``;
        repeatable options take lists).
    :returns: the written artifact (``report.out``) and its checks (``report.summary``).
    """
    return run_export(format, options)


def evaluate(
    config: str | Path | None = None,
    *,
    model: str | None = None,
    model_path: str | Path | None = None,
    run: str | Path | None = None,
    data: str | Path | None = None,
    pairs: str | Path | None = None,
    videos: str | Path | None = None,
    out: str | Path | None = None,
    baseline: str | Path | None = None,
    tolerance: Mapping[str, float] | Sequence[str] = (),
    overrides: Sequence[str] = (),
) -> EvalResult:
    """Evaluate a swapper like ``faceswap eval``: same options, same outputs, same errors.

    :param config: a YAML config whose ``eval`` (and ``pipeline``) sections are used.
    :param data: a prepared dataset (manifest) or LFW-layout folder; or give
        ``pairs`` (a CSV) or ``videos`` (a folder) instead.
    :param baseline: an eval folder to gate against, with ``tolerance`` as
        ``{"identity_top1": 0.02}`` or ``["identity_top1=0.02"]``.
    :param overrides: ``KEY=VALUE`` strings, as ``--set``.
    :returns: the output folder, the metric values and the full ``metrics.json``.
    :raises faceswap.errors.RegressionError: the run regressed against ``baseline``
        (its outputs are written first).
    """
    options = EvalOptions(
        config=config,
        model=model,
        model_path=None if model_path is None else str(model_path),
        run=run,
        data=data,
        pairs=pairs,
        videos=videos,
        out=out,
        baseline=baseline,
        tolerance=tolerance,
        overrides=tuple(overrides),
    )
    return _evaluate(options)


def report(
    run_dir: str | Path, other: str | Path | None = None, *, output: str | Path | None = None
) -> Path:
    """Regenerate a run's ``report.html`` (``faceswap report``); with ``other``, compare runs."""
    if other is None:
        return write_report(run_dir, output)
    return write_comparison(run_dir, other, output)


def mos_export(
    run_dir: str | Path,
    *,
    n: int = 50,
    seed: int = 0,
    compare: Sequence[str | Path] = (),
    force: bool = False,
) -> MosSheet:
    """Write a blind rating sheet for ``n`` pairs (``faceswap mos export``)."""
    return export_sheet(run_dir, n=n, seed=seed, compare=compare, force=force)


def mos_import(run_dir: str | Path, ratings: str | Path) -> dict[str, Any]:
    """Check a ratings CSV; record MOS per method in ``metrics.json`` (``faceswap mos import``)."""
    return import_ratings(run_dir, ratings)


def train(
    config: str | Path,
    *,
    work_dir: str | Path | None = None,
    resume: bool | str | Path = False,
    overrides: Sequence[str] = (),
    **settings: Any,
) -> RunResult:
    """Train from a config file, like ``faceswap train CONFIG``; returns the run's summary.

    ``settings`` are ``--set`` overrides written as keywords, with ``__`` for
    the dots: ``faceswap.train("smoke.yaml", seed=2, train__steps=10)`` is
    ``faceswap train smoke.yaml --set seed=2 --set train.steps=10``; pass
    ``overrides=["data.root=DIR"]`` for the ``KEY.PATH=VALUE`` form.
    """
    texts = [*overrides, *(f"{k.replace('__', '.')}={_yaml_value(v)}" for k, v in settings.items())]
    return run_training(config, texts, work_dir=work_dir, resume=resume)


def _yaml_value(value: Any) -> str:
    import json
    import math

    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        # YAML's spelling, so the range check names the value (JSON would give a string).
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return value if isinstance(value, str) else json.dumps(value)


def prepare_lfw(src: str | Path, out: str | Path, **params: Any) -> Mapping[str, Any]:
    """Prepare an LFW tree, ``.tgz`` or Kaggle zip into ``out``, like ``faceswap data lfw prepare``.

    ``params`` are the dataset's options (``crop_size=112``, ``seed=0``...).
    Needs faceswap-unet (torch is not needed to prepare).
    """
    return prepare_dataset({"type": "lfw", **params}, src, out)


def compare(
    run_a: str | Path,
    run_b: str | Path,
    *,
    metrics: Sequence[str] = (),
    fail_on_regression: float | None = None,
) -> CompareReport:
    """Compare two run folders, like ``faceswap compare RUN_A RUN_B``.

    Writes ``compare-<A>.png`` / ``.json`` next to RUN_B; with
    ``fail_on_regression`` raises :class:`faceswap.errors.RegressionError`
    when a gated metric of B is worse than A's by more than that (gated: the
    validation metrics with a declared direction, or those in ``metrics``).
    """
    report = compare_runs(run_a, run_b, metrics=metrics, fail_on_regression=fail_on_regression)
    check_regressions(report)
    return report


def _pipeline_for(model: str, model_path: str | Path | None, pipeline: Pipeline | None) -> Pipeline:
    if pipeline is not None:
        return pipeline
    params: dict[str, Any] = {} if model_path is None else {"model": str(model_path)}
    return _shared_pipeline(model, params)


def swap_video(
    in_path: str | Path,
    src: Any,
    out_path: str | Path,
    *,
    model: str = "classic",
    model_path: str | Path | None = None,
    pipeline: Pipeline | None = None,
    **opts: Any,
) -> VideoReport:
    """Swap the identity of the largest face in ``src`` through the video ``in_path``.

    Mirrors ``faceswap video``: ``faces``, ``reference``, ``threshold``,
    ``detect_every``, ``smooth`` (and ``min_cutoff``, ``beta``, ...), ``codec``,
    ``crf``, ``preset``, ``pix_fmt``, ``start``, ``end`` (seconds), ``audio``,
    ``overwrite``, ``provenance``, ``progress``. See
    :func:`faceswap_core.pipeline.video.swap_video`.

    :returns: the job's report (frames, frames/s, per-stage milliseconds, streams).
    """
    chosen = _pipeline_for(model, model_path, pipeline)
    return _swap_video(in_path, src, out_path, pipeline=chosen, **opts)


def stream(
    frames: Iterable[Any],
    src: Any,
    *,
    model: str = "classic",
    model_path: str | Path | None = None,
    pipeline: Pipeline | None = None,
    **opts: Any,
) -> Iterator[Frame]:
    """Swapped :class:`Frame` objects, in order, for any iterable of RGB frames.

    ``frames`` may hold arrays, ``(array, seconds)`` pairs or decoded video
    frames; options as for :func:`swap_video`'s tracking and smoothing. See
    :func:`faceswap_core.pipeline.stream.stream`.
    """
    chosen = _pipeline_for(model, model_path, pipeline)
    return _stream(frames, src, pipeline=chosen, **opts)
