"""faceswap: the public facade.

>>> import faceswap
>>> result = faceswap.swap("target.jpg", "source.jpg")  # RGB uint8, same shape as target

Images go in as paths, bytes, PIL images or RGB ``uint8`` arrays and come out
as RGB ``uint8`` arrays. Errors are in :mod:`faceswap.errors`. Applications
import from here; plugins import from ``faceswap_core``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from faceswap import errors
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.experiment.compare import CompareReport, check_regressions, compare_runs
from faceswap_core.experiment.datasets import prepare_dataset
from faceswap_core.experiment.run import RunResult, run_training
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.image import Pipeline, SourceIdentity, SwapResult
from faceswap_core.version import __version__

__all__ = [
    "CompareReport",
    "Face",
    "Pipeline",
    "PipelineConfig",
    "RunResult",
    "SourceIdentity",
    "SwapResult",
    "__version__",
    "compare",
    "detect",
    "errors",
    "load",
    "prepare_lfw",
    "swap",
    "train",
]

_lock = threading.Lock()
_pipelines: dict[tuple[str, tuple[tuple[str, Any], ...]], Pipeline] = {}


def load(config: PipelineConfig | Mapping[str, Any] | str | Path | None = None) -> Pipeline:
    """A pipeline from a YAML path (its ``pipeline:`` section), a mapping, or defaults.

    Reuse the returned pipeline for many images: models load once and the
    source identity is cached.
    """
    return Pipeline.from_config(config)


def _shared_pipeline(model: str, params: Mapping[str, Any]) -> Pipeline:
    key = (model, tuple(sorted((k, repr(v)) for k, v in params.items())))
    with _lock:
        if key not in _pipelines:
            swapper = {"type": model, **params}
            _pipelines[key] = Pipeline(PipelineConfig(swapper=swapper))
        return _pipelines[key]


def detect(img: Any) -> list[Face]:
    """Faces in ``img`` with boxes, scores and five keypoints (default detector)."""
    return _shared_pipeline("classic", {}).detect(img)


def swap(
    img: Any,
    src: Any,
    *,
    model: str = "classic",
    faces: str = "all",
    reference: Any = None,
    threshold: float | None = None,
    model_path: str | Path | None = None,
    **params: Any,
) -> Image:
    """Swap the identity of the largest face in ``src`` into the faces of ``img``.

    :param model: swapper name (``classic``, ``inswapper``, ``onnx``, or a plugin's).
    :param faces: ``all``, ``largest`` or ``reference``.
    :param reference: an image of the person to replace when ``faces="reference"``.
    :param threshold: identity distance for ``reference`` (default: the recognizer's).
    :param model_path: the model file for ``inswapper`` / ``onnx``.
    :param params: further parameters of the swapper's config class.
    :returns: RGB ``uint8`` array, same shape as ``img``; unchanged when it has no face.
    """
    if model_path is not None:
        params["model"] = str(model_path)
    pipeline = _shared_pipeline(model, params)
    result = pipeline.swap(img, src, faces=faces, reference=reference, threshold=threshold)
    return result.image


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

    if isinstance(value, Path):
        return str(value)
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
    when a metric of B is worse than A's by more than that.
    """
    report = compare_runs(run_a, run_b, metrics=metrics, fail_on_regression=fail_on_regression)
    check_regressions(report)
    return report
