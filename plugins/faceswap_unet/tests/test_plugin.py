"""faceswap-unet is installed, loads through its entry point, and reports itself."""

from __future__ import annotations

import json

from click.testing import CliRunner

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins


def test_plugin_is_installed_and_loads_without_error() -> None:
    plugins = FaceswapPlugins(strict=True)
    record = plugins.records["faceswap-unet"]
    assert record.error is None
    assert record.entry_point == "unet = faceswap_unet.hooks"
    assert record.version == "0.1.0"


def test_plugin_is_listed_by_faceswap_plugins() -> None:
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["plugins"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["faceswap-unet"]["components"] == {"metric": ["lpips"]}
    assert "error" not in rows["faceswap-unet"]
