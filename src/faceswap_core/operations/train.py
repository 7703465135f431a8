"""``train``: the training runner a config names, in a new run folder (CLI, ``faceswap.train``)."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation


@attrs.frozen(kw_only=True)
class TrainSpec:
    """Train from --config (its train: section names the runner, e.g. faceswap-unet's train).

    The run folder gets config.yaml, env.json, metrics, plots, samples,
    checkpoints and a README with the exact rerun command.
    """

    config: str | None = fields.option(
        "Config file or shipped config name (its train: section names the runner).",
        default=None,
        required=True,
        metavar="CONFIG",
        api_positional=True,
        aliases=("CONFIG",),
        api_type="str | Path",
    )
    output: str | None = fields.output(
        "Run folder (default: the config's work_dir, else work_dirs/<name>-<timestamp>).",
        aliases=("--work-dir",),
        api_aliases=("work_dir",),
    )
    overrides: tuple[str, ...] = fields.overrides(
        "Override a value, e.g. --set train.steps=100 --set data.root=DIR (repeatable)."
    )
    resume: Any = fields.option(
        "Continue from the newest checkpoint of RUN_DIR (or of this experiment's newest run).",
        default=None,
        metavar="[RUN_DIR]",
        flag_value="",
        api_type="bool | str | Path | None",
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: {"summary": ...} of the run when it ends.'
    )

    @property
    def resume_from(self) -> bool | str:
        """``False`` (fresh), ``True`` (the newest run) or a run folder."""
        if self.resume is None or self.resume is False:
            return False
        if self.resume == "" or self.resume is True:
            return True
        return str(self.resume)


TRAIN = Operation(
    "train",
    TrainSpec,
    cli=("train",),
    api="train",
    api_summary="Train from a config file, like faceswap train --config CONFIG; returns the "
    "run's summary.",
    api_returns="RunResult",
    api_var_keyword="settings",
    api_var_keyword_help="deprecated: --set overrides as keywords, __ for the dots "
    "(train__steps=10); pass overrides=['train.steps=10'].",
)


__all__ = ["TRAIN", "TrainSpec"]
