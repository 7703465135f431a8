"""Run comparison and metric logs: hand-worked deltas, directions, regressions, CSV, plots."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment.compare import (
    RegressionError,
    check_regressions,
    compare_runs,
    higher_is_better,
)
from faceswap_core.experiment.metrics import MetricsLog, read_metrics, records_to_csv, series


def make_run(
    folder: Path, records: list[dict[str, Any]], declared: dict[str, bool] | None = None
) -> Path:
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    if declared is not None:
        (folder / "metrics.json").write_text(json.dumps({"higher_is_better": declared}))
    return folder


RUN_A = [
    {"step": 0, "phase": "val", "ssim": 0.40, "loss_reconstruction": 0.30},
    {"step": 10, "phase": "train", "loss_total": 1.0},
    {"step": 10, "phase": "val", "ssim": 0.80, "loss_reconstruction": 0.10},
    {"step": 20, "phase": "train", "loss_total": 0.5},
    {"step": 20, "phase": "val", "ssim": 0.70, "loss_reconstruction": 0.12},
]
RUN_B = [
    {"step": 10, "phase": "train", "loss_total": 0.9},
    {"step": 10, "phase": "val", "ssim": 0.60, "loss_reconstruction": 0.20},
    {"step": 20, "phase": "train", "loss_total": 0.4},
    {"step": 20, "phase": "val", "ssim": 0.65, "loss_reconstruction": 0.15},
]


def test_final_and_best_deltas(tmp_path: Path) -> None:
    a, b = make_run(tmp_path / "a", RUN_A), make_run(tmp_path / "b", RUN_B)
    report = compare_runs(a, b)
    rows = {m.name: m for m in report.metrics}
    assert sorted(rows) == ["train/loss_total", "val/loss_reconstruction", "val/ssim"]
    ssim = rows["val/ssim"]
    assert (ssim.final_a, ssim.final_b, ssim.best_a, ssim.best_b) == (0.70, 0.65, 0.80, 0.65)
    assert ssim.delta == pytest.approx(-0.05)
    assert ssim.best_delta == pytest.approx(-0.15)
    loss = rows["val/loss_reconstruction"]
    assert (loss.best_a, loss.best_b) == (0.10, 0.15)  # lower is better: the minimum
    assert loss.worsening() == pytest.approx(0.03)
    assert rows["train/loss_total"].worsening() == pytest.approx(-0.1)  # B improved
    assert report.plot == b / "compare-a.png"
    assert report.plot.stat().st_size > 1000
    assert (
        json.loads((b / "compare-a.json").read_text())["metrics"][0]["name"] == "train/loss_total"
    )


def test_regressions_beyond_the_tolerance(tmp_path: Path) -> None:
    a, b = make_run(tmp_path / "a", RUN_A), make_run(tmp_path / "b", RUN_B)
    report = compare_runs(a, b, fail_on_regression=0.04)
    assert [m.name for m in report.regressions] == ["val/ssim"]  # 0.05 worse; the loss only 0.03
    with pytest.raises(
        RegressionError, match=r"val/ssim 0\.7 -> 0\.65 \(higher is better\)"
    ) as caught:
        check_regressions(report)
    assert caught.value.exit_code == 6
    check_regressions(compare_runs(a, b, fail_on_regression=0.06))


def test_declared_directions_win_over_names(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", RUN_A, declared={"val/ssim": False})
    b = make_run(tmp_path / "b", RUN_B)
    rows = {m.name: m for m in compare_runs(a, b, plot=False).metrics}
    assert rows["val/ssim"].higher_is_better is False
    assert rows["val/ssim"].best_a == 0.40


@pytest.mark.parametrize(
    ("name", "up"),
    [("val/ssim", True), ("val/psnr", True), ("val/lpips", False), ("train/loss_total", False),
     ("val/identity_cosine", True), ("val/id_retrieval_top1", True), ("latency_ms", False)],
)  # fmt: skip
def test_direction_from_the_name(name: str, up: bool) -> None:
    assert higher_is_better(name) is up


def test_metric_selection_and_errors(tmp_path: Path) -> None:
    a, b = make_run(tmp_path / "a", RUN_A), make_run(tmp_path / "b", RUN_B)
    assert [m.name for m in compare_runs(a, b, metrics=["ssim"], plot=False).metrics] == [
        "val/ssim"
    ]
    with pytest.raises(ConfigError, match="no metric named fid"):
        compare_runs(a, b, metrics=["fid"], plot=False)
    with pytest.raises(InputError, match="not a run folder"):
        compare_runs(a, tmp_path, plot=False)
    with pytest.raises(ConfigError, match="fail_on_regression: must be at least 0"):
        compare_runs(a, b, fail_on_regression=-1.0)


def test_cli_compare_exit_codes(tmp_path: Path, faceswap_cli: Callable[..., Any]) -> None:
    a, b = make_run(tmp_path / "a", RUN_A), make_run(tmp_path / "b", RUN_B)
    ok = faceswap_cli("compare", str(a), str(b), "--metric", "loss_total")
    assert ok.exit_code == 0, ok.output
    assert "train/loss_total" in ok.stdout
    assert "compare-a.png" in ok.stdout
    failed = faceswap_cli("compare", str(a), str(b), "--fail-on-regression", "0.01", "--json")
    assert failed.exit_code == 6
    assert json.loads(failed.stdout)["regressions"] == ["val/loss_reconstruction", "val/ssim"]
    assert failed.stderr.startswith("Error: 2 metric(s) regressed beyond 0.01")


def test_metrics_log_appends_truncates_and_writes_csv(tmp_path: Path) -> None:
    log = MetricsLog(tmp_path / "metrics.jsonl", tmp_path / "metrics.csv")
    log.append(1, "train", {"loss": 0.5, "lr": 1e-3, "note": "x", "bad": float("nan")})
    log.append(2, "train", {"loss": 0.25})
    log.append(2, "val", {"ssim": 0.9})
    log.write_csv()
    assert (tmp_path / "metrics.csv").read_text().splitlines() == [
        "step,phase,bad,loss,lr,note,ssim",
        "1,train,,0.5,0.001,x,",
        "2,train,,0.25,,,",
        "2,val,,,,,0.9",
    ]
    assert read_metrics(tmp_path / "metrics.jsonl")[0]["bad"] is None
    assert series(read_metrics(tmp_path / "metrics.csv"))["train/loss"] == [(1, 0.5), (2, 0.25)]
    reopened = MetricsLog(tmp_path / "metrics.jsonl", tmp_path / "metrics.csv")
    reopened.truncate_after(1)
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1]
    with (tmp_path / "metrics.jsonl").open("a") as handle:
        handle.write('{"step": 3, "pha')  # a crash mid-line
    assert len(read_metrics(tmp_path / "metrics.jsonl")) == 1


@given(
    st.lists(
        st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(-1e6, 1e6), max_size=3),
        max_size=6,
    )
)
def test_csv_round_trips_the_numbers(rows: list[dict[str, float]]) -> None:
    records = [{"step": i, "phase": "train", **row} for i, row in enumerate(rows)]
    import csv
    import io

    parsed = list(csv.DictReader(io.StringIO(records_to_csv(records))))
    for record, row in zip(records, parsed, strict=True):
        for key, value in record.items():
            if key not in ("step", "phase"):
                assert float(row[key]) == value
