"""The plugin manager with in-process plugins: registration, building, failures, test helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core import Register, hookimpl
from faceswap_core.errors import (
    ComponentClashError,
    ConfigError,
    PluginError,
    UnknownComponentError,
)
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import (
    FaceswapPlugins,
    PluginWarning,
    get_plugins,
    normalise_name,
    selected_distributions,
    set_plugins,
)
from faceswap_core.testing import isolated_plugins, register_plugin, use_plugins


@attrs.frozen
class ToyConfig:
    threshold: float = 0.5
    size: int = 64


@attrs.frozen
class Toy:
    config: ToyConfig


class ToyPlugin:
    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        register("toy", lambda config, context: Toy(config), config=ToyConfig)
        register("bare", lambda config, context: "bare detector")


class OtherToyPlugin:
    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        register("toy", lambda config, context: Toy(config), config=ToyConfig)


class RaisingPlugin:
    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        raise RuntimeError("model table is corrupt")


class NonCallablePlugin:
    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        register("broken", "not a factory")  # type: ignore[arg-type]


class TypoPlugin:
    @hookimpl
    def register_detektors(self, register: Register[Any]) -> None:
        register("x", Toy)


class WrongArgumentPlugin:
    @hookimpl
    def register_detectors(self, registr: Register[Any]) -> None:
        registr("x", Toy)


def test_builtins_register_through_the_same_hooks(faceswap_plugins: FaceswapPlugins) -> None:
    record = faceswap_plugins.records["faceswap-core"]
    assert record.builtin
    assert record.entry_point is None
    swappers = {c.name: c.plugin for c in faceswap_plugins.swappers()}
    assert swappers["classic"] == "faceswap-core"
    assert "onnxruntime" in faceswap_plugins.runtimes()
    assert faceswap_plugins.plugin_hooks("faceswap-core") == [
        "register_alignment_templates",
        "register_enhancers",
        "register_maskers",
        "register_metrics",
        "register_runners",
        "register_runtimes",
        "register_swappers",
    ]


def test_register_and_unregister_an_in_process_plugin(faceswap_plugins: FaceswapPlugins) -> None:
    assert "toy" not in faceswap_plugins.detectors()
    name = faceswap_plugins.register(ToyPlugin())
    assert name == "ToyPlugin"
    assert faceswap_plugins.detectors().get("toy").plugin == "ToyPlugin"
    assert faceswap_plugins.components_of("ToyPlugin") == {"detector": ["bare", "toy"]}
    faceswap_plugins.unregister(name)
    assert "toy" not in faceswap_plugins.detectors()
    assert "ToyPlugin" not in faceswap_plugins.records
    faceswap_plugins.unregister("never-registered")  # a no-op, not an error


def test_register_refuses_a_taken_name(faceswap_plugins: FaceswapPlugins) -> None:
    faceswap_plugins.register(ToyPlugin(), name="toys")
    with pytest.raises(PluginError, match="'toys' is already registered"):
        faceswap_plugins.register(OtherToyPlugin(), name="toys")
    assert faceswap_plugins.detectors().get("toy").plugin == "toys"


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [(TypoPlugin(), "unknown hook 'register_detektors'"), (WrongArgumentPlugin(), "registr")],
    ids=["unknown-hook", "wrong-argument"],
)
def test_explicit_registration_of_a_broken_plugin_raises(plugin: object, reason: str) -> None:
    manager = isolated_plugins(strict=False)  # explicit register() is strict regardless
    with pytest.raises(PluginError, match=reason):
        manager.register(plugin, name="broken")
    assert "broken" not in manager.records
    assert not manager.pm.has_plugin("broken")
    manager.pm.check_pending()  # nothing half-registered stays behind


@pytest.mark.parametrize(
    ("plugin", "reason"),
    [(RaisingPlugin(), "model table is corrupt"), (NonCallablePlugin(), "factory is not callable")],
    ids=["raises", "non-callable"],
)
def test_a_plugin_failing_inside_its_hook_is_dropped(plugin: object, reason: str) -> None:
    manager = isolated_plugins(strict=False)
    manager.register(ToyPlugin(), name="good")
    manager.register(plugin, name="bad")
    with pytest.warns(PluginWarning, match="plugin bad was dropped"):
        detectors = manager.detectors()
    assert detectors.names() == ["bare", "toy"]
    assert reason in (manager.records["bad"].error or "")
    assert not manager.pm.has_plugin("bad")


def test_a_plugin_failing_inside_its_hook_raises_in_strict_mode(
    faceswap_plugins: FaceswapPlugins,
) -> None:
    faceswap_plugins.register(RaisingPlugin(), name="bad")
    with pytest.raises(PluginError, match=r"plugin bad was dropped: register_detectors raised"):
        faceswap_plugins.detectors()


def test_a_clash_between_in_process_plugins_names_both(faceswap_plugins: FaceswapPlugins) -> None:
    faceswap_plugins.register(ToyPlugin(), name="first-plugin")
    faceswap_plugins.register(OtherToyPlugin(), name="second-plugin")
    with pytest.raises(ComponentClashError, match=r"first-plugin and second-plugin"):
        faceswap_plugins.detectors()


def test_registries_are_cached_until_plugins_change(faceswap_plugins: FaceswapPlugins) -> None:
    first = faceswap_plugins.detectors()
    assert faceswap_plugins.detectors() is first
    faceswap_plugins.register(ToyPlugin())
    assert faceswap_plugins.detectors() is not first
    assert "toy" in faceswap_plugins.detectors()


def test_build_structures_params_into_the_components_config(
    register_plugin: Callable[..., str], faceswap_plugins: FaceswapPlugins
) -> None:
    register_plugin(ToyPlugin())
    toy = faceswap_plugins.build(
        "detector", {"type": "toy", "size": 128}, context=build_context(faceswap_plugins)
    )
    assert toy == Toy(ToyConfig(threshold=0.5, size=128))
    assert faceswap_plugins.build(
        "detector", "toy", context=build_context(faceswap_plugins)
    ) == Toy(ToyConfig())
    assert (
        faceswap_plugins.build("detector", "bare", context=build_context(faceswap_plugins))
        == "bare detector"
    )
    component, config = faceswap_plugins.resolve("detector", {"type": "toy", "threshold": 0.9})
    assert component.name == "toy"
    assert config == ToyConfig(threshold=0.9)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ({"type": "toy", "scor_threshold": 1}, "$.pipeline.detector.scor_threshold: unknown key"),
        ({"type": "toy", "size": "big"}, "$.pipeline.detector.size: expected int"),
        ({"size": 3}, "$.pipeline.detector: missing 'type'"),
        ({"type": 7}, "$.pipeline.detector.type: expected str"),
        (["toy"], "$.pipeline.detector: expected a name or a mapping"),
        ({"type": "bare", "size": 3}, "takes no parameters"),
    ],
)
def test_bad_references_are_config_errors_with_their_path(
    register_plugin: Callable[..., str],
    faceswap_plugins: FaceswapPlugins,
    ref: Any,
    message: str,
) -> None:
    register_plugin(ToyPlugin())
    with pytest.raises(ConfigError) as caught:
        faceswap_plugins.build(
            "detector", ref, path="$.pipeline.detector", context=build_context(faceswap_plugins)
        )
    assert message in str(caught.value)


def test_build_of_an_unknown_name_says_what_is_there_and_what_to_install(
    register_plugin: Callable[..., str], faceswap_plugins: FaceswapPlugins
) -> None:
    register_plugin(ToyPlugin())
    with pytest.raises(UnknownComponentError) as caught:
        faceswap_plugins.build(
            "detector", {"type": "retinaface"}, context=build_context(faceswap_plugins)
        )
    assert str(caught.value) == (
        "unknown detector 'retinaface'. Available: bare, toy. "
        "It comes from faceswap-retinaface, which is installed but not loaded; "
        "add it to FACESWAP_LOAD_PLUGINS or unset that variable."
    )
    with pytest.raises(UnknownComponentError, match=r"Available: bare, toy\.$"):
        faceswap_plugins.build("detector", "nope", context=build_context(faceswap_plugins))


def test_unknown_kind_is_a_config_error(faceswap_plugins: FaceswapPlugins) -> None:
    with pytest.raises(ConfigError, match="unknown component kind 'detectors'"):
        faceswap_plugins.registry("detectors")


class CommandPlugin:
    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("hello")
        def hello() -> None:
            click.echo("hi")


class HijackPlugin:
    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("plugins")
        def plugins() -> None:
            click.echo("mine now")


class FailingCommandPlugin:
    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("half")
        def half() -> None:
            pass

        raise RuntimeError("cannot build options")


def test_a_plugin_cannot_replace_a_core_command(faceswap_plugins: FaceswapPlugins) -> None:
    faceswap_plugins.register(HijackPlugin(), name="hijacker")
    group = click.Group("faceswap")
    group.add_command(click.Command("plugins"))
    original = group.commands["plugins"]
    with pytest.raises(
        ComponentClashError, match="'plugins' is registered by both faceswap-core and hijacker"
    ):
        faceswap_plugins.add_commands(group)
    assert group.commands["plugins"] is original


def test_a_plugin_failing_to_add_commands_is_skipped_when_not_strict() -> None:
    manager = isolated_plugins(strict=False)
    manager.register(FailingCommandPlugin(), name="failing")
    manager.register(CommandPlugin(), name="greeter")
    group = click.Group("faceswap")
    with pytest.warns(PluginWarning, match="failing failed to add commands: cannot build options"):
        manager.add_commands(group)
    assert sorted(group.commands) == ["hello"]  # the half-added command was rolled back

    manager.strict = True
    with pytest.raises(PluginError, match="cannot build options"):
        manager.add_commands(click.Group("faceswap"))


def test_get_plugins_builds_once_and_set_plugins_swaps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACESWAP_LOAD_PLUGINS", "")
    previous = set_plugins(None)
    try:
        first = get_plugins()
        assert get_plugins() is first
        assert set(first.records) == {"faceswap-core"}
        other = isolated_plugins()
        assert set_plugins(other) is first
        assert get_plugins() is other
    finally:
        set_plugins(previous)


separators = st.text(alphabet="-_.", min_size=1, max_size=3)
words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1
)


@given(
    parts=st.lists(words, min_size=1, max_size=4), seps=st.lists(separators, min_size=3, max_size=3)
)
def test_normalised_names_ignore_case_and_separator_style(
    parts: list[str], seps: list[str]
) -> None:
    canonical = "-".join(parts).lower()
    spelled = "".join(
        part + (seps[i] if i < len(parts) - 1 else "") for i, part in enumerate(parts[:3])
    )
    spelled += "".join("-" + part for part in parts[3:])
    assert normalise_name(spelled) == canonical
    assert normalise_name(f"  {spelled.upper()} ") == canonical
    assert normalise_name(canonical) == canonical


def test_load_plugins_value_parsing() -> None:
    assert selected_distributions(None) is None
    assert selected_distributions("") == frozenset()
    assert selected_distributions(" , ") == frozenset()
    expected = frozenset({"faceswap-trt", "faceswap-rest"})
    assert selected_distributions("faceswap_trt, Faceswap.Rest,") == expected


def test_register_plugin_context_manager_and_use_plugins() -> None:
    manager = isolated_plugins()
    with use_plugins(manager):
        assert get_plugins() is manager
        with register_plugin(ToyPlugin(), name="ctx") as name:
            assert name == "ctx"
            assert get_plugins().detectors().get("toy").plugin == "ctx"
        assert "toy" not in manager.detectors()
        assert "ctx" not in manager.records
    assert get_plugins() is not manager


def test_faceswap_cli_fixture_runs_plugin_commands(
    register_plugin: Callable[..., str], faceswap_cli: Callable[..., Any]
) -> None:
    register_plugin(CommandPlugin())
    result = faceswap_cli("hello")
    assert result.exit_code == 0
    assert result.stdout == "hi\n"


def test_the_pytest_plugin_is_inert_until_its_fixtures_are_requested(tmp_path: Path) -> None:
    """Runs pytest in a subprocess, as a plugin author's project would."""
    (tmp_path / "test_author.py").write_text(
        textwrap.dedent(
            """
            import os
            import sys

            from faceswap_core import hookimpl


            def test_nothing_happens_without_fixtures():
                assert "faceswap_core.plugin.manager" not in sys.modules
                assert not [key for key in os.environ if key.startswith("FACESWAP_")]


            class Plugin:
                @hookimpl
                def register_metrics(self, register):
                    register("author-metric", lambda config, context: 1.0)


            def test_fixtures_work(faceswap_plugins, register_plugin, faceswap_cli):
                register_plugin(Plugin(), name="author")
                from faceswap_core.testing import build_component

                built = build_component("metric", "author-metric", manager=faceswap_plugins)
                assert built == 1.0
                result = faceswap_cli("components", "metric")
                assert result.exit_code == 0
                assert "author-metric" in result.stdout
            """
        )
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("FACESWAP_")}
    env.pop("COV_CORE_SOURCE", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:cov",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
