"""Options shared by several commands, so every command spells them the same way.

``@runtime_options`` adds ``--runtime NAME`` and ``--providers LIST`` to any
command that runs the pipeline (``swap``, ``detect``, ``bench``, and later
``video`` and ``eval``); the command passes both to
:func:`faceswap_core.runtime.choice.with_runtime`, which is also what the
Python API calls, so ``faceswap.swap(..., runtime="tensorrt")`` behaves like
``faceswap swap --runtime tensorrt``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from faceswap_core.config.schema import PipelineConfig
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


__all__ = ["apply_runtime_options", "runtime_options"]
