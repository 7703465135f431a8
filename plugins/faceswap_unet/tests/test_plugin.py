"""faceswap-unet is installed, loads through its entry point, and registers its components."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins


def test_plugin_is_installed_and_loads_without_error() -> None:
    plugins = FaceswapPlugins(strict=True)
    record = plugins.records["faceswap-unet"]
    assert record.error is None
    assert record.entry_point == "unet = faceswap_unet.hooks"
    assert record.version == "0.1.0"


def test_plugin_lists_its_components() -> None:
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["plugins"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["faceswap-unet"]["components"] == {
        "swapper": ["unet"],
        "loss": ["adversarial", "feature_matching", "identity", "mask", "reconstruction"],
        "metric": ["lpips"],
        "dataset": ["lfw"],
        "runner": ["train"],
        "exporter": ["onnx"],
    }
    assert "error" not in rows["faceswap-unet"]


def test_hooks_and_data_preparation_do_not_import_torch() -> None:
    """Users who only prepare data never pay for torch: the hooks and data modules skip it."""
    code = (
        "import sys\n"
        "from faceswap_core.plugin.manager import FaceswapPlugins\n"
        "plugins = FaceswapPlugins(strict=True)\n"
        "for kind in ('dataset', 'loss', 'runner', 'swapper', 'exporter'): plugins.registry(kind)\n"
        "import faceswap_unet.data.prepare, faceswap_unet.data.samples, faceswap_unet.data.tiny\n"
        "import faceswap_unet.data.dataset, faceswap_unet.data.augment\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
