"""``faceswap export onnx`` and ``faceswap train`` on a full disk: exit 3, one line (issue 17).

A real small tmpfs (``small_disk`` from ``faceswap_core.testing``; skipped where
mounting needs root). On main both were exit 1 "this is a bug"; a training run
also left its folder without a failed status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_unet.testing import random_checkpoint

from .conftest import SMOKE, run_faceswap

FULL = "No space left on device; free some space or choose another place"


def test_export_onnx_on_a_full_disk(small_disk: Callable[[str], Path], tmp_path: Path) -> None:
    checkpoint = random_checkpoint(tmp_path / "step-00000001.ckpt")
    disk = small_disk("16k")
    args = ["export", "onnx", "--checkpoint", str(checkpoint), "-o", str(disk / "m.onnx")]
    args += ["--static", "--exporter", "torchscript", "--opset", "17"]  # the quicker exporter
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), args)
    assert result.exit_code == 3, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith("Error: cannot write ")
    assert FULL in line
    assert list(disk.iterdir()) == []


def test_train_on_a_full_disk_marks_the_run_failed(
    small_disk: Callable[[str], Path], tiny: Path
) -> None:
    disk = small_disk("1m")  # the run's files fit; its first checkpoint (3.6 MB) does not
    run = disk / "run"
    done = run_faceswap(
        *("train", "--config", str(SMOKE), "-o", str(run)),
        *("--set", "train.steps=2", "--set", "train.eval.every=0", "--set", "train.hooks=[]"),
    )
    assert done.returncode == 3, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert FULL in errors[0]
    assert done.stderr.rstrip().splitlines()[-1] == errors[0]
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "failed"
    assert status["error_type"] == "DiskFullError"
    assert [p.name for p in (run / "checkpoints").iterdir()] == []
