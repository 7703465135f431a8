"""One test per hook: an in-test plugin implements it and the component shows up.

tests/contract/test_docs.py requires a ``test_hook_<name>`` function here for
every hook in :mod:`faceswap_core.plugin.hookspecs`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import click
import pytest

from faceswap_core import Register, hookimpl
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin import hookspecs
from faceswap_core.plugin.kinds import KIND_NAMES, KINDS, kind_named
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.plugin.registry import Registry


@attrs.frozen
class EchoConfig:
    """Any component's config: one typed parameter is enough to prove structuring."""

    level: int = 1


@attrs.frozen
class Echo:
    kind: str
    config: EchoConfig


def _plugin_for(hook: str, kind: str) -> object:
    """A plugin object implementing ``hook`` with one component named ``test-<kind>``."""

    def implementation(register: Register[Any]) -> None:
        register(f"test-{kind}", lambda config, context: Echo(kind, config), config=EchoConfig)

    implementation.__name__ = hook
    return type(f"{kind.title()}Plugin", (), {hook: staticmethod(hookimpl(implementation))})()


def _check(
    kind: str,
    wrapper: Callable[[FaceswapPlugins], Registry[Any]],
    manager: FaceswapPlugins,
    register_plugin: Callable[..., str],
) -> None:
    hook = kind_named(kind).hook
    assert f"test-{kind}" not in wrapper(manager)
    name = register_plugin(_plugin_for(hook, kind), name=f"{kind}-plugin")
    registry = wrapper(manager)
    assert registry.kind == kind
    component = registry.get(f"test-{kind}")
    assert component.plugin == name
    assert component.config is EchoConfig
    assert manager.plugin_hooks(name) == [hook]
    assert manager.components_of(name) == {kind: [f"test-{kind}"]}
    built = manager.build(
        kind, {"type": f"test-{kind}", "level": 3}, context=build_context(manager)
    )
    assert built == Echo(kind, EchoConfig(level=3))


def test_hook_register_detectors(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("detector", FaceswapPlugins.detectors, faceswap_plugins, register_plugin)


def test_hook_register_recognizers(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("recognizer", FaceswapPlugins.recognizers, faceswap_plugins, register_plugin)


def test_hook_register_landmarkers(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("landmarker", FaceswapPlugins.landmarkers, faceswap_plugins, register_plugin)


def test_hook_register_swappers(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("swapper", FaceswapPlugins.swappers, faceswap_plugins, register_plugin)


def test_hook_register_maskers(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("masker", FaceswapPlugins.maskers, faceswap_plugins, register_plugin)


def test_hook_register_enhancers(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("enhancer", FaceswapPlugins.enhancers, faceswap_plugins, register_plugin)


def test_hook_register_losses(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("loss", FaceswapPlugins.losses, faceswap_plugins, register_plugin)


def test_hook_register_metrics(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("metric", FaceswapPlugins.metrics, faceswap_plugins, register_plugin)


def test_hook_register_datasets(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("dataset", FaceswapPlugins.datasets, faceswap_plugins, register_plugin)


def test_hook_register_exporters(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("exporter", FaceswapPlugins.exporters, faceswap_plugins, register_plugin)


def test_hook_register_runtimes(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("runtime", FaceswapPlugins.runtimes, faceswap_plugins, register_plugin)


def test_hook_register_runners(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("runner", FaceswapPlugins.runners, faceswap_plugins, register_plugin)


class GreetPlugin:
    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("greet")
        @click.argument("who")
        @click.option("--shout", is_flag=True)
        def greet(who: str, shout: bool) -> None:
            """Say hello (added by a plugin)."""
            text = f"hello {who}"
            click.echo(text.upper() if shout else text)


def test_hook_register_commands(
    faceswap_plugins: FaceswapPlugins,
    register_plugin: Callable[..., str],
    faceswap_cli: Callable[..., Any],
) -> None:
    assert faceswap_cli("greet", "x").exit_code == 2  # not there before the plugin
    name = register_plugin(GreetPlugin(), name="greeter")
    result = faceswap_cli("greet", "ada", "--shout")
    assert result.exit_code == 0, result.output
    assert result.stdout == "HELLO ADA\n"
    assert "greet" in faceswap_cli("--help").stdout
    assert faceswap_plugins.plugin_hooks(name) == ["register_commands"]


@pytest.mark.parametrize("kind", sorted(KIND_NAMES))
def test_every_kind_has_a_typed_wrapper(faceswap_plugins: FaceswapPlugins, kind: str) -> None:
    wrapper_names = {
        "detector": "detectors",
        "recognizer": "recognizers",
        "landmarker": "landmarkers",
        "swapper": "swappers",
        "masker": "maskers",
        "enhancer": "enhancers",
        "loss": "losses",
        "metric": "metrics",
        "dataset": "datasets",
        "exporter": "exporters",
        "runtime": "runtimes",
        "runner": "runners",
    }
    registry = getattr(faceswap_plugins, wrapper_names[kind])()
    assert registry is faceswap_plugins.registry(kind)
    assert registry.kind == kind


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_hookspecs_agree_with_the_kinds_table(kind: Any) -> None:
    """The spec of each kind's hook takes ``register: Register[<the kind's interface>]``."""
    spec = getattr(hookspecs, kind.hook)
    annotation = spec.__annotations__["register"]
    assert annotation == f"Register[{kind.interface.__name__}]"
    wrapper = getattr(FaceswapPlugins, kind.plural)
    assert wrapper.__annotations__["return"] == f"Registry[{kind.interface.__name__}]"
