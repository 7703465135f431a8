"""faceswap: the public facade.

>>> import faceswap
>>> result = faceswap.swap("target.jpg", "source.jpg")  # RGB uint8, same shape as target

Images go in as paths, bytes, PIL images or RGB ``uint8`` arrays and come out
as RGB ``uint8`` arrays. Errors are in :mod:`faceswap.errors`. Applications
import from here; plugins import from ``faceswap_core``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from faceswap import errors
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.image import Pipeline, SourceIdentity, SwapResult
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins
from faceswap_core.version import __version__

__all__ = [
    "Face",
    "Pipeline",
    "PipelineConfig",
    "SourceIdentity",
    "SwapResult",
    "__version__",
    "detect",
    "errors",
    "load",
    "swap",
]

_lock = threading.Lock()
_pipelines: dict[tuple[FaceswapPlugins, str, tuple[tuple[str, Any], ...]], Pipeline] = {}


def load(config: PipelineConfig | Mapping[str, Any] | str | Path | None = None) -> Pipeline:
    """A pipeline from a config (its ``pipeline:`` section), a mapping, or defaults.

    A config is a YAML path or the name of a shipped config (``"baseline"``,
    ``"smoke"``): an existing path wins, then the configs installed with faceswap.

    Reuse the returned pipeline for many images: models load once and the
    source identity is cached.
    """
    return Pipeline.from_config(config)


def _shared_pipeline(model: str, params: Mapping[str, Any]) -> Pipeline:
    """One pipeline per swapper and plugin manager (a new manager gets new pipelines)."""
    plugins = get_plugins()
    key = (plugins, model, tuple(sorted((k, repr(v)) for k, v in params.items())))
    with _lock:
        if key not in _pipelines:
            swapper = {"type": model, **params}
            _pipelines[key] = Pipeline(PipelineConfig(swapper=swapper), plugins)
        return _pipelines[key]


def detect(img: Any) -> list[Face]:
    """Faces in ``img`` with boxes, scores and five keypoints (default detector)."""
    return _shared_pipeline("classic", {}).detect(img)


def swap(
    img: Any,
    src: Any,
    *,
    model: str = "classic",
    faces: str | None = None,
    reference: Any = None,
    threshold: float | None = None,
    model_path: str | Path | None = None,
    require_face: bool = False,
    **params: Any,
) -> Image:
    """Swap the identity of the largest face in ``src`` into the faces of ``img``.

    :param model: swapper name (``classic``, ``inswapper``, ``onnx``, or a plugin's).
    :param faces: ``all`` (default), ``largest`` or ``reference`` (implied by ``reference``).
    :param reference: an image of the person to replace.
    :param threshold: identity distance for ``reference``, in (0, 2] (default: the recognizer's).
    :param model_path: the model file for ``inswapper`` / ``onnx``.
    :param require_face: raise :class:`faceswap.errors.NoFaceError` when ``img`` has no face.
    :param params: further parameters of the swapper's config class.
    :returns: RGB ``uint8`` array, same shape as ``img``; unchanged when it has no face.
    """
    if model_path is not None:
        params["model"] = str(model_path)
    pipeline = _shared_pipeline(model, params)
    result = pipeline.swap(
        img,
        src,
        faces=faces,
        reference=reference,
        threshold=threshold,
        require_face=require_face,
    )
    return result.image
