"""``faceswap data``: prepare, download and update datasets (``lfw`` from faceswap-unet).

The commands live in core and dispatch to the dataset registered under the
name given on the command line, so without faceswap-unet installed
``faceswap data lfw prepare`` says which package to install. ``prepare`` is
made from its spec (:class:`~faceswap_core.operations.prepare.PrepareSpec`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit_summary
from faceswap_core.cli.spec_command import renamed_option, renamed_value, spec_command
from faceswap_core.experiment.datasets import download_dataset, prepare_dataset, update_dataset
from faceswap_core.operations.prepare import PREPARE, PrepareSpec, dataset_ref


def _echo(report: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        emit_summary(report)
        return
    for key, value in report.items():
        if isinstance(value, Mapping | list) and len(value) > 8:
            value = f"{len(value)} entries (see --json)"
        click.echo(f"{key}: {value}")


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(desc=label, unit="img", file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


class DataGroup(click.Group):
    """``update`` plus one subgroup per dataset name, resolved through the registry.

    Any name is accepted as a dataset (``faceswap data lfw prepare``); building
    it fails with the registry's message (what is available, what to install)
    when nobody registered it, so core names no plugin's dataset.
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        return found if found is not None else _dataset_group(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = plugins_from(ctx).datasets().names()
        return [*super().list_commands(ctx), *names]


@click.group("data", cls=DataGroup)
def command() -> None:
    """Prepare, download and update datasets: faceswap data DATASET prepare|download."""


def _dataset_group(name: str) -> click.Group:
    @click.group(name)
    def group() -> None:
        """Commands of one dataset."""

    group.help = f"The {name} dataset: prepare a local copy or download one."

    def prepare(ctx: click.Context, spec: PrepareSpec) -> None:
        ref = dataset_ref(name, spec.config, spec.overrides)
        with _progress(f"{name} prepare", not spec.json) as progress:
            report = prepare_dataset(
                ref, str(spec.src), str(spec.output), plugins=plugins_from(ctx), progress=progress
            )
        _echo(report, spec.json)

    group.add_command(spec_command(PREPARE, prepare))

    @group.command("download")
    @click.option("-o", "--output", type=click.Path(), help="Prepared dataset folder.")
    @renamed_option("--out", "-o/--output", "output", type=click.Path())
    @click.option("--dataset", "published", default=None, help="Published copy, OWNER/NAME.")
    @click.option(
        "--json",
        "as_json",
        is_flag=True,
        help='Print only JSON Lines: {"summary": ...} of the prepared dataset.',
    )
    @click.pass_context
    def download(
        ctx: click.Context, output: str | None, published: str | None, as_json: bool
    ) -> None:
        """Download the raw data, then prepare it into OUTPUT."""
        folder = renamed_value(ctx, "output", output)
        if folder is None:
            raise click.MissingParameter(ctx=ctx, param_hint="'-o' / '--output'")
        report = download_dataset(name, folder, name=published, plugins=plugins_from(ctx))
        _echo(report, as_json)

    return group


@command.command("update")
@click.argument("root", metavar="DIR", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help='Print only JSON Lines: {"summary": REPORT}.')
@click.pass_context
def update(ctx: click.Context, root: str, as_json: bool) -> None:
    """Re-verify DIR, record added/removed/changed files, bump its version and changelog."""
    _echo(update_dataset(root, plugins=plugins_from(ctx)), as_json)
