"""What the generated ``faceswap.*`` functions call: spec in, operation run, result out.

:func:`call` structures a function's arguments into the operation's spec
(:func:`faceswap_core.operations.build_spec`: the same types, ranges and
cross-field rules as the command line and REST; old keyword names with one
:class:`~faceswap_core.errors.FaceswapWarning`), then runs the handler of
that operation below. Pipelines are cached per settings and plugin manager,
so calling ``faceswap.swap`` in a loop loads the models once.
"""

from __future__ import annotations

import json
import math
import threading
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.schema import VideoConfig
from faceswap_core.errors import FaceswapWarning
from faceswap_core.eval.evaluator import EvalOptions
from faceswap_core.eval.evaluator import evaluate as _evaluate
from faceswap_core.eval.report import write_comparison, write_report
from faceswap_core.experiment.compare import check_regressions, compare_runs
from faceswap_core.experiment.datasets import prepare_dataset
from faceswap_core.experiment.run import run_training
from faceswap_core.io.credentials.keygen import write_test_chain
from faceswap_core.io.inspection import inspect_file, verified
from faceswap_core.operations.prepare import dataset_ref
from faceswap_core.operations.structure import build_spec
from faceswap_core.operations.table import operation_named
from faceswap_core.pipeline.batch import ImageWork, SwapOptions, shipped
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.runner import spec_runner
from faceswap_core.pipeline.settings import QualityOptions, resolved_pipeline
from faceswap_core.pipeline.stream import stream as _stream
from faceswap_core.pipeline.video import swap_video as _swap_video
from faceswap_core.pipeline.video import swap_videos
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins, loaded_distributions


class _Required:
    """The default of a parameter that must be given (so an old keyword name can stand in)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

_lock = threading.Lock()
_pipelines: dict[tuple[FaceswapPlugins, str], Pipeline] = {}


def call(name: str, arguments: Mapping[str, Any]) -> Any:
    """Run operation ``name`` with a generated function's ``locals()``."""
    operation = operation_named(name)
    function = str(operation.api)
    given = dict(arguments)
    keywords = operation.api_var_keyword
    extra: dict[str, Any] = dict(given.pop(keywords, None) or {}) if keywords else {}
    old_names = {alias for _, surface in operation.fields("api") for alias in surface.api_aliases}
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key in old_names and value is None:
            continue
        values[key] = value
    for key, value in list(values.items()):
        if value is REQUIRED:
            replaced = any(
                key == field.name and any(alias in values for alias in surface.api_aliases)
                for field, surface in operation.fields("api")
            )
            if not replaced:
                raise TypeError(f"{function}() missing required argument: {key!r}")
            del values[key]
    spec = build_spec(operation, values, "api")
    return HANDLERS[name](spec, extra)


# -- pipelines -------------------------------------------------------------------------------


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def shared_pipeline(spec: Any, swapper_params: Mapping[str, Any] | None = None) -> Pipeline:
    """The spec's pipeline (``spec.pipeline`` if given), one per settings and plugin manager."""
    given = getattr(spec, "pipeline", None)
    quality = QualityOptions.of(spec)
    if given is not None:
        if not isinstance(given, Pipeline):
            raise TypeError(f"pipeline must be a faceswap.Pipeline, got {type(given).__name__}")
        return given.with_config(quality.apply(given.config))  # its models, these settings
    plugins = get_plugins()
    settings = {
        name: getattr(spec, name, None)
        for name in ("config", "overrides", "model", "model_path", "runtime", "providers")
    }
    key = (
        plugins,
        _key({**settings, "params": dict(swapper_params or {}), "quality": quality.given()}),
    )
    with _lock:
        if key not in _pipelines:
            config = resolved_pipeline(
                settings["config"],
                settings["overrides"] or (),
                model=settings["model"],
                model_path=settings["model_path"],
                runtime=settings["runtime"],
                providers=settings["providers"] or (),
                swapper_params=swapper_params,
                quality=quality,
            )
            _pipelines[key] = Pipeline(config, plugins)
        return _pipelines[key]


def _warn(message: str) -> None:
    warnings.warn(message, FaceswapWarning, stacklevel=5)


def _yaml_value(value: Any) -> str:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        # YAML's spelling, so the range check names the value (JSON would give a string).
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return value if isinstance(value, str) else json.dumps(value)


def _as_overrides(prefix: str, extra: Mapping[str, Any]) -> list[str]:
    return [f"{prefix}{key.replace('__', '.')}={_yaml_value(v)}" for key, v in extra.items()]


def _video_extra(function: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    """Old ``**options`` of swap_video / stream: ``pipeline.video`` keys, with a warning."""
    if not extra:
        return {}
    names = {field.name for field in attrs.fields(VideoConfig)}
    unknown = sorted(set(extra) - names)
    if unknown:
        raise TypeError(f"{function}() got unexpected keyword argument(s) {', '.join(unknown)}")
    _warn(
        f"{function}({', '.join(f'{k}=' for k in extra)}) is deprecated; pass smooth_params="
        "{...} (smoothing) or overrides=['pipeline.video.KEY=VALUE']"
    )
    return dict(extra)


# -- one handler per operation ---------------------------------------------------------------


def _swap(spec: Any, extra: Mapping[str, Any]) -> Any:
    if extra:
        _warn(
            f"swap({', '.join(f'{k}=' for k in extra)}) is deprecated; pass "
            "overrides=['pipeline.swapper.NAME=VALUE']"
        )
    pipeline = shared_pipeline(spec, swapper_params=extra)
    if spec.cluster is not None:
        return _swap_on_cluster(spec, pipeline)
    result = pipeline.swap(
        spec.target,
        spec.source,
        faces=spec.faces,
        reference=spec.reference,
        threshold=spec.threshold,
        require_face=spec.require_face,
    )
    return result.image


def _swap_on_cluster(spec: Any, pipeline: Pipeline) -> Any:
    """The one image swapped by a worker of ``spec.cluster``; the same pixels as here."""
    limit = pipeline.config.limits.max_bytes
    options = SwapOptions(
        faces=spec.faces,
        reference=None if spec.reference is None else shipped(spec.reference, "reference", limit),
        threshold=spec.threshold,
        require_face=spec.require_face,
    )
    work = ImageWork(
        pipeline.config,
        shipped(spec.source, "source", limit),
        options,
        loaded_distributions(pipeline.plugins),
    )
    with spec_runner(spec, pipeline.plugins) as runner:
        (image,) = runner.map(work, [shipped(spec.target, "target", limit)])
    return image


def _detect(spec: Any, extra: Mapping[str, Any]) -> Any:
    return shared_pipeline(spec).detect(spec.image)


def _video(spec: Any, extra: Mapping[str, Any]) -> Any:
    options = {**spec.video_options(), **_video_extra("swap_video", extra)}
    if spec.cluster is not None:
        pipeline = shared_pipeline(spec)
        with spec_runner(spec, pipeline.plugins) as runner:
            on_progress = spec.on_progress
            (record,) = swap_videos(
                runner,
                [(spec.target, spec.output)],
                spec.source,
                pipeline=pipeline.config,
                plugins=pipeline.plugins,
                item_progress=None
                if on_progress is None
                else (lambda _, done, total: on_progress(done, total)),
                **spec.file_options(),
                **options,
            )
        return record.raise_failure()
    return _swap_video(
        spec.target,
        spec.source,
        spec.output,
        pipeline=shared_pipeline(spec),
        progress=spec.on_progress,
        **spec.file_options(),
        **options,
    )


def _stream_frames(spec: Any, extra: Mapping[str, Any]) -> Any:
    options = {**spec.video_options(), **_video_extra("stream", extra)}
    return _stream(
        spec.frames,
        spec.source,
        pipeline=shared_pipeline(spec),
        faces=spec.faces,
        reference=spec.reference,
        threshold=spec.threshold,
        fps=spec.fps,
        copy=spec.copy,
        **options,
    )


def _evaluate_spec(spec: Any, extra: Mapping[str, Any]) -> Any:
    if spec.cluster is None:
        return _evaluate(EvalOptions.of(spec))
    plugins = get_plugins()
    with spec_runner(spec, plugins) as runner:
        return _evaluate(EvalOptions.of(spec), plugins=plugins, runner=runner)


def _train(spec: Any, extra: Mapping[str, Any]) -> Any:
    overrides = list(spec.overrides)
    if extra:
        _warn(
            f"train({', '.join(f'{k}=' for k in extra)}) is deprecated; pass "
            "overrides=['KEY.PATH=VALUE']"
        )
        overrides += _as_overrides("", extra)
    return run_training(spec.config, overrides, work_dir=spec.output, resume=spec.resume_from)


def _report(spec: Any, extra: Mapping[str, Any]) -> Any:
    if spec.other is None:
        return write_report(spec.run_dir, spec.output)
    return write_comparison(spec.run_dir, spec.other, spec.output)


def _compare(spec: Any, extra: Mapping[str, Any]) -> Any:
    run_a, run_b = spec.runs
    report = compare_runs(
        run_a, run_b, metrics=spec.metrics, tolerance=spec.tolerance if spec.gated else None
    )
    check_regressions(report)
    return report


def _prepare(spec: Any, extra: Mapping[str, Any]) -> Any:
    overrides = list(spec.overrides)
    if extra:
        _warn(
            f"prepare_lfw({', '.join(f'{k}=' for k in extra)}) is deprecated; pass "
            "overrides=['data.NAME=VALUE']"
        )
        overrides += _as_overrides("data.", extra)
    return prepare_dataset(dataset_ref("lfw", spec.config, overrides), spec.src, spec.output)


def _inspect(spec: Any, extra: Mapping[str, Any]) -> Any:
    limits = resolved_pipeline(spec.config, spec.overrides).limits
    report = inspect_file(spec.file, max_bytes=limits.max_bytes, trust=spec.trust)
    if spec.verify:
        warning = verified(report, require_trust=spec.trust is not None)
        if warning is not None:
            _warn(warning)
    return report.record


def _keygen(spec: Any, extra: Mapping[str, Any]) -> Any:
    return write_test_chain(spec.output, spec.alg, overwrite=spec.overwrite)


HANDLERS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "swap": _swap,
    "detect": _detect,
    "video": _video,
    "stream": _stream_frames,
    "eval": _evaluate_spec,
    "train": _train,
    "report": _report,
    "compare": _compare,
    "prepare": _prepare,
    "inspect": _inspect,
    "provenance keygen": _keygen,
}
"""One handler per operation with a Python function (keyed by operation name)."""


__all__ = ["HANDLERS", "REQUIRED", "call", "shared_pipeline"]
