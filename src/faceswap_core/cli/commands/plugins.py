"""``faceswap plugins``: which plugin distributions are installed and what they add."""

from __future__ import annotations

import json

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.errors import ConfigError
from faceswap_core.plugin.kinds import HOOK_NAMES
from faceswap_core.plugin.listing import plugin_listing


@click.command("plugins")
@click.option("--all", "include_all", is_flag=True, help="Include core's built-in components.")
@click.option("--hook", default=None, help="Only plugins that implement this hook.")
@click.option(
    "--requirements", is_flag=True, help="Print name==version lines (pip requirements format)."
)
@click.pass_context
def command(ctx: click.Context, include_all: bool, hook: str | None, requirements: bool) -> None:
    """List installed plugins as JSON: name, version, entry point, hooks, components."""
    if hook is not None and hook not in HOOK_NAMES:
        raise ConfigError(
            f"--hook {hook!r} is not a faceswap hook; hooks are {', '.join(HOOK_NAMES)}"
        )
    rows = plugin_listing(plugins_from(ctx), include_builtin=include_all, hook=hook)
    if requirements:
        for row in rows:
            if row["version"]:
                click.echo(f"{row['name']}=={row['version']}")
        return
    click.echo(json.dumps(rows, indent=2))
