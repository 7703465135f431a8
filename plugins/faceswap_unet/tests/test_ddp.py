"""Two processes with torchrun (gloo, CPU) train one run; every rank ends with the same weights."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from faceswap_unet.checkpoint import read_state

from .conftest import SMOKE


@pytest.mark.slow
def test_two_process_ddp_smoke_run(tiny: Path, tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or "torchrun"
    run = tmp_path / "ddp"
    command = [
        torchrun, "--nproc_per_node", "2", "--standalone", "-m", "faceswap_core",
        "train", "--config", str(SMOKE), "-o", str(run), "--json",
        "--set", "train.steps=6", "--set", "train.eval.every=3", "--set", "train.batch_size=2",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, "only rank 0 reports"
    summary = json.loads(lines[0])["summary"]
    assert summary["world_size"] == 2
    first, second = summary["rank_weights_sha256"]
    assert first == second
    assert read_state(Path(summary["last_checkpoint"]))["model_sha256"] == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp"], (
        "both ranks wrote into one run folder"
    )
