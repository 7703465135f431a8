"""The top-level config of an experiment file (``configs/<domain>/<name>.yaml``).

A plain attrs class: later sections (training, evaluation, export) are added
here as fields, each with its own attrs class and defaults, so old config
files stay valid and an unknown section is still an error.
"""

from __future__ import annotations

from typing import Any

import attrs
from packaging.requirements import InvalidRequirement, Requirement

from faceswap_core.config import SEED_MAX, FieldValueError
from faceswap_core.pipeline_config import PipelineConfig


def _check_seed(_: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= SEED_MAX:
        raise FieldValueError(
            attribute.name, f"expected an int between 0 and {SEED_MAX}, got {value!r}"
        )


def _check_requirements(_: Any, attribute: attrs.Attribute[list[str]], value: list[str]) -> None:
    for index, text in enumerate(value):
        try:
            Requirement(text)
        except InvalidRequirement:
            raise FieldValueError(
                f"{attribute.name}[{index}]",
                f"expected pip requirements such as 'faceswap-unet>=0.1', got {text!r}",
            ) from None


def _check_name(_: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (not value or "/" in value or "\\" in value or value in (".", "..")):
        raise FieldValueError(
            attribute.name, f"expected a folder-safe name (no slashes), got {value!r}"
        )


@attrs.frozen
class ExperimentConfig:
    """One experiment: which plugins it needs, its seed, where it writes, and the pipeline.

    :ivar name: experiment name, used for the work_dir (defaults to the config file stem).
    :ivar seed: seeds ``random``, numpy and torch (when present) for reproducible runs.
    :ivar plugins: pip requirements of plugin distributions the config needs,
        e.g. ``["faceswap-retinaface>=0.1"]``; checked before anything runs.
    :ivar work_dir: output folder; ``--work-dir`` wins over it, and without
        either runs go to ``./work_dirs/<name>-<timestamp>``.
    :ivar pipeline: the inference pipeline's components and options.
    """

    name: str | None = attrs.field(default=None, validator=_check_name)
    seed: int = attrs.field(default=0, validator=_check_seed)
    plugins: list[str] = attrs.field(factory=list, validator=_check_requirements)
    work_dir: str | None = None
    pipeline: PipelineConfig = attrs.Factory(PipelineConfig)


__all__ = ["ExperimentConfig"]
