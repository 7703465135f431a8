"""The ``faceswap`` command line contract: version, help, plugins JSON, components, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import pytest

from faceswap_core import Register, hookimpl
from faceswap_core.errors import (
    ComponentClashError,
    ConfigError,
    FaceswapError,
    InputError,
    InvalidImageError,
    ModelFileError,
    NoFaceError,
    UnknownComponentError,
)
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import build_component

Cli = Callable[..., Any]


class DetectorPlugin:
    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        register("cli-test-detector", lambda config, context: "detector")


class FailingCommandsPlugin:
    """Commands that fail the way real commands do, to check how errors reach the user."""

    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("fail")
        @click.argument("kind")
        @click.pass_context
        def fail(ctx: click.Context, kind: str) -> None:
            from faceswap_core.cli.context import plugins_from

            if kind == "unknown-component":
                build_component("detector", "scrfd", manager=plugins_from(ctx))
            errors: dict[str, FaceswapError] = {
                "config": ConfigError("$.pipeline.faces: expected one of all, largest, reference"),
                "image": InvalidImageError("cannot decode target 'frame.jpg': file is truncated"),
                "input": InputError("cannot read source 'missing.jpg': no such file"),
                "noface": NoFaceError("source 'wall.jpg' has no face"),
                "model": ModelFileError("model file missing: inswapper_128.onnx"),
            }
            raise errors[kind]


def test_version(faceswap_cli: Cli) -> None:
    result = faceswap_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"faceswap, version {version('faceswap-core')}\n"


def test_help_lists_core_commands_and_exit_codes(faceswap_cli: Cli) -> None:
    result = faceswap_cli("--help")
    assert result.exit_code == 0
    assert "Usage: faceswap" in result.stdout
    for command in ("plugins", "components"):
        assert f"  {command}" in result.stdout
    assert "--debug" in result.stdout
    flat = " ".join(result.stdout.split())  # click wraps the epilog
    assert "Exit codes: 0 success;" in flat
    assert "4 no face in the source image" in flat


def test_plugins_json_shape(faceswap_cli: Cli, register_plugin: Callable[..., str]) -> None:
    register_plugin(DetectorPlugin(), name="cli-plugin")
    result = faceswap_cli("plugins")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "name": "cli-plugin",
            "version": None,
            "entry_point": None,
            "hooks": ["register_detectors"],
            "components": {"detector": ["cli-test-detector"]},
        }
    ]


def test_plugins_all_includes_core(faceswap_cli: Cli) -> None:
    rows = json.loads(faceswap_cli("plugins").stdout)
    assert [row["name"] for row in rows] == []
    rows = json.loads(faceswap_cli("plugins", "--all").stdout)
    (core,) = rows
    assert core["name"] == "faceswap-core"
    assert core["version"] == version("faceswap-core")
    assert "classic" in core["components"]["swapper"]
    assert "register_swappers" in core["hooks"]


def test_plugins_hook_filter(faceswap_cli: Cli, register_plugin: Callable[..., str]) -> None:
    register_plugin(DetectorPlugin(), name="detects")
    register_plugin(FailingCommandsPlugin(), name="commands")
    names = [
        row["name"]
        for row in json.loads(faceswap_cli("plugins", "--hook", "register_detectors").stdout)
    ]
    assert names == ["detects"]
    names = [
        row["name"]
        for row in json.loads(faceswap_cli("plugins", "--hook", "register_commands").stdout)
    ]
    assert names == ["commands"]
    rows = json.loads(faceswap_cli("plugins", "--all", "--hook", "register_runtimes").stdout)
    assert [row["name"] for row in rows] == ["faceswap-core"]


def test_plugins_requirements(faceswap_cli: Cli) -> None:
    manager = FaceswapPlugins(strict=True, only=["faceswap-trt", "faceswap-rest"])
    result = faceswap_cli("plugins", "--requirements", manager=manager)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"faceswap-rest=={version('faceswap-rest')}",
        f"faceswap-trt=={version('faceswap-trt')}",
    ]
    result = faceswap_cli("plugins", "--requirements", "--all", manager=manager)
    assert f"faceswap-core=={version('faceswap-core')}" in result.stdout.splitlines()


def test_components_table(faceswap_cli: Cli, register_plugin: Callable[..., str]) -> None:
    register_plugin(DetectorPlugin(), name="cli-plugin")
    result = faceswap_cli("components")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "PLUGIN"]
    rows = [line.split() for line in lines[1:]]
    assert ["classic", "swapper", "faceswap-core"] in rows
    assert ["cli-test-detector", "detector", "cli-plugin"] in rows
    # Columns line up: every row's KIND starts where the header's does.
    column = lines[0].index("KIND")
    assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines[1:])

    only = faceswap_cli("components", "detector").stdout.splitlines()
    assert [line.split() for line in only[1:]] == [["cli-test-detector", "detector", "cli-plugin"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["components", "detectors"],
            "Error: unknown component kind 'detectors'. Kinds: detector,",
        ),
        (["plugins", "--hook", "register_detektors"], "Error: --hook 'register_detektors' is not"),
        (["fail", "unknown-component"], "Error: unknown detector 'scrfd'. Available: none."),
        (["fail", "config"], "Error: $.pipeline.faces: expected one of"),
    ],
)
def test_user_errors_are_one_line_with_exit_2(
    faceswap_cli: Cli, register_plugin: Callable[..., str], args: list[str], message: str
) -> None:
    register_plugin(FailingCommandsPlugin(), name="commands")
    result = faceswap_cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message)
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("kind", "code"),
    [("image", 3), ("input", 3), ("noface", 4), ("model", 5)],
)
def test_each_error_class_has_its_exit_code(
    faceswap_cli: Cli, register_plugin: Callable[..., str], kind: str, code: int
) -> None:
    register_plugin(FailingCommandsPlugin(), name="commands")
    result = faceswap_cli("fail", kind)
    assert result.exit_code == code
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: ")


def test_debug_shows_the_traceback(faceswap_cli: Cli, register_plugin: Callable[..., str]) -> None:
    register_plugin(FailingCommandsPlugin(), name="commands")
    result = faceswap_cli("--debug", "fail", "unknown-component")
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "UnknownComponentError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: unknown detector 'scrfd'")
    assert issubclass(UnknownComponentError, KeyError)


def test_click_usage_errors_exit_2_without_traceback(faceswap_cli: Cli) -> None:
    result = faceswap_cli("no-such-command")
    assert result.exit_code == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        "Error: No such command 'no-such-command'."
    ]
    assert "Traceback" not in result.stderr


def _installed_faceswap() -> str:
    script = Path(sys.executable).parent / "faceswap"
    found = str(script) if script.exists() else shutil.which("faceswap")
    if found is None:
        pytest.fail("the faceswap console script is not installed next to the test interpreter")
    return found


def test_installed_script_lists_our_four_plugins() -> None:
    env = {key: value for key, value in os.environ.items() if key != "FACESWAP_LOAD_PLUGINS"}
    done = subprocess.run(
        [_installed_faceswap(), "plugins"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    ours = {"faceswap-retinaface", "faceswap-unet", "faceswap-trt", "faceswap-rest"}
    assert ours <= set(rows)
    for name in ours:
        assert rows[name]["version"] == version(name)
        assert rows[name]["entry_point"].endswith(f"{name.removeprefix('faceswap-')}.hooks")
        assert "error" not in rows[name]


def test_core_commands_load_lazily_and_are_named_like_their_modules() -> None:
    """``faceswap swap`` must not pay for PyAV, the evaluator or matplotlib at start-up."""
    code = (
        "import sys, click\n"
        "from faceswap_core.cli.main import CORE_COMMANDS, make_cli\n"
        "cli = make_cli()\n"
        "ctx = click.Context(cli)\n"
        "assert cli.get_command(ctx, 'swap').name == 'swap'\n"
        "heavy = [m for m in ('av', 'faceswap_core.eval.evaluator', 'matplotlib',\n"
        "         'faceswap_core.tools.video_bench') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "for module in CORE_COMMANDS:\n"
        "    name = module.rsplit('.', 1)[1]\n"
        "    assert cli.get_command(ctx, name).name == name, module\n"
        "print(len(CORE_COMMANDS))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 17


class VideoShadowPlugin:
    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("video")
        def video() -> None:
            """A plugin's own video command."""


def test_a_plugin_command_may_not_shadow_a_lazy_core_command() -> None:
    from faceswap_core.cli.main import make_cli

    manager = FaceswapPlugins(load_entry_points=False, strict=True)
    manager.register(VideoShadowPlugin(), name="faceswap-shadow")
    with pytest.raises(ComponentClashError, match="command 'video' is registered by both"):
        make_cli(manager)
