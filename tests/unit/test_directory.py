"""Which distribution provides a component: declared by plugins, never named in core's code."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from faceswap_core.plugin.directory import (
    COMMAND,
    CONFIG_SECTION,
    directory_from_pyprojects,
    hint_for,
    installed_declarations,
    known_declarations,
)
from faceswap_core.plugin.manager import FaceswapPlugins

REPO = Path(__file__).resolve().parents[2]
DIRECTORY = REPO / "src" / "faceswap_core" / "plugin" / "directory.json"


def test_a_known_plugin_that_is_not_installed_gets_a_pip_hint() -> None:
    hint = hint_for("detector", "retinaface", loaded={}, installed={})
    assert hint == (
        "Install it with: pip install faceswap-retinaface "
        "(from a checkout: pip install ./plugins/faceswap_retinaface)"
    )


def test_an_installed_plugin_that_is_not_loaded_is_named_as_such() -> None:
    installed = {("swapper", "fancy"): "faceswap-fancy"}
    assert hint_for("swapper", "fancy", loaded={}, installed=installed) == (
        "It comes from faceswap-fancy, which is installed but not loaded; "
        "add it to FACESWAP_LOAD_PLUGINS or unset that variable."
    )


def test_a_plugin_that_failed_to_load_gets_its_error() -> None:
    installed = {("swapper", "fancy"): "faceswap-fancy"}
    loaded: dict[str, str | None] = {"faceswap-fancy": "import failed: No module named 'torch'"}
    assert hint_for("swapper", "fancy", loaded=loaded, installed=installed) == (
        "It comes from faceswap-fancy, which failed to load: import failed: No module named 'torch'"
    )


def test_a_loaded_plugin_that_did_not_register_its_declared_component_is_reported() -> None:
    installed = {("swapper", "fancy"): "faceswap-fancy"}
    loaded: dict[str, str | None] = {"faceswap-fancy": None}
    assert hint_for("swapper", "fancy", loaded=loaded, installed=installed) == (
        "faceswap-fancy declares it but did not register it; reinstall faceswap-fancy."
    )


def test_nobody_declares_a_made_up_name() -> None:
    assert hint_for("swapper", "no-such-swapper", loaded={}, installed={}) is None


def test_the_shipped_directory_is_generated_from_the_plugins_pyprojects() -> None:
    """``nox -s directory`` regenerates it; this fails when someone forgot to."""
    generated = directory_from_pyprojects((REPO / "plugins").glob("*/pyproject.toml"))
    assert json.loads(DIRECTORY.read_text()) == generated
    assert known_declarations()[("landmarker", "dlib68")] == "faceswap-retinaface"


def test_directory_refuses_a_malformed_declaration(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "faceswap-bad"\n'
        '[project.entry-points."faceswap.components"]\n"detector" = "bad.hooks"\n'
    )
    with pytest.raises(ValueError, match="is not 'kind:name'"):
        directory_from_pyprojects([pyproject])


def test_installed_plugins_declare_exactly_what_they_register() -> None:
    """Components, commands and config sections: each declared where it is registered."""
    manager = FaceswapPlugins(strict=True)
    declared = installed_declarations()
    registered = {
        (kind, name): record.name
        for record in manager.records.values()
        if not record.builtin
        for kind, names in manager.components_of(record.name).items()
        for name in names
    }
    manager.add_commands(click.Group())
    registered |= {(COMMAND, name): owner for name, owner in manager.command_owners.items()}
    registered |= {
        (CONFIG_SECTION, name): str(manager.section_owner(name))
        for name in manager.config_sections()
    }
    assert registered, "no plugin registered anything; is faceswap-retinaface installed?"
    assert declared == registered
