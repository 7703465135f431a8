"""``faceswap eval --run RUN`` evaluates the run's trained model, with the real unet swapper.

The smoke config's inference pipeline names the ``classic`` swapper; the run
itself records that its checkpoints are loaded by ``unet``. Evaluating the
run must therefore give the numbers of the unet swapper on the run's best
checkpoint, not those of ``classic``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import faceswap

PAIRS = ("eval.cross_pairs=1", "eval.self_pairs=2", "eval.metrics=[{type: ssim}, {type: psnr}]")


def test_eval_run_uses_the_runs_unet_swapper_and_best_checkpoint(
    smoke_run: tuple[Path, dict[str, Any]], tiny: Path, tmp_path: Path
) -> None:
    folder, summary = smoke_run
    status = json.loads((folder / "status.json").read_text())
    assert status["swapper"] == {"type": "unet"}
    raw = tiny.parent / "raw"
    by_run = faceswap.evaluate(run=folder, data=raw, output=tmp_path / "run", overrides=PAIRS)
    best = summary["best_checkpoint"]
    assert by_run.document["model"]["swapper"] == {"type": "unet", "model": best}
    assert by_run.document["model"]["checkpoint"] == best
    same: dict[str, Any] = {"config": folder / "config.yaml", "data": raw, "overrides": PAIRS}
    explicit = faceswap.evaluate(model="unet", model_path=best, output=tmp_path / "unet", **same)
    classic = faceswap.evaluate(model="classic", output=tmp_path / "classic", **same)
    assert by_run.metrics["ssim"] is not None
    assert by_run.metrics == explicit.metrics  # the same model, deterministic on CPU
    assert by_run.metrics["ssim"] != classic.metrics["ssim"]
    assert by_run.metrics["psnr"] != classic.metrics["psnr"]
