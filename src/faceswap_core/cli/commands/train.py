"""``faceswap train --config CONFIG``: run the training runner a config names, in a new run
folder (``faceswap train CONFIG`` still works, with a warning)."""

from __future__ import annotations

import sys

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.experiment.run import launcher_rank, run_training
from faceswap_core.experiment.workdir import DEFAULT_ROOT
from faceswap_core.operations.train import TRAIN, TrainSpec


def run(ctx: click.Context, spec: TrainSpec) -> None:
    """Train, then print the run folder, checkpoints and final metrics (or one summary line)."""
    argv = ["faceswap", *sys.argv[1:]] if sys.argv[1:2] == ["train"] else None
    result = run_training(
        str(spec.config),
        spec.overrides,
        work_dir=spec.output,
        resume=spec.resume_from,
        plugins=plugins_from(ctx),
        argv=argv,
        root=DEFAULT_ROOT,
    )
    summary = result.to_dict()
    if launcher_rank()[0] > 0:
        return  # under torchrun, rank 0 reports for every process
    if spec.json:
        emit_summary(summary)
        return
    click.echo(f"work_dir: {result.work_dir}")
    click.echo(f"steps: {result.steps}")
    for key in ("best_checkpoint", "last_checkpoint"):
        click.echo(f"{key}: {summary[key]}")
    for name, value in sorted(result.metrics.items()):
        click.echo(f"  {name}: {value}")


command = spec_command(TRAIN, run)
