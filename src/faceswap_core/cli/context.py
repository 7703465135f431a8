"""What a running command needs from the click context: the plugin manager, the debug flag."""

from __future__ import annotations

import click

from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins


def plugins_from(ctx: click.Context) -> FaceswapPlugins:
    """The plugin manager of the running command (the root group stores it)."""
    root = ctx.find_root()
    manager = (root.obj or {}).get("plugins")
    return manager if isinstance(manager, FaceswapPlugins) else get_plugins()


__all__ = ["plugins_from"]
