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
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from faceswap import errors
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.image import Pipeline, SourceIdentity, SwapResult
from faceswap_core.pipeline.stream import Frame
from faceswap_core.pipeline.stream import stream as _stream
from faceswap_core.pipeline.video import VideoReport
from faceswap_core.pipeline.video import swap_video as _swap_video
from faceswap_core.version import __version__

__all__ = [
    "Face",
    "Frame",
    "Pipeline",
    "PipelineConfig",
    "SourceIdentity",
    "SwapResult",
    "VideoReport",
    "__version__",
    "detect",
    "errors",
    "load",
    "stream",
    "swap",
    "swap_video",
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
