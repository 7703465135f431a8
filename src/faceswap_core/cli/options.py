"""Options several commands share, so every command spells and resolves them the same way.

- ``@config_options`` adds ``--config`` (a YAML file or a shipped config's name)
  and ``--set KEY=VALUE``; :func:`pipeline_config` resolves them.
- ``@runtime_options`` adds ``--runtime NAME`` and ``--providers LIST`` to any
  command that runs the pipeline; :func:`apply_runtime_options` passes both to
  :func:`faceswap_core.runtime.choice.with_runtime`, which is also what the
  Python API calls, so ``faceswap.swap(..., runtime="tensorrt")`` behaves like
  ``faceswap swap --runtime tensorrt``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs
import click

from faceswap_core.config.loader import load_config, load_pipeline_config
from faceswap_core.config.ranges import Validator, check_value
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.io.atomic import atomic_write_text, refuse_special
from faceswap_core.runtime.choice import with_runtime

F = TypeVar("F", bound=Callable[..., Any])

RUNTIME_HELP = (
    "Runtime every model runs on: onnxruntime (default) or a plugin's, e.g. tensorrt "
    "(faceswap-trt). Overrides pipeline.runtime."
)
PROVIDERS_HELP = (
    "ONNX Runtime execution providers in order, comma-separated or repeated: "
    "cuda,cpu / coreml / openvino / tensorrt, or full names. A GPU provider that is "
    "missing or fails to start falls back to CPU with a warning."
)


def config_options(command: F) -> F:
    """Add ``--config`` (a YAML file or a shipped config's name) and ``--set KEY=VALUE``."""
    command = click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Override a config value, e.g. pipeline.faces=largest (repeatable).",
    )(command)
    return click.option(
        "--config",
        default=None,
        help="Config file or shipped config name (baseline, smoke); its pipeline section is used.",
    )(command)


def pipeline_config(
    config: str | None,
    overrides: Sequence[str],
    swapper: dict[str, Any] | None = None,
) -> PipelineConfig:
    """The pipeline section of ``--config`` (or defaults) with ``--set`` and ``--model`` applied."""
    if config is not None:
        experiment, _ = load_config(config, overrides=tuple(overrides))
        resolved = experiment.pipeline
    else:
        resolved = load_pipeline_config(tuple(overrides))
    if swapper is not None:
        resolved = attrs.evolve(resolved, swapper=swapper)
    return resolved


def checked_output(_: click.Context, __: click.Parameter, value: Path | None) -> Path | None:
    """A click callback: refuse an output that is a device, FIFO, socket or symlink up front."""
    if value is not None:
        refuse_special(value)
    return value


def ranged(validator: Validator) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback checking a number option with a :mod:`~faceswap_core.config.ranges`
    validator, so ``--threshold nan`` fails like ``threshold=nan`` (exit 2, one line)."""

    def check(_: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:  # named like the keyword, so CLI, API and REST say the same
            check_value(str(param.name), value, validator)
        return value

    return check


def output_option(command: F) -> F:
    """Add ``--output FILE``: also write the JSON record there (:func:`write_record`)."""
    return click.option(
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        callback=checked_output,
        help="Also write the JSON record to this file (atomically).",
    )(command)


def write_record(record: Any, output: Path | None) -> str:
    """The record as indented JSON, written atomically to ``output`` when given."""
    text = json.dumps(record, indent=2)
    if output is not None:
        atomic_write_text(output, text + "\n")
    return text


def runtime_options(command: F) -> F:
    """Add ``--runtime NAME`` and ``--providers LIST`` (passed as ``runtime`` and ``providers``)."""
    command = click.option(
        "--providers", "providers", multiple=True, metavar="LIST", help=PROVIDERS_HELP
    )(command)
    return click.option("--runtime", default=None, metavar="NAME", help=RUNTIME_HELP)(command)


def apply_runtime_options(
    config: PipelineConfig, runtime: str | None, providers: tuple[str, ...]
) -> PipelineConfig:
    """The pipeline config with the command line's runtime choice applied."""
    return with_runtime(config, runtime, providers or None)


__all__ = [
    "apply_runtime_options",
    "checked_output",
    "config_options",
    "output_option",
    "pipeline_config",
    "ranged",
    "runtime_options",
    "write_record",
]
