"""``faceswap train CONFIG``: run the training runner a config names, in a new work_dir."""

from __future__ import annotations

import json
import sys

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.experiment.run import launcher_rank, run_training
from faceswap_core.experiment.workdir import DEFAULT_ROOT


@click.command("train")
@click.argument("config_file", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option(
    "--work-dir",
    default=None,
    help="Run folder (default: the config's work_dir, else work_dirs/<name>-<timestamp>).",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override a value, e.g. --set train.steps=100 --set data.root=DIR (repeatable).",
)
@click.option(
    "--resume",
    "resume",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[RUN_DIR]",
    help="Continue from the newest checkpoint of RUN_DIR (or of this experiment's newest run).",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line: the run's summary.")
@click.pass_context
def command(
    ctx: click.Context,
    config_file: str,
    work_dir: str | None,
    overrides: tuple[str, ...],
    resume: str | None,
    as_json: bool,
) -> None:
    """Train from CONFIG (its train: section names the runner, e.g. faceswap-unet's train)."""
    argv = ["faceswap", *sys.argv[1:]] if sys.argv[1:2] == ["train"] else None
    result = run_training(
        config_file,
        overrides,
        work_dir=work_dir,
        resume=False if resume is None else (resume or True),
        plugins=plugins_from(ctx),
        argv=argv,
        root=DEFAULT_ROOT,
    )
    summary = result.to_dict()
    if launcher_rank()[0] > 0:
        return  # under torchrun, rank 0 reports for every process
    if as_json:
        click.echo(json.dumps(summary, allow_nan=False, default=str))
        return
    click.echo(f"work_dir: {result.work_dir}")
    click.echo(f"steps: {result.steps}")
    for key in ("best_checkpoint", "last_checkpoint"):
        click.echo(f"{key}: {summary[key]}")
    for name, value in sorted(result.metrics.items()):
        click.echo(f"  {name}: {value}")
