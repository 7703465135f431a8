"""Options several commands share: ``--config`` and ``--set``, resolved the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs
import click

from faceswap_core.config.loader import load_config, load_pipeline_config
from faceswap_core.config.schema import PipelineConfig

F = TypeVar("F", bound=Callable[..., Any])


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


__all__ = ["config_options", "pipeline_config"]
