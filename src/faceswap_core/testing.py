"""Test helpers for plugin authors, shipped as an opt-in pytest plugin.

Installing faceswap-core makes pytest load this module (entry point
``pytest11: faceswap``), so it must stay inert: it defines fixtures and
helpers only, no autouse fixtures, no hooks, no environment changes. Nothing
happens unless a test asks for one of:

- ``faceswap_plugins``: a fresh, strict manager with core's built-ins only,
  installed as the process-wide manager for the test and restored afterwards.
- ``register_plugin``: ``register_plugin(obj_or_module, name=None)`` registers a
  plugin into ``faceswap_plugins`` for this test and unregisters it afterwards.
- ``faceswap_cli``: ``faceswap_cli("plugins", "--all")`` runs the ``faceswap``
  command line on ``faceswap_plugins`` (or ``manager=``) in-process and returns
  click's :class:`~click.testing.Result`.
- ``small_disk``: ``small_disk("64k")`` mounts a tmpfs of that size under the
  test's ``tmp_path`` and returns its folder, to see what a full disk does to
  your writer (a real ENOSPC, not a mock). Mounting needs root; elsewhere the
  test is skipped with the reason.

Outside fixtures, :func:`register_plugin` is a context manager,
:func:`isolated_plugins` builds a manager with chosen installed distributions,
and :func:`build_component` builds one component the way a pipeline does
(through its factory, with a real build context).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from click.testing import Result

    from faceswap_core.plugin.manager import FaceswapPlugins

# Core modules are imported inside the helpers: pytest loads this module before
# coverage starts, and an import here would hide their module-level lines.

__all__ = [
    "build_component",
    "isolated_plugins",
    "mounted_tmpfs",
    "register_plugin",
    "remount_tmpfs",
    "run_cli",
    "use_plugins",
]


def isolated_plugins(load: Iterable[str] = (), *, strict: bool = True) -> FaceswapPlugins:
    """A manager with core's built-ins plus only the named installed distributions.

    :param load: distribution names (``faceswap-hello``) whose entry points to load;
        empty loads none, whatever ``FACESWAP_LOAD_PLUGINS`` says.
    :param strict: raise :class:`~faceswap_core.errors.PluginError` on a broken plugin.
    """
    from faceswap_core.plugin.manager import FaceswapPlugins

    names = list(load)
    return FaceswapPlugins(load_entry_points=bool(names), strict=strict, only=names)


def build_component(
    kind: str,
    ref: str | Mapping[str, Any],
    *,
    manager: FaceswapPlugins | None = None,
    runtime: str | Mapping[str, Any] = "onnxruntime",
) -> Any:
    """Build a component by kind and reference, as a pipeline would.

    :param kind: ``detector``, ``swapper``... (see ``faceswap components``).
    :param ref: its name or ``{type: NAME, **params}``.
    :param manager: the plugin manager; defaults to the process-wide one.
    :param runtime: the runtime reference the component loads its models with.
    """
    from faceswap_core.pipeline.context import build_context
    from faceswap_core.plugin.manager import get_plugins

    target = manager if manager is not None else get_plugins()
    context = build_context(target, runtime=runtime)
    return target.build(kind, ref, context=context)


@contextmanager
def use_plugins(manager: FaceswapPlugins) -> Iterator[FaceswapPlugins]:
    """Install ``manager`` as the process-wide one (``get_plugins()``) inside the block."""
    from faceswap_core.plugin.manager import set_plugins

    previous = set_plugins(manager)
    try:
        yield manager
    finally:
        set_plugins(previous)


@contextmanager
def register_plugin(
    plugin: object, name: str | None = None, *, manager: FaceswapPlugins | None = None
) -> Iterator[str]:
    """Register ``plugin`` (an object or module with ``@hookimpl`` functions) inside the block.

    :param plugin: the plugin object or module.
    :param name: its plugin name; defaults to the module or class name.
    :param manager: where to register it; defaults to the process-wide manager.
    """
    from faceswap_core.plugin.manager import get_plugins

    target = manager if manager is not None else get_plugins()
    registered = target.register(plugin, name=name)
    try:
        yield registered
    finally:
        target.unregister(registered)


def run_cli(
    *args: str,
    manager: FaceswapPlugins | None = None,
    input: str | bytes | None = None,
    env: Mapping[str, str | None] | None = None,
    catch_exceptions: bool = True,
) -> Result:
    """Run ``faceswap ARGS`` in-process on ``manager`` (default: the process-wide one)."""
    from click.testing import CliRunner

    from faceswap_core.cli.main import make_cli
    from faceswap_core.plugin.manager import get_plugins

    target = manager if manager is not None else get_plugins()
    with use_plugins(target):  # make_cli installs its manager; put the old one back after
        cli = make_cli(target)
        return CliRunner().invoke(
            cli,
            list(args),
            input=input,
            env=env,
            catch_exceptions=catch_exceptions,
            prog_name="faceswap",
        )


@pytest.fixture(name="faceswap_plugins")
def faceswap_plugins() -> Iterator[FaceswapPlugins]:
    """A strict manager with core's built-ins only, process-wide for the test."""
    with use_plugins(isolated_plugins()) as manager:
        yield manager


@pytest.fixture(name="register_plugin")
def _register_plugin_fixture(
    faceswap_plugins: FaceswapPlugins,
) -> Iterator[Callable[..., str]]:
    """``register_plugin(obj, name=None) -> name``: registered until the test ends."""
    registered: list[str] = []

    def register(plugin: object, name: str | None = None) -> str:
        plugin_name = faceswap_plugins.register(plugin, name=name)
        registered.append(plugin_name)
        return plugin_name

    yield register
    for plugin_name in reversed(registered):
        faceswap_plugins.unregister(plugin_name)


@pytest.fixture(name="faceswap_cli")
def faceswap_cli(faceswap_plugins: FaceswapPlugins) -> Callable[..., Result]:
    """``faceswap_cli(*args, manager=None, input=None, env=None) -> click Result``."""

    def invoke(*args: str, manager: FaceswapPlugins | None = None, **kwargs: Any) -> Result:
        return run_cli(*args, manager=manager or faceswap_plugins, **kwargs)

    return invoke


@contextmanager
def mounted_tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (``"64k"``, ``"2m"``) at ``folder`` for the block.

    A real small disk: writes past ``size`` fail with ``ENOSPC`` in the kernel.
    Skips the calling test where mounting is not allowed (not root, or a
    container without ``CAP_SYS_ADMIN``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a real full disk) needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield folder
    finally:
        done = subprocess.run(["umount", str(folder)], capture_output=True, check=False)
        if done.returncode != 0:  # still busy: detach it now, the kernel frees it when idle
            subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def remount_tmpfs(folder: Path, size: str) -> None:
    """Grow (or shrink) a tmpfs mounted by :func:`mounted_tmpfs`: free space without a new mount."""
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)


@pytest.fixture(name="small_disk")
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``small_disk("64k") -> Path``: a folder on a tmpfs of that size, unmounted after the test."""
    with ExitStack() as stack:
        count = [0]

        def make(size: str) -> Path:
            count[0] += 1
            return stack.enter_context(mounted_tmpfs(tmp_path / f"disk{count[0]}", size))

        yield make
