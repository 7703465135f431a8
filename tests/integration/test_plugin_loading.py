"""Entry-point loading against fake distributions written to a temporary sys.path entry.

Each test writes ``<name>.dist-info/{METADATA,entry_points.txt}`` plus a module
into ``tmp_path`` and prepends it to ``sys.path`` (pluggy's own test style), so
``importlib.metadata`` discovers them for real: nothing is mocked.
"""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from faceswap_core.cli.main import main
from faceswap_core.errors import ComponentClashError, PluginError
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.listing import plugin_listing
from faceswap_core.plugin.manager import FaceswapPlugins, PluginWarning, set_plugins
from faceswap_core.testing import run_cli

GOOD_PLUGIN = """
from __future__ import annotations

import attrs

from faceswap_core import hookimpl


@attrs.frozen
class FakeConfig:
    size: int = 3


class FakeDetector:
    def __init__(self, config: FakeConfig, context: object) -> None:
        self.config = config


@hookimpl
def register_detectors(register):
    register("{component}", FakeDetector, config=FakeConfig)
"""

BROKEN_IMPORT = """
import faceswap_no_such_dependency_{suffix}  # a missing heavy dependency at import time
"""

UNKNOWN_HOOK = """
from faceswap_core import hookimpl


@hookimpl
def register_detektors(register):
    register("typo", object)
"""

WRONG_ARGUMENT = """
from faceswap_core import hookimpl


@hookimpl
def register_detectors(registr):
    registr("typo", object)
"""

MakeDist = Callable[..., str]


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeDist]:
    """Write a fake distribution exposing one module as a ``faceswap`` entry point."""
    monkeypatch.syspath_prepend(str(tmp_path))
    modules: list[str] = []

    def make(
        dist: str, source: str, *, version: str = "1.0", entry: str = "fake", **fmt: str
    ) -> str:
        module = f"fake_plugin_{uuid.uuid4().hex[:12]}"
        modules.append(module)
        body = textwrap.dedent(source).format(suffix=module, **fmt)
        (tmp_path / f"{module}.py").write_text(body)
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[faceswap]\n{entry} = {module}\n")
        return module

    yield make
    for module in modules:
        sys.modules.pop(module, None)


def test_good_plugin_registers_a_detector_and_is_listed(make_dist: MakeDist) -> None:
    module = make_dist("faceswap-fake-good", GOOD_PLUGIN, version="2.5", component="fakedet")
    manager = FaceswapPlugins(strict=True, only=["faceswap-fake-good"])

    component = manager.detectors().get("fakedet")
    assert component.plugin == "faceswap-fake-good"
    built = manager.build(
        "detector", {"type": "fakedet", "size": 7}, context=build_context(manager)
    )
    assert built.config.size == 7

    (row,) = plugin_listing(manager)
    assert row == {
        "name": "faceswap-fake-good",
        "version": "2.5",
        "entry_point": f"fake = {module}",
        "hooks": ["register_detectors"],
        "components": {"detector": ["fakedet"]},
    }


def test_broken_import_is_reported_and_the_rest_keeps_working(make_dist: MakeDist) -> None:
    make_dist("faceswap-fake-broken", BROKEN_IMPORT)
    make_dist("faceswap-fake-good", GOOD_PLUGIN, component="survivor")

    with pytest.warns(PluginWarning, match="faceswap-fake-broken was not loaded"):
        manager = FaceswapPlugins(strict=False, only=["faceswap-fake-broken", "faceswap-fake-good"])

    assert "survivor" in manager.detectors()
    rows = {row["name"]: row for row in plugin_listing(manager)}
    assert "ModuleNotFoundError" in rows["faceswap-fake-broken"]["error"]
    assert rows["faceswap-fake-broken"]["components"] == {}
    assert "error" not in rows["faceswap-fake-good"]

    result = run_cli("plugins", manager=manager)
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    assert "import failed" in listed["faceswap-fake-broken"]["error"]
    components = run_cli("components", "detector", manager=manager)
    assert components.exit_code == 0
    assert "survivor" in components.stdout


def test_hook_argument_typo_is_reported_and_the_plugin_dropped(make_dist: MakeDist) -> None:
    make_dist("faceswap-fake-argtypo", WRONG_ARGUMENT)
    make_dist("faceswap-fake-good", GOOD_PLUGIN, component="fine")

    with pytest.warns(PluginWarning, match="registr"):
        manager = FaceswapPlugins(
            strict=False, only=["faceswap-fake-argtypo", "faceswap-fake-good"]
        )

    assert not manager.pm.has_plugin("faceswap-fake-argtypo")
    assert manager.detectors().names() == ["fine"]
    rows = {row["name"]: row for row in plugin_listing(manager)}
    assert rows["faceswap-fake-argtypo"]["error"].startswith("registration failed:")


def test_unknown_hook_is_reported_and_the_plugin_dropped(make_dist: MakeDist) -> None:
    make_dist("faceswap-fake-typo", UNKNOWN_HOOK)

    with pytest.warns(PluginWarning, match="register_detektors"):
        manager = FaceswapPlugins(strict=False, only=["faceswap-fake-typo"])

    assert not manager.pm.has_plugin("faceswap-fake-typo")
    assert "typo" not in manager.detectors()
    (row,) = plugin_listing(manager)
    assert "unknown hook 'register_detektors'" in row["error"]
    assert row["hooks"] == []


@pytest.mark.parametrize("source", [BROKEN_IMPORT, UNKNOWN_HOOK], ids=["import", "unknown-hook"])
def test_strict_mode_raises(
    make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    make_dist("faceswap-fake-bad", source)
    with pytest.raises(PluginError, match="faceswap-fake-bad"):
        FaceswapPlugins(strict=True, only=["faceswap-fake-bad"])
    # The environment variable switches it on when strict is not passed.
    monkeypatch.setenv("FACESWAP_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="faceswap-fake-bad"):
        FaceswapPlugins(only=["faceswap-fake-bad"])
    monkeypatch.setenv("FACESWAP_STRICT_PLUGINS", "0")
    with pytest.warns(PluginWarning):
        FaceswapPlugins(only=["faceswap-fake-bad"])


def test_load_plugins_unset_loads_every_installed_plugin(
    make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist("faceswap-fake-one", GOOD_PLUGIN, component="one")
    monkeypatch.delenv("FACESWAP_LOAD_PLUGINS", raising=False)
    manager = FaceswapPlugins(strict=False)
    assert {"faceswap-fake-one", "faceswap-retinaface", "faceswap-unet"} <= set(manager.records)
    assert "one" in manager.detectors()


def test_load_plugins_empty_loads_none(
    make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist("faceswap-fake-one", BROKEN_IMPORT)
    monkeypatch.setenv("FACESWAP_LOAD_PLUGINS", "")
    manager = FaceswapPlugins(strict=True)  # the broken one is never imported
    assert set(manager.records) == {"faceswap-core"}
    assert manager.records["faceswap-core"].builtin


@pytest.mark.parametrize(
    "spelling", ["faceswap_fake_one", "Faceswap-Fake-One", " faceswap.fake-one "]
)
def test_load_plugins_list_selects_normalised_names(
    make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    make_dist("faceswap-fake-one", GOOD_PLUGIN, component="one")
    make_dist("faceswap-fake-two", BROKEN_IMPORT)  # not selected, so never imported
    monkeypatch.setenv("FACESWAP_LOAD_PLUGINS", f"{spelling},")
    manager = FaceswapPlugins(strict=True)
    assert set(manager.records) == {"faceswap-core", "faceswap-fake-one"}


def test_load_plugins_naming_a_missing_distribution_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACESWAP_LOAD_PLUGINS", "faceswap-not-installed-anywhere")
    with pytest.warns(PluginWarning, match="faceswap-not-installed-anywhere"):
        manager = FaceswapPlugins(strict=False)
    assert set(manager.records) == {"faceswap-core"}
    with pytest.raises(PluginError, match="not installed as a 'faceswap' plugin"):
        FaceswapPlugins(strict=True)


def test_component_clash_names_both_plugins(make_dist: MakeDist) -> None:
    make_dist("faceswap-fake-left", GOOD_PLUGIN, component="twin")
    make_dist("faceswap-fake-right", GOOD_PLUGIN, component="twin")
    manager = FaceswapPlugins(strict=False, only=["faceswap-fake-left", "faceswap-fake-right"])
    with pytest.raises(ComponentClashError) as caught:
        manager.detectors()
    message = str(caught.value)
    assert "faceswap-fake-left" in message
    assert "faceswap-fake-right" in message
    assert "'twin'" in message


def test_two_entry_points_of_one_distribution_both_load(
    tmp_path: Path, make_dist: MakeDist
) -> None:
    first = make_dist("faceswap-fake-multi", GOOD_PLUGIN, component="first")
    second = make_dist("faceswap-fake-extra", GOOD_PLUGIN, component="second")
    # Fold the second module into the first distribution's entry points.
    (tmp_path / "faceswap_fake_extra-1.0.dist-info" / "entry_points.txt").unlink()
    (tmp_path / "faceswap_fake_multi-1.0.dist-info" / "entry_points.txt").write_text(
        f"[faceswap]\nmain = {first}\nextra = {second}\n"
    )
    manager = FaceswapPlugins(strict=True, only=["faceswap-fake-multi"])
    owners = {component.name: component.plugin for component in manager.detectors()}
    assert owners["first"] != owners["second"]
    assert {owners["first"], owners["second"]} <= set(manager.records)
    assert all(owner.startswith("faceswap-fake-multi") for owner in owners.values())


def test_plugins_command_with_no_plugins_prints_empty_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FACESWAP_LOAD_PLUGINS", "")
    previous = set_plugins(None)  # main() builds the process-wide manager from the env
    try:
        with pytest.raises(SystemExit) as exited:
            main(["plugins"])
    finally:
        set_plugins(previous)
    assert exited.value.code == 0
    assert json.loads(capsys.readouterr().out) == []


def test_strict_failure_in_main_is_one_error_line(
    make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist("faceswap-fake-bad", BROKEN_IMPORT)
    monkeypatch.setenv("FACESWAP_LOAD_PLUGINS", "faceswap-fake-bad")
    monkeypatch.setenv("FACESWAP_STRICT_PLUGINS", "1")
    previous = set_plugins(None)
    try:
        with pytest.raises(SystemExit) as exited:
            main(["plugins"])
    finally:
        set_plugins(previous)
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("Error: plugin faceswap-fake-bad was not loaded: import failed")

    set_plugins(None)
    try:
        with pytest.raises(SystemExit):
            main(["--debug", "plugins"])
    finally:
        set_plugins(previous)
    debug = capsys.readouterr().err
    assert "Traceback (most recent call last)" in debug
    assert debug.strip().splitlines()[-1].startswith("Error: plugin faceswap-fake-bad")


def test_non_strict_failure_in_main_warns_in_one_line(
    make_dist: MakeDist, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dist("faceswap-fake-bad", UNKNOWN_HOOK)
    monkeypatch.setenv("FACESWAP_LOAD_PLUGINS", "faceswap-fake-bad")
    monkeypatch.setenv("FACESWAP_STRICT_PLUGINS", "0")
    previous = set_plugins(None)
    try:
        with pytest.raises(SystemExit) as exited:
            main(["components"])
    finally:
        set_plugins(previous)
    assert exited.value.code == 0
    captured = capsys.readouterr()
    assert "classic" in captured.out
    assert captured.err.strip().splitlines() == [
        line for line in captured.err.strip().splitlines() if line.startswith("Warning: plugin")
    ]
    assert "register_detektors" in captured.err
