"""``prepare``: a dataset's raw data into a prepared folder (``faceswap data DATASET prepare``,
``faceswap.prepare_lfw``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.loader import load_experiment
from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError


@attrs.frozen(kw_only=True)
class PrepareSpec:
    """Detect, align and split SRC into OUTPUT, with a manifest; resumable."""

    src: str | None = fields.option(
        "Raw data: a folder, or an archive the dataset knows (LFW .tgz, Kaggle zip).",
        default=None,
        required=True,
        api_positional=True,
        api_type="str | Path",
    )
    output: str | None = fields.output(
        "Prepared dataset folder.",
        required=True,
        api_positional=True,
        aliases=("--out",),
        api_aliases=("out",),
    )
    config: str | None = fields.config("Config whose data: section sets the options.")
    overrides: tuple[str, ...] = fields.overrides(
        "Override a dataset option, e.g. data.crop_size=112 (repeatable)."
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: {"summary": ...} of the prepared dataset.'
    )


def dataset_ref(
    name: str, config: str | Path | None, overrides: Sequence[str] = ()
) -> dict[str, Any]:
    """``{type: NAME, **options}`` from the ``data:`` section of ``config`` (with ``overrides``);
    the section must name this dataset (or none). ``root`` is dropped: the prepared folder is
    the operation's ``output``."""
    experiment = load_experiment(config, overrides)
    data = dict(experiment.data or {})
    if data.get("type", name) != name:
        raise RuleError(f"{{config}} {config}: data.type is {data['type']!r}, not {name!r}")
    data.pop("root", None)
    return {**data, "type": name}


PREPARE = Operation(
    "prepare",
    PrepareSpec,
    cli=("data", "DATASET", "prepare"),
    api="prepare_lfw",
    api_summary="Prepare an LFW tree, .tgz or Kaggle zip into output, like faceswap data lfw "
    "prepare (needs faceswap-unet; torch is not needed to prepare).",
    api_returns="Mapping[str, Any]",
    api_var_keyword="params",
    api_var_keyword_help="deprecated: the dataset's options as keywords (crop_size=112); pass "
    "overrides=['data.crop_size=112'].",
)


__all__ = ["PREPARE", "PrepareSpec", "dataset_ref"]
