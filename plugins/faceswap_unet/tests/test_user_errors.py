"""User errors of faceswap-unet have their class and exit code, in one line (issue 17).

On main a checkpoint whose ``state.json`` declared a negative ``embedding_dim``
and training on a one-image dataset both ended in exit 1 "this is a bug" (the
second now trains, validating on the training images when nothing else is left).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from faceswap_core import Register, hookimpl
from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import only_error_line
from faceswap_unet.testing import random_checkpoint

from .conftest import SMOKE


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(plugins), [str(a) for a in args])


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("embedding_dim", -5, "embedding_dim: must be between 8 and 4096, got -5"),
        ("embedding_dim", 10**9, "embedding_dim: must be between 8 and 4096"),
        ("crop_size", 0, "crop_size: must be between 32 and 512, got 0"),
    ],
)
def test_a_checkpoint_with_impossible_sizes_is_a_model_file_error(
    plugins: FaceswapPlugins, tmp_path: Path, key: str, value: int, message: str
) -> None:
    checkpoint = random_checkpoint(tmp_path / "step-00000001.ckpt")
    state_file = checkpoint / "state.json"
    state = json.loads(state_file.read_text())
    state[key] = value
    state_file.write_text(json.dumps(state))
    out = tmp_path / "m.onnx"
    result = run(plugins, "export", "onnx", "--checkpoint", checkpoint, "-o", out)
    assert result.exit_code == 5
    line = only_error_line(result)
    assert message in line
    assert "the checkpoint is damaged or was not written by faceswap-unet" in line
    assert not out.exists()


def test_training_on_a_one_image_dataset_validates_on_that_image(
    plugins: FaceswapPlugins, tiny: Path, tmp_path: Path
) -> None:
    """It crashed stacking an empty validation batch (exit 1); it now trains and says that
    its numbers measure fit (validation falls back to the training images themselves)."""
    raw = tmp_path / "raw" / "Only_Person"
    raw.mkdir(parents=True)
    first = next(p for p in sorted((tiny.parent / "raw").rglob("*")) if p.is_file())
    shutil.copy(first, raw / f"Only_Person_0001{first.suffix}")
    prepared = tmp_path / "prepared"
    done = run(plugins, "data", "lfw", "prepare", "--src", tmp_path / "raw", "-o", prepared)
    assert done.exit_code == 0, done.output
    work = tmp_path / "run"
    args = ["train", "--config", SMOKE, "--set", f"data.root={prepared}", "-o", work]
    result = run(plugins, *args)
    assert result.exit_code == 0, result.output
    assert json.loads((work / "status.json").read_text())["status"] == "finished"
    validation = json.loads((work / "metrics.json").read_text())["validation"]
    assert validation["source"] == "train images"
    assert "measure fit" in validation["reason"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench-train", "--size", "100000"], "size: must be between 32 and 512, got 100000"),
        (["bench-train", "--batch", "0"], "batch: must be between 1 and 4096, got 0"),
        (["bench-train", "--steps", "1000000000"], "steps: must be between 1 and 100000"),
        # bench-export's options are its spec's fields (faceswap_unet.specs.ExportBenchSpec)
        (["bench-export", "--size", "8"], "size: must be between 32 and 512, got 8"),
        (["bench-export", "--batch", "1", "--batch", "0"], "batch[1]: must be between 1"),
        (["bench-export", "--arch", "huge"], "'huge' is not one of 'smoke'"),
        (["bench-export", "--frames", "20"], "--frames sets the clip length of --video"),
    ],
)
def test_bench_sizes_are_bounded(plugins: FaceswapPlugins, args: list[str], message: str) -> None:
    result = run(plugins, *args)
    assert result.exit_code == 2
    assert message in result.output


class NanLoss:
    """A loss that turns NaN (as a diverging run's losses do): the run must stop, not finish."""

    name = "nan"
    weight = 1.0
    requires = frozenset({"output"})

    def __call__(self, outputs: Any, batch: Any) -> Any:
        return outputs["output"].mean() * float("nan")

    @hookimpl
    def register_losses(self, register: Register[object]) -> None:
        register("nan", lambda config, context: NanLoss())


def test_a_diverging_run_stops_with_a_config_error(tiny: Path, tmp_path: Path) -> None:
    manager = FaceswapPlugins(strict=True)
    manager.register(NanLoss(), name="nan-loss")
    work = tmp_path / "run"
    args = ["train", "--config", SMOKE, "-o", work, "--set", "train.steps=3"]
    args += ["--set", "train.losses=[{type: nan}]", "--set", "train.hooks=[]"]
    result = run(manager, *args)
    assert result.exit_code == 2
    lines = result.output.splitlines()  # the run's JSON log lines, then one Error line
    assert [line for line in lines if not line.startswith('{"time"')] == [lines[-1]]
    assert lines[-1].startswith("Error: training diverged at step 1: loss_total is nan; lower")
    status = json.loads((work / "status.json").read_text())
    assert status["status"] == "failed"
    assert not list((work / "checkpoints").glob("step-*"))  # no NaN checkpoint was kept
