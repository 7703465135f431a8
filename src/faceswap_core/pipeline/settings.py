"""The pipeline a command's settings ask for: ``config``, ``overrides``, ``model``, runtime.

Every operation that runs the pipeline (swap, detect, video, stream, eval,
bench, demo, serve) reads its settings the same way on every surface: the
``pipeline:`` section of ``config`` (or the defaults) with ``overrides``
applied, then ``model`` / ``model_path`` as the swapper, then ``runtime`` /
``providers`` (:func:`~faceswap_core.runtime.choice.with_runtime`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.loader import load_experiment
from faceswap_core.config.schema import ComponentRef, PipelineConfig
from faceswap_core.runtime.choice import with_runtime


def swapper_ref(model: str | None, model_path: str | Path | None) -> ComponentRef | None:
    """``--model`` / ``--model-path`` as a swapper reference; ``None`` keeps the config's.

    A model file alone means the ``onnx`` swapper.
    """
    if model is None and model_path is None:
        return None
    ref: ComponentRef = {"type": model or "onnx"}
    if model_path is not None:
        ref["model"] = str(model_path)
    return ref


def resolved_pipeline(
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    *,
    model: str | None = None,
    model_path: str | Path | None = None,
    runtime: str | Mapping[str, Any] | None = None,
    providers: Sequence[str] = (),
    swapper_params: Mapping[str, Any] | None = None,
) -> PipelineConfig:
    """The pipeline a spec asks for (see the module docstring)."""
    pipeline = load_experiment(config, tuple(overrides)).pipeline
    swapper = swapper_ref(model, model_path)
    if swapper is not None or swapper_params:
        base = dict(swapper if swapper is not None else pipeline.swapper)
        pipeline = attrs.evolve(pipeline, swapper={**base, **dict(swapper_params or {})})
    return with_runtime(pipeline, runtime, tuple(providers) or None)


def spec_pipeline(spec: Any, **extra: Any) -> PipelineConfig:
    """:func:`resolved_pipeline` from a spec's own fields (those it has)."""
    return resolved_pipeline(
        getattr(spec, "config", None),
        getattr(spec, "overrides", ()),
        model=getattr(spec, "model", None),
        model_path=getattr(spec, "model_path", None),
        runtime=getattr(spec, "runtime", None),
        providers=getattr(spec, "providers", ()),
        **extra,
    )


__all__ = ["resolved_pipeline", "spec_pipeline", "swapper_ref"]
