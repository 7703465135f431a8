"""The ``faceswap`` command line: a click group built by a factory.

Built per call (``make_cli()``) so tests get a fresh group with their own
plugin manager and no module reloads. Core commands live one per module in
:mod:`faceswap_core.cli.commands`; plugins add theirs through ``register_commands``.
Commands find the running plugin manager with
:func:`faceswap_core.cli.context.plugins_from`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.errors import (
    EXIT_CODES,
    FaceswapError,
    FaceswapWarning,
    Interrupted,
    MissingPluginError,
    one_line,
)
from faceswap_core.io.atomic import disk_full_error
from faceswap_core.operations.rules import RuleError, render_rule
from faceswap_core.plugin.directory import COMMAND, hint_for
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins, set_plugins
from faceswap_core.version import __version__

DEBUG_FLAG = "--debug"

# Each module exposes ``command`` (a click command or group) named like the module.
# They load lazily: ``faceswap swap`` imports the swap command only, not PyAV or
# the evaluation stack (``--help`` loads them all to list them).
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
    "faceswap_core.cli.commands.export",
    "faceswap_core.cli.commands.eval",
    "faceswap_core.cli.commands.report",
    "faceswap_core.cli.commands.mos",
    "faceswap_core.cli.commands.train",
    "faceswap_core.cli.commands.data",
    "faceswap_core.cli.commands.compare",
)


def debug_first(args: list[str]) -> list[str]:
    """Move ``--debug`` to the root group, so it works before or after the subcommand.

    Only tokens before a ``--`` separator are moved.
    """
    end = args.index("--") if "--" in args else len(args)
    if DEBUG_FLAG not in args[:end]:
        return args
    rest = [arg for arg in args[:end] if arg != DEBUG_FLAG]
    return [DEBUG_FLAG, *rest, *args[end:]]


class FaceswapGroup(click.Group):
    """Turns every error into one ``Error: ...`` line and its exit code.

    A :class:`FaceswapError` keeps its own code; a full disk is exit code 3;
    Ctrl-C, SIGTERM and SIGHUP end with 130, 143 and 129 after the command's
    temporary files are removed; anything else is a bug: exit code 1 and a
    hint to rerun with ``--debug``, which prints the traceback.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, str] = {}
        """``{command name: module}`` of core commands, imported when first used."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, debug_first(list(args)))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = self.lazy_commands.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            command = importlib.import_module(module).command
            if command.name != cmd_name:
                raise RuntimeError(f"{module}.command is named {command.name!r}, not {cmd_name!r}")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """A command a plugin would add, when the plugin is missing, says what to install."""
        name = click.utils.make_str(args[0]) if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            hint = missing_command_hint(name, plugins_from(ctx))
            if hint is not None:
                raise MissingPluginError(hint)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings_as_lines(debug=_debug(ctx)):
                return super().invoke(ctx)
        except FaceswapError as exc:
            if _debug(ctx):
                traceback.print_exc()
            text = render_rule(exc.template, "cli") if isinstance(exc, RuleError) else str(exc)
            click.echo(f"Error: {one_line(text)}", err=True)
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, Interrupted) as exc:  # Ctrl-C, SIGTERM, SIGHUP
            if _debug(ctx):
                traceback.print_exc()
            name, code = interrupt_exit(exc)
            click.echo(f"Error: interrupted by {name}", err=True)
            ctx.exit(code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug: one line, and the traceback on request
            if _debug(ctx):
                traceback.print_exc()
            full = disk_full_error(exc, repr(getattr(exc, "filename", None) or "a file"))
            if full is not None:
                click.echo(f"Error: {one_line(str(full))}", err=True)
                ctx.exit(full.exit_code)
            text = str(exc).strip()
            detail = f": {one_line(text.splitlines()[0], 500)}" if text else ""
            click.echo(
                f"Error: unexpected {type(exc).__name__}{detail}; this is a bug: rerun with "
                "--debug for the traceback and report it",
                err=True,
            )
            ctx.exit(1)


def missing_command_hint(name: str, plugins: FaceswapPlugins) -> str | None:
    """Why ``faceswap NAME`` is not there when a plugin provides it, and how to get it."""
    loaded = {record.name: record.error for record in plugins.records.values()}
    hint = hint_for(COMMAND, name, loaded=loaded)
    if hint is None:
        return None
    return f"faceswap {name} is not installed. {hint}"


def interrupt_exit(exc: KeyboardInterrupt | Interrupted) -> tuple[str, int]:
    """The signal's name and the exit code for a Ctrl-C (130) or an :class:`Interrupted`."""
    if isinstance(exc, Interrupted):
        return exc.name, exc.exit_code
    return "SIGINT", 128 + signal.SIGINT


def _debug(ctx: click.Context) -> bool:
    # ctx.params: already parsed when invoke() starts, before the group callback fills ctx.obj.
    return bool((ctx.obj and ctx.obj.get("debug")) or ctx.params.get("debug"))


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
    assert isinstance(cli, FaceswapGroup)
    cli.lazy_commands = {name.rsplit(".", 1)[1]: name for name in CORE_COMMANDS}
    manager.add_commands(cli)
    return cli


def _faceswap_warnings_as_lines(debug: bool) -> Callable[..., None]:
    """faceswap's warnings are for users: one ``Warning: ...`` line, no source location.

    Other libraries' warnings (numpy's ``RuntimeWarning`` before a NaN check
    fails, torch's notes) are for developers: shown with ``--debug`` only,
    so an ``Error:`` line stays the only line of a failure.
    """

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, FaceswapWarning):
            click.echo(f"Warning: {one_line(str(message))}", err=True)
        elif debug:
            filename, lineno = args[:2] if len(args) >= 2 else ("?", 0)
            text = warnings.formatwarning(message, category, filename, lineno)
            click.echo(text.rstrip("\n"), err=True)

    return show


@contextlib.contextmanager
def warnings_as_lines(debug: bool = False) -> Iterator[None]:
    """Show every :class:`FaceswapWarning` (each time it happens) as one ``Warning:`` line;
    other warnings only with ``debug``."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", FaceswapWarning)
        warnings.showwarning = _faceswap_warnings_as_lines(debug)
        yield


STOP_SIGNALS: tuple[str, ...] = ("SIGINT", "SIGTERM", "SIGHUP")
"""Signals that stop a command cleanly: temporary files removed, exit 128 + the signal number."""


def install_signal_handlers() -> None:
    """Turn SIGTERM and SIGHUP into :class:`Interrupted` and Ctrl-C into KeyboardInterrupt.

    The exception unwinds the main thread, so every ``atomic_path`` removes
    its temporary file and run folders are marked failed. A second signal
    while that cleanup runs ends the process at once (exit 128 + signal).
    Only the CLI installs these; the library never touches signal handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        if stopping:
            os._exit(128 + signum)
        stopping.append(signum)
        name = signal.Signals(signum).name
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Interrupted(signum, name)

    for name in STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, stop)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = debug_first(sys.argv[1:] if argv is None else list(argv))
    install_signal_handlers()
    with warnings_as_lines(debug=DEBUG_FLAG in args):
        try:
            cli = make_cli()
        except FaceswapError as exc:  # e.g. strict plugin loading failed
            if DEBUG_FLAG in args:
                traceback.print_exc()
            click.echo(f"Error: {one_line(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except (KeyboardInterrupt, Interrupted) as exc:
            name, code = interrupt_exit(exc)
            click.echo(f"Error: interrupted by {name}", err=True)
            sys.exit(code)
        cli.main(args=args, prog_name="faceswap")
