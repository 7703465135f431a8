"""``faceswap config show``: the resolved, validated config as YAML.

What a run would use after ``_base_`` inheritance, ``--set`` overrides,
plugin requirement checks and component params validation, so a typo is
found before anything heavy loads.
"""

from __future__ import annotations

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.config.loader import dump_config, load_config
from faceswap_core.plugin.references import validate_components


@click.group("config")
def command() -> None:
    """Inspect experiment config files."""


@command.command("show")
@click.argument("config_file", metavar="CONFIG", type=click.Path(dir_okay=True))
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY.PATH=VALUE",
    help="Override a value, e.g. --set pipeline.faces=largest (repeatable).",
)
@click.pass_context
def show(ctx: click.Context, config_file: str, overrides: tuple[str, ...]) -> None:
    """Print CONFIG resolved (bases, overrides) and validated, as YAML."""
    config, _ = load_config(config_file, overrides)
    validate_components(config, plugins_from(ctx))
    click.echo(dump_config(config), nl=False)
