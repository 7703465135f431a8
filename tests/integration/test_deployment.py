"""The ``pip install faceswap-core faceswap-trt faceswap-retinaface`` deployment, end to end.

An exported swapper (for now a small graph with the core ``onnx`` swapper
contract, built here; the lead switches this to a real U-Net export once
faceswap-unet's exporter lands) and a static detector export run a swap on
real faces through ``--runtime tensorrt``: on TensorRT where it exists, else
on ONNX Runtime through the plugin's fallback. ``nox -s isolation`` runs this
file in a fresh virtualenv with only those three distributions (and no
torch), with ``FACESWAP_ISOLATION=1`` to assert torch was never imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from tests.integration.conftest import build_faceswap_export

from faceswap_core.io.decode import decode
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import run_cli
from faceswap_core.tools.samples import load_sample, sample_path


def test_exported_pipeline_swaps_real_faces_through_the_tensorrt_runtime(tmp_path: Path) -> None:
    from faceswap_trt.device import probe

    plugins = FaceswapPlugins(strict=True)
    swapper, _ = build_faceswap_export(tmp_path / "swapper.onnx")
    detector = tmp_path / "retinaface_640x640.onnx"
    exported = run_cli(
        "export", "retinaface", "--size", "640x640", "--out", str(detector), manager=plugins
    )
    assert exported.exit_code == 0, exported.output
    target = tmp_path / "astronaut.png"
    Image.fromarray(load_sample("astronaut")).save(target)
    out = tmp_path / "swapped.png"
    static_detector = f"pipeline.detector={{type: retinaface, model_path: {detector}}}"
    args = (
        "swap", "-s", str(sample_path("t1")), "-t", str(target),
        "-o", str(out), "--model", "onnx", "--model-path", str(swapper),
        "--runtime", "tensorrt", "--set", static_detector,
    )  # fmt: skip
    result = run_cli(*args, manager=plugins)
    assert result.exit_code == 0, result.output
    if not probe().ok:
        assert "Warning: tensorrt runtime falls back to onnxruntime" in result.stderr
    assert "1/1 faces swapped" in result.stdout
    before = decode(target)
    after = decode(out)
    assert after.shape == before.shape
    changed = np.any(before != after, axis=2)
    assert changed.sum() > 2000  # the face was replaced ...
    assert not changed[:, :100].any()  # ... and the left edge of the portrait was not
    if os.environ.get("FACESWAP_ISOLATION") == "1":
        assert "torch" not in sys.modules
        import importlib.util

        assert importlib.util.find_spec("torch") is None, "torch is installed in the isolation venv"
