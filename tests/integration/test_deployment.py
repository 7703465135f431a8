"""The ``pip install faceswap-core faceswap-trt faceswap-retinaface`` deployment, end to end.

A real U-Net export (``faceswap export onnx`` of a faceswap-unet checkpoint)
and a static detector export run a swap on real faces through ``--runtime
tensorrt``: on TensorRT where it exists, else on ONNX Runtime through the
plugin's fallback. ``nox -s isolation`` runs this file in a fresh virtualenv
with only those three distributions (and no torch), with
``FACESWAP_ISOLATION=1`` to assert torch was never imported; as that venv
cannot export, ``nox -s unet_export`` makes the U-Net export first, in a venv
with torch, and passes its path in ``FACESWAP_UNET_EXPORT``. In the full
suite (faceswap-unet installed) the export is made here, the same way.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image

from faceswap_core.io.decode import decode
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import run_cli
from faceswap_core.tools.samples import load_sample, sample_path

UNET_EXPORT_ENV = "FACESWAP_UNET_EXPORT"


@pytest.fixture(scope="module")
def unet_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``faceswap export onnx`` of a seeded faceswap-unet checkpoint: given, or made here."""
    given = os.environ.get(UNET_EXPORT_ENV)
    if given:
        return Path(given)
    if os.environ.get("FACESWAP_ISOLATION") == "1" or importlib.util.find_spec("torch") is None:
        pytest.fail(
            f"no U-Net export: set {UNET_EXPORT_ENV} to a `faceswap export onnx` file "
            "(nox -s isolation gets one from nox -s unet_export)"
        )
    from faceswap_unet.testing import random_checkpoint

    folder = tmp_path_factory.mktemp("unet")
    checkpoint = random_checkpoint(folder / "step-00000000.ckpt")
    out = folder / "swapper.onnx"
    result = run_cli("export", "onnx", "--checkpoint", str(checkpoint), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_the_swapper_is_a_validated_unet_export(unet_export: Path) -> None:
    props = {p.key: p.value for p in onnx.load(str(unet_export)).metadata_props}
    assert props["faceswap.exporter"].startswith("faceswap-unet ")
    record = json.loads(unet_export.with_name(unet_export.stem + ".export.json").read_text())
    assert record["exporter"].startswith("torch.onnx")
    assert record["max_abs_diff"] <= record["atol"] <= 1e-3
    assert record["sha256"] == hashlib.sha256(unet_export.read_bytes()).hexdigest()


def test_exported_pipeline_swaps_real_faces_through_the_tensorrt_runtime(
    unet_export: Path, tmp_path: Path
) -> None:
    from faceswap_trt.device import probe

    plugins = FaceswapPlugins(strict=True)
    swapper = unet_export
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
