"""``faceswap components``: every registered component with its kind and plugin."""

from __future__ import annotations

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.errors import ConfigError
from faceswap_core.plugin.kinds import KIND_NAMES


@click.command("components")
@click.argument("kind", required=False)
@click.pass_context
def command(ctx: click.Context, kind: str | None) -> None:
    """Show components as a table: name, kind, plugin. KIND limits it to one kind."""
    if kind is not None and kind not in KIND_NAMES:
        raise ConfigError(f"unknown component kind {kind!r}. Kinds: {', '.join(KIND_NAMES)}")
    manager = plugins_from(ctx)
    rows = [
        (component.name, k, component.plugin)
        for k in ([kind] if kind else list(KIND_NAMES))
        for component in manager.registry(k)
    ]
    widths = [
        max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(("NAME", "KIND", "PLUGIN"))
    ]
    click.echo(
        "  ".join(
            h.ljust(w) for h, w in zip(("NAME", "KIND", "PLUGIN"), widths, strict=True)
        ).rstrip()
    )
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
