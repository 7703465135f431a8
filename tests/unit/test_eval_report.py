"""Reports of training runs (folders laid out as work_dirs) and what report refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from faceswap_core.errors import InputError
from faceswap_core.eval.plots import curves_png
from faceswap_core.eval.report import render_comparison, write_report
from faceswap_core.eval.runs import load_run
from faceswap_core.experiment.metrics import series


def training_run(root: Path, name: str, losses: list[float], *, csv: bool = False) -> Path:
    """A run folder as the training runner lays it out (work_dirs/<exp>-<ts>/)."""
    folder = root / name
    (folder / "plots").mkdir(parents=True)
    (folder / "samples" / "step-2").mkdir(parents=True)
    (folder / "config.yaml").write_text("name: baseline\nseed: 0\n")
    (folder / "env.json").write_text(
        json.dumps({"python": {"version": "3.11.7"}, "argv": ["faceswap", "train"]})
    )
    (folder / "README.md").write_text(
        "# baseline\n\nfaceswap train configs/face_swap/baseline.yaml\n"
    )
    records = []
    for step, loss in enumerate(losses, start=1):
        records.append({"step": step, "split": "train", "loss": loss, "lr": 0.001})
        records.append(
            {"step": step, "split": "val", "loss": loss + 0.1, "identity_cos": 0.1 * step}
        )
    if csv:
        lines = ["step,split,loss"] + [f"{r['step']},{r['split']},{r['loss']}" for r in records]
        (folder / "metrics.csv").write_text("\n".join(lines) + "\n")
    else:
        (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    png = curves_png({"loss": ([1, 2], [1.0, 0.5])}, title="loss", xlabel="step")
    (folder / "plots" / "loss.png").write_bytes(png)
    (folder / "samples" / "step-2" / "grid.png").write_bytes(png)
    return folder


def test_training_series_by_phase() -> None:
    """Report and compare read curves alike: step or epoch, phase or split, bare without one."""
    curves = series(
        [
            {"step": 1, "split": "train", "loss": 2.0, "time": "x"},
            {"step": 2, "split": "train", "loss": 1.0},
            {"step": 2, "split": "val", "loss": 1.5, "identity_cos": 0.3},
            {"epoch": 3, "loss": 0.5},
        ],
        default_phase=None,
    )
    assert curves == {
        "train/loss": [(1, 2.0), (2, 1.0)],
        "val/loss": [(2, 1.5)],
        "val/identity_cos": [(2, 0.3)],
        "loss": [(3, 0.5)],
    }


def test_training_run_report_has_metrics_curves_and_images(tmp_path: Path) -> None:
    folder = training_run(tmp_path, "baseline-20260101-120000", [1.0, 0.6, 0.4])
    run = load_run(folder)
    assert run.kind == "train"
    assert run.metrics["train/loss"]["value"] == 0.4
    assert run.metrics["val/identity_cos"]["best"] == pytest.approx(0.3)
    path = write_report(folder)
    assert path == folder / "report.html"
    page = path.read_text()
    assert '<table id="metrics">' in page
    assert "train/loss" in page
    assert "val/identity_cos" in page
    images = re.findall(r'<img src="data:image/png;base64,', page)
    assert len(images) >= 4  # loss, identity_cos, lr curves + plots/loss.png + the sample
    assert "faceswap train configs/face_swap/baseline.yaml" in page  # the README's rerun command
    assert 'src="http' not in page
    assert 'src="file' not in page


def test_a_training_run_with_only_metrics_csv_is_read(tmp_path: Path) -> None:
    folder = training_run(tmp_path, "csv-run", [0.9, 0.7], csv=True)
    assert load_run(folder).metrics["val/loss"]["value"] == pytest.approx(0.8)


def test_comparing_two_training_runs_shows_deltas(tmp_path: Path) -> None:
    a = training_run(tmp_path, "a", [1.0, 0.5])
    b = training_run(tmp_path, "b", [1.0, 0.3])
    page = render_comparison(a, b)
    row = re.search(r"<tr><td>train/loss</td>(.*?)</tr>", page)
    assert row is not None
    assert "0.5" in row.group(1)
    assert "0.3" in row.group(1)
    assert "-0.2" in row.group(1)
    assert "better" in row.group(1)  # lower loss
    assert "Samples side by side" in page


def test_report_refuses_a_folder_that_is_no_run(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="neither an eval output"):
        write_report(tmp_path / "empty")
    with pytest.raises(InputError, match="run folder not found"):
        write_report(tmp_path / "missing")


def test_a_broken_metrics_jsonl_names_its_line(tmp_path: Path) -> None:
    folder = training_run(tmp_path, "broken", [1.0])
    with (folder / "metrics.jsonl").open("a") as handle:
        handle.write('{not json\n{"step": 9, "phase": "val", "loss": 0.1}\n')
    with pytest.raises(InputError, match=r"metrics\.jsonl:3: not a JSON record"):
        load_run(folder)


def test_report_and_compare_read_a_run_killed_mid_write_alike(tmp_path: Path) -> None:
    """One reader: a truncated last line is skipped by both, and both see the same values."""
    from faceswap_core.experiment.compare import compare_runs

    def run(name: str, losses: list[float], tail: str = "") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        records = [
            {"step": step, "phase": phase, "loss": loss + (0.1 if phase == "val" else 0.0)}
            for step, loss in enumerate(losses, start=1)
            for phase in ("train", "val")
        ]
        text = "".join(json.dumps(r) + "\n" for r in records)
        (folder / "metrics.jsonl").write_text(text + tail)
        return folder

    a = run("a", [1.0, 0.5])
    b = run("b", [0.9, 0.4], tail='{"step": 3, "phase": "val", "lo')  # killed mid-write
    view = load_run(b)
    compared = {m.name: m for m in compare_runs(a, b, plot=False).metrics}
    assert sorted(compared) == ["train/loss", "val/loss"]
    for name, row in compared.items():
        assert view.metrics[name]["value"] == row.final_b
    assert view.metrics["val/loss"]["value"] == pytest.approx(0.5)
    assert write_report(b).is_file()  # the page too
