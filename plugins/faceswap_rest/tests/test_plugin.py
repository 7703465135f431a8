"""faceswap-rest is installed, loads through its entry point, and adds `faceswap serve`."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins


def test_plugin_is_installed_and_loads_without_error() -> None:
    plugins = FaceswapPlugins(strict=True)
    record = plugins.records["faceswap-rest"]
    assert record.error is None
    assert record.entry_point == "rest = faceswap_rest.hooks"
    assert record.version == "0.1.0"


def test_plugin_is_listed_by_faceswap_plugins() -> None:
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["plugins"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["faceswap-rest"]["components"] == {}  # it adds a command, not components
    assert rows["faceswap-rest"]["hooks"] == [
        "register_commands",
        "register_config_sections",
        "register_operations",
    ]
    assert "error" not in rows["faceswap-rest"]


def test_serve_is_a_command_with_the_documented_options() -> None:
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["serve", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--host", "--port", "--workers", "--config"):
        assert option in result.output


def test_serve_refuses_a_bad_config_before_starting(tmp_path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text("serve:\n  limits: {max_pixels: -1}\n")
    cli = make_cli(FaceswapPlugins(strict=True))
    result = CliRunner().invoke(cli, ["serve", "--config", str(config)])
    assert result.exit_code == 2
    assert "Error: " in result.stderr
    assert "$.serve.limits.max_pixels" in result.stderr
    config.write_text("pipeline:\n  swapper: {type: nope}\n")
    result = CliRunner().invoke(cli, ["serve", "--config", str(config)])
    assert result.exit_code == 2
    assert "unknown swapper 'nope'" in result.stderr


def test_the_hooks_module_stays_thin() -> None:
    """`faceswap --help` must not import starlette or uvicorn (they load when serve runs)."""
    code = (
        "import sys; from faceswap_core.cli.main import make_cli; make_cli(); "
        "heavy = [m for m in ('starlette', 'uvicorn', 'prometheus_client', 'multipart') "
        "if m in sys.modules]; print(heavy)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_serve_reads_the_shipped_config_with_overrides_and_a_runtime(tmp_path, monkeypatch) -> None:
    from faceswap_rest.config import ServeConfig, load_settings

    monkeypatch.chdir(tmp_path)  # no serve.yaml here: the bare name is the shipped one
    settings = load_settings(
        "serve.yaml", ["serve.port=9001", "pipeline.faces=largest"], runtime="onnxruntime",
        providers=["cpu"], workers=2,
    )  # fmt: skip
    assert settings.serve.port == 9001
    assert settings.serve.workers == 2  # --workers wins over the file
    assert settings.serve.threads == 2  # from the shipped file
    assert settings.serve.limits == ServeConfig().limits
    assert settings.pipeline.faces == "largest"
    assert settings.pipeline.runtime["type"] == "onnxruntime"
    assert settings.pipeline.runtime["providers"] == ["cpu"]


def test_serve_options_come_from_its_spec() -> None:
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["serve", "--help"])
    for option in ("--set", "--runtime", "--providers", "--log-level", "[0<=x<=65535]"):
        assert option in result.output
    bad = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["serve", "--port", "99999"])
    assert bad.exit_code == 2
    assert bad.stderr == "Error: port: must be between 0 and 65535, got 99999\n"
