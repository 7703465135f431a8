"""``faceswap train`` end to end on the tiny dataset, through the CLI (subprocesses).

One smoke run (session fixture) is checked for a complete work_dir; further
short runs check reproducibility, resume equivalence, early stopping, run
comparison and the one-line errors for bad inputs.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import faceswap
from faceswap_core.experiment.metrics import read_metrics
from faceswap_unet.checkpoint import read_state

from .conftest import SMOKE, last_json, run_faceswap, train_smoke

SHORT = ("train.steps=6", "train.eval.every=3", "train.log_every=1")


def test_smoke_run_writes_a_complete_work_dir(smoke_run: tuple[Path, dict[str, Any]]) -> None:
    folder, summary = smoke_run
    for name in (
        "config.yaml",
        "env.json",
        "plugins.json",
        "README.md",
        "metrics.jsonl",
        "metrics.csv",
        "metrics.json",
        "status.json",
        "logs/run.jsonl",
    ):
        assert (folder / name).is_file(), name
    assert summary["work_dir"] == str(folder)
    assert summary["steps"] == 60
    assert Path(summary["last_checkpoint"]).is_dir()
    assert Path(summary["best_checkpoint"]).is_dir()
    assert (folder / "checkpoints" / "last_checkpoint").is_file()
    assert {p.name for p in (folder / "samples").iterdir()} == {
        f"step_{s:06d}.png" for s in (0, 20, 40, 60)
    }
    assert {"train_loss_total.png", "val_loss_reconstruction.png", "val_ssim.png"} <= {
        p.name for p in (folder / "plots").iterdir()
    }
    assert json.loads((folder / "status.json").read_text())["status"] == "finished"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["recognizer"]["random"] is True
    assert "measure nothing" in metrics["recognizer"]["note"]
    assert metrics["validation"]["source"] == "held-back train images"
    assert metrics["lpips"]["available"] is False
    assert metrics["lpips"]["reason"]
    assert metrics["model"]["parameters"] > 0
    assert metrics["model"]["gflops_at"] == 128
    events = [
        json.loads(line)["event"]
        for line in (folder / "logs" / "run.jsonl").read_text().splitlines()
    ]
    assert {"model", "recognizer_random", "validation_fallback", "checkpoint", "run_end"} <= set(
        events
    )
    readme = (folder / "README.md").read_text()
    assert f"faceswap train --config {folder / 'config.yaml'}" in readme
    with (folder / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(read_metrics(folder / "metrics.jsonl"))
    state = read_state(Path(summary["last_checkpoint"]))
    assert (state["crop_size"], state["template"], state["embedding_dim"]) == (64, "arcface", 64)


def test_reconstruction_loss_goes_down(smoke_run: tuple[Path, dict[str, Any]]) -> None:
    folder, summary = smoke_run
    val = [r for r in read_metrics(folder / "metrics.jsonl") if r["phase"] == "val"]
    assert [r["step"] for r in val] == [0, 20, 40, 60]
    assert val[-1]["loss_reconstruction"] < 0.6 * val[0]["loss_reconstruction"]
    assert summary["metrics"]["val/loss_reconstruction"] == val[-1]["loss_reconstruction"]
    assert summary["metrics"]["val/ssim"] > val[0]["ssim"]


def test_rerun_from_the_saved_config_gives_the_same_metrics(
    smoke_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, summary = smoke_run
    done = run_faceswap(
        "train", "--config", str(folder / "config.yaml"), "-o", str(tmp_path / "again"), "--json"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    again = last_json(done.stdout)
    assert again["metrics"] == summary["metrics"]
    assert again["rank_weights_sha256"] == summary["rank_weights_sha256"]


def test_resume_gives_the_weights_of_an_uninterrupted_run(tiny: Path, tmp_path: Path) -> None:
    common = ["train.scheduler.total_steps=8", "train.eval.every=4", "train.checkpoint.every=4"]
    straight = faceswap.train(
        SMOKE, output=tmp_path / "straight", overrides=[*common, "train.steps=8"]
    )
    half = faceswap.train(SMOKE, output=tmp_path / "halves", overrides=[*common, "train.steps=4"])
    assert half.steps == 4
    resumed = faceswap.train(
        SMOKE, resume=tmp_path / "halves", overrides=[*common, "train.steps=8"]
    )
    assert resumed.steps == 8
    assert resumed.work_dir == tmp_path / "halves"
    a = read_state(straight.last_checkpoint)  # type: ignore[arg-type]
    b = read_state(resumed.last_checkpoint)  # type: ignore[arg-type]
    assert a["model_sha256"] == b["model_sha256"]
    assert straight.metrics["val/loss_reconstruction"] == pytest.approx(
        resumed.metrics["val/loss_reconstruction"], abs=1e-6
    )
    steps = [
        r["step"]
        for r in read_metrics(tmp_path / "halves" / "metrics.jsonl")
        if r["phase"] == "val"
    ]
    assert steps == [0, 4, 8]


def test_early_stopping_ends_the_run(tiny: Path, tmp_path: Path) -> None:
    done, summary = train_smoke(
        tmp_path / "run",
        "train.steps=30",
        "train.eval.every=1",
        "train.early_stopping={monitor: val/ssim, mode: max, patience: 2, min_delta: 1.0}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert summary is not None
    assert summary["stopped_early"] is True
    assert summary["steps"] == 3
    assert "val/ssim did not improve" in summary["stop_reason"]


def test_compare_two_seeds_and_fail_on_regression(
    smoke_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, _ = smoke_run
    done, _other = train_smoke(tmp_path / "seed2", "seed=2", *SHORT)
    assert done.returncode == 0, done.stderr[-2000:]
    compared = run_faceswap("compare", str(folder), str(tmp_path / "seed2"), "--json")
    assert compared.returncode == 0, compared.stderr
    *items, _summary = (json.loads(line) for line in compared.stdout.splitlines())
    rows = {row["name"]: row for row in items}
    ssim = rows["val/ssim"]
    assert ssim["delta"] == pytest.approx(ssim["final_b"] - ssim["final_a"])
    assert (
        ssim["final_a"] == json.loads((folder / "metrics.json").read_text())["metrics"]["val/ssim"]
    )
    assert (tmp_path / "seed2" / f"compare-{folder.name}.png").stat().st_size > 1000
    worse = min(
        rows.values(),
        key=lambda r: -(r["delta"] or 0) if r["higher_is_better"] else (r["delta"] or 0),
    )
    failing = run_faceswap("compare", str(folder), str(tmp_path / "seed2"), "--tolerance", "0")
    regressed = any(
        (r["delta"] or 0) < 0 if r["higher_is_better"] else (r["delta"] or 0) > 0
        for r in rows.values()
    )
    assert failing.returncode == (6 if regressed else 0), (failing.stderr, worse)
    if regressed:
        assert "regressed beyond 0:" in failing.stderr


def test_smoke_config_trains_on_two_people_prepared_by_the_cli(tiny: Path, tmp_path: Path) -> None:
    """Too few identities for three splits: it prepares with a warning and still trains,
    validating on held-back images of the train identities (said in metrics.json)."""
    raw = tmp_path / "lfw"
    for person in sorted((tiny.parent / "raw").iterdir())[:2]:
        shutil.copytree(person, raw / person.name)
    prepared = tmp_path / "prepared"
    done = run_faceswap("data", "lfw", "prepare", "--src", str(raw), "-o", str(prepared), "--json")
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout)["identities"] == {"train": 2, "val": 0, "test": 0}
    done, summary = train_smoke(
        tmp_path / "run",
        f"data.root={prepared}",
        "train.accumulate=2",
        "train.hooks=[progress]",
        *SHORT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert summary is not None
    assert summary["data"]["root"] == str(prepared)
    assert summary["steps"] == 6  # two accumulated batches per step
    assert summary["validation"]["source"] == "held-back train images"
    assert summary["validation"]["swap_pairs"] == 2  # one held-back image of each person
    assert "val/id_retrieval_top1" in summary["metrics"]
    assert not (tmp_path / "run" / "plots").exists()  # train.hooks without "plots"
    assert {p.name for p in (tmp_path / "run" / "samples").glob("*.png")} == {
        f"step_{s:06d}.png" for s in (0, 3, 6)
    }


# -- bad input: one line, an exit code, no run folder that looks complete ------------------


def _error_line(done: Any) -> str:
    """The one ``Error:`` line (after any JSON progress lines); never a traceback."""
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr, done.stderr
    assert lines[-1].startswith("Error: "), done.stderr
    assert all(line.startswith("{") for line in lines[:-1]), done.stderr
    return str(lines[-1])


def test_dataset_folder_without_manifest(tiny: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    done, _ = train_smoke(tmp_path / "run", f"data.root={tmp_path / 'data'}")
    assert done.returncode == 3
    assert "no manifest.json" in _error_line(done)
    assert not (tmp_path / "run").exists()


def test_dataset_whose_checksums_fail(tiny: Path, tmp_path: Path) -> None:
    prepared = tmp_path / "prepared"
    shutil.copytree(tiny, prepared)
    next((prepared / "crops").rglob("*.png")).write_bytes(b"not the crop")
    done, _ = train_smoke(tmp_path / "run", f"data.root={prepared}")
    assert done.returncode == 3
    assert "does not match its manifest (0 missing, 1 changed" in _error_line(done)
    assert not (tmp_path / "run").exists()


def test_unknown_loss(tmp_path: Path) -> None:
    done, _ = train_smoke(tmp_path / "run", "train.losses=[{type: perceptual}]")
    assert done.returncode == 2
    line = _error_line(done)
    assert "$.train.losses[0]" in line
    assert "unknown loss 'perceptual'" in line
    assert "reconstruction" in line
    assert not (tmp_path / "run").exists()


def test_missing_recognizer_file(tmp_path: Path) -> None:
    done, _ = train_smoke(
        tmp_path / "run",
        "train.recognizer.arch=iresnet18",
        f"train.recognizer.weights={tmp_path / 'backbone.pth'}",
    )
    assert done.returncode == 5
    assert "model file not found" in _error_line(done)
    assert not (tmp_path / "run").exists()


def test_resume_with_another_architecture(
    smoke_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, _ = smoke_run
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    done = run_faceswap(
        "train",
        "--config",
        str(SMOKE),
        "--resume",
        str(copy),
        "--set",
        "train.model.base_channels=16",
    )
    assert done.returncode == 2
    assert "train.model.base_channels" in _error_line(done)
    # The same change hidden in the run's own config reaches the checkpoint check.
    saved = yaml.safe_load((copy / "config.yaml").read_text())
    saved["train"]["model"]["base_channels"] = 16
    saved["train"]["steps"] = 61
    (copy / "config.yaml").write_text(yaml.safe_dump(saved))
    done = run_faceswap(
        "train",
        "--config",
        str(copy / "config.yaml"),
        "--resume",
        str(copy),
        "--set",
        "train.steps=61",
    )
    assert done.returncode == 5
    assert "different architecture" in _error_line(done)
    assert json.loads((copy / "status.json").read_text())["status"] == "failed"
