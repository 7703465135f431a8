"""One test per hook: an in-test plugin implements it and the component shows up.

tests/contract/test_docs.py requires a ``test_hook_<name>`` function here for
every hook in :mod:`faceswap_core.plugin.hookspecs`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import click
import pytest

from faceswap_core import Register, hookimpl
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.config.loader import dump_config, load_config, load_experiment
from faceswap_core.config.ranges import between
from faceswap_core.errors import ConfigError, PluginError
from faceswap_core.operations import Operation, fields
from faceswap_core.operations.table import operations_of
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin import hookspecs
from faceswap_core.plugin.kinds import KIND_NAMES, KINDS, kind_named
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.plugin.registry import Registry
from faceswap_core.testing import use_plugins


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


def test_hook_register_alignment_templates(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    _check("template", FaceswapPlugins.alignment_templates, faceswap_plugins, register_plugin)


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


@attrs.frozen
class GreetingConfig:
    """A plugin's own config section.

    :ivar words: how many words to greet with.
    """

    words: int = attrs.field(default=2, validator=between(1, 9))


class SectionPlugin:
    @hookimpl
    def register_config_sections(self, register: Any) -> None:
        register("greeting", GreetingConfig)


def test_hook_register_config_sections(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str], tmp_path: Path
) -> None:
    config = tmp_path / "greet.yaml"
    config.write_text("greeting:\n  words: 3\n")
    with use_plugins(faceswap_plugins), pytest.raises(ConfigError, match=r"\$\.greeting: unknown"):
        load_config(config)  # not a section before the plugin
    name = register_plugin(SectionPlugin(), name="greeting-plugin")
    assert faceswap_plugins.config_sections() == {"greeting": GreetingConfig}
    assert faceswap_plugins.section_owner("greeting") == name
    with use_plugins(faceswap_plugins):
        loaded, _ = load_config(config, ["greeting.words=4"])
        assert loaded.greeting == GreetingConfig(words=4)  # type: ignore[attr-defined]
        assert "greeting:\n  words: 4\n" in dump_config(loaded)
        assert load_experiment(None).greeting is None  # type: ignore[attr-defined]
        with pytest.raises(ConfigError, match=r"\$\.greeting\.words: must be between 1 and 9"):
            load_config(config, ["greeting.words=10"])
    assert faceswap_plugins.plugin_hooks(name) == ["register_config_sections"]


class CoreSectionPlugin:
    @hookimpl
    def register_config_sections(self, register: Any) -> None:
        register("pipeline", GreetingConfig)


def test_a_plugin_section_may_not_take_a_core_name(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> None:
    register_plugin(CoreSectionPlugin(), name="core-section")
    with pytest.raises(PluginError, match="config section 'pipeline' is core's"):
        faceswap_plugins.config_sections()


@attrs.frozen(kw_only=True)
class WaveSpec:
    """Wave at someone."""

    times: int = fields.option("How often.", default=1, validator=between(1, 5))


WAVE = Operation("wave", WaveSpec, cli=("wave",), distribution="faceswap-wave")


class OperationPlugin:
    @hookimpl
    def register_operations(self, register: Any) -> None:
        register(WAVE)

    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        cli.add_command(spec_command(WAVE, lambda ctx, spec: click.echo(f"wave x{spec.times}")))


def test_hook_register_operations(
    faceswap_plugins: FaceswapPlugins,
    register_plugin: Callable[..., str],
    faceswap_cli: Callable[..., Any],
) -> None:
    assert "wave" not in {op.name for op in operations_of(faceswap_plugins)}
    name = register_plugin(OperationPlugin(), name="wave-plugin")
    assert WAVE in operations_of(faceswap_plugins)
    assert faceswap_plugins.operations() == [(WAVE, name)]
    done = faceswap_cli("wave", "--times", "3")
    assert done.exit_code == 0, done.output
    assert done.stdout == "wave x3\n"
    refused = faceswap_cli("wave", "--times", "7")
    assert refused.exit_code == 2
    assert refused.stderr == "Error: times: must be between 1 and 5, got 7\n"


@pytest.mark.parametrize("kind", sorted(KIND_NAMES))
def test_every_kind_has_a_typed_wrapper(faceswap_plugins: FaceswapPlugins, kind: str) -> None:
    wrapper_names = {
        "detector": "detectors",
        "recognizer": "recognizers",
        "landmarker": "landmarkers",
        "template": "alignment_templates",
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
