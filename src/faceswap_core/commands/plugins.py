"""``faceswap plugins``: which plugin distributions are installed and what they add."""

from __future__ import annotations

import json
from typing import Any

import click

from faceswap_core.cli import plugins_from
from faceswap_core.errors import ConfigError
from faceswap_core.plugins import HOOK_NAMES, FaceswapPlugins


def plugin_listing(
    manager: FaceswapPlugins, *, include_builtin: bool = False, hook: str | None = None
) -> list[dict[str, Any]]:
    """The JSON-ready listing behind ``faceswap plugins`` (also written to work_dirs)."""
    rows: list[dict[str, Any]] = []
    for name in sorted(manager.records):
        record = manager.records[name]
        if record.builtin and not include_builtin:
            continue
        hooks = manager.plugin_hooks(name)
        if hook is not None and hook not in hooks:
            continue
        row: dict[str, Any] = {
            "name": record.name,
            "version": record.version,
            "entry_point": record.entry_point,
            "hooks": hooks,
            "components": manager.components_of(name) if record.error is None else {},
        }
        if record.error is not None:
            row["error"] = record.error
        rows.append(row)
    return rows


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
