"""The ``faceswap`` command line: a click group built by a factory.

Built per call (``make_cli()``) so tests get a fresh group with their own
plugin manager and no module reloads. Core commands live one per module in
:mod:`faceswap_core.cli.commands`; plugins add theirs through ``register_commands``.
Commands find the running plugin manager with
:func:`faceswap_core.cli.context.plugins_from`.
"""

from __future__ import annotations

import importlib
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import click

from faceswap_core.errors import EXIT_CODES, FaceswapError
from faceswap_core.plugin.manager import FaceswapPlugins, PluginWarning, get_plugins, set_plugins
from faceswap_core.version import __version__

# Each module exposes ``command`` (a click command or group).
CORE_COMMANDS: tuple[str, ...] = (
    "faceswap_core.cli.commands.plugins",
    "faceswap_core.cli.commands.components",
    "faceswap_core.cli.commands.inspect",
    "faceswap_core.cli.commands.models",
    "faceswap_core.cli.commands.bench",
    "faceswap_core.cli.commands.swap",
    "faceswap_core.cli.commands.video",
    "faceswap_core.cli.commands.detect",
    "faceswap_core.cli.commands.demo",
    "faceswap_core.cli.commands.config",
)


class FaceswapGroup(click.Group):
    """Turns :class:`FaceswapError` into one ``Error: ...`` line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FaceswapError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _exit_code_epilog() -> str:
    return "Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES.items())


def make_cli(plugins: FaceswapPlugins | None = None) -> click.Group:
    """Build the root group; ``plugins`` defaults to the process-wide manager."""

    @click.group(cls=FaceswapGroup, epilog=_exit_code_epilog())
    @click.version_option(__version__, prog_name="faceswap")
    @click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
    @click.pass_context
    def cli(ctx: click.Context, debug: bool) -> None:
        """Face swap with pluggable detectors, recognizers and swap models."""
        ctx.ensure_object(dict)
        ctx.obj["debug"] = debug
        ctx.obj["plugins"] = manager

    manager = plugins if plugins is not None else get_plugins()
    if plugins is not None:
        set_plugins(plugins)
    for module_name in CORE_COMMANDS:
        module = importlib.import_module(module_name)
        cli.add_command(module.command)
    manager.add_commands(cli)
    return cli


def _plugin_warnings_as_lines(fallback: Callable[..., None]) -> Callable[..., None]:
    """Plugin warnings are for users: one ``Warning: ...`` line, no source location."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, PluginWarning):
            click.echo(f"Warning: {message}", err=True)
        else:
            fallback(message, category, *args, **kwargs)

    return show


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    with warnings.catch_warnings():
        warnings.showwarning = _plugin_warnings_as_lines(warnings.showwarning)
        try:
            cli = make_cli()
        except FaceswapError as exc:  # e.g. strict plugin loading failed
            if "--debug" in args:
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        cli.main(args=args, prog_name="faceswap")
