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

DECLARED = {"val/ssim": True, "val/loss_reconstruction": False, "train/loss_total": False}
"""Directions as a training run's metrics.json declares them."""


def make_run(
    folder: Path, records: list[dict[str, Any]], declared: dict[str, bool] | None = DECLARED
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


def test_directions_come_only_from_the_runs_declarations(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", RUN_A, declared={"val/ssim": False})
    b = make_run(tmp_path / "b", RUN_B, declared=None)
    rows = {m.name: m for m in compare_runs(a, b, plot=False).metrics}
    assert rows["val/ssim"].higher_is_better is False
    assert rows["val/ssim"].best_a == 0.40
    loss = rows["val/loss_reconstruction"]  # declared by neither run: shown, never gated
    assert (loss.higher_is_better, loss.best_a, loss.gated, loss.worsening()) == (
        None, None, False, None,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["train/lr", "train/loss_d", "val/ssim", "latency_ms"])
def test_no_direction_is_guessed_from_a_name(name: str) -> None:
    assert higher_is_better(name) is None
    assert higher_is_better(name, {"val/ssim": True}) is (True if name == "val/ssim" else None)


GAN_A = [
    {"step": 10, "phase": "train", "loss_total": 1.0, "loss_d": 0.5, "lr": 0.002},
    {"step": 10, "phase": "val", "ssim": 0.60, "id_retrieval_top1": 0.10, "psnr": 20.0},
]
GAN_B = [
    {"step": 10, "phase": "train", "loss_total": 1.2, "loss_d": 0.9, "lr": 0.001},
    {"step": 10, "phase": "val", "ssim": 0.70, "id_retrieval_top1": 0.20, "psnr": 22.0},
]
OLD_TRAINER = {
    "val/ssim": True,
    "val/psnr": True,
    "val/id_retrieval_top1": True,
    "train/loss_total": False,
    "train/loss_d": False,  # what runs declared before: a discriminator loss "going down"
}


def test_a_run_whose_validation_metrics_all_improved_passes_the_gate(
    tmp_path: Path, faceswap_cli: Callable[..., Any]
) -> None:
    """The discriminator's loss, the generator's total loss and the lr moving is no regression."""
    a = make_run(tmp_path / "a", GAN_A, declared=OLD_TRAINER)
    b = make_run(tmp_path / "b", GAN_B, declared=OLD_TRAINER)
    done = faceswap_cli("compare", str(b), "--baseline", str(a), "--json")
    assert done.exit_code == 0, done.output
    *items, last = (json.loads(line) for line in done.stdout.splitlines())
    report = last["summary"]
    assert report["gated"] == ["val/id_retrieval_top1", "val/psnr", "val/ssim"]
    assert report["regressions"] == []
    assert report["gate"]["passed"] is True
    rows = {row["name"]: row for row in items}
    assert rows["train/lr"]["higher_is_better"] is None
    # asked for by name, a training loss with a declared direction is gated
    gate = ("--tolerance", "0")
    chosen = faceswap_cli("compare", str(a), str(b), "--metric", "loss_total", *gate)
    assert chosen.exit_code == 6
    assert "train/loss_total 1 -> 1.2 (lower is better)" in chosen.stderr
    # a metric without a direction cannot be gated
    undirected = faceswap_cli("compare", str(a), str(b), "--metric", "lr", *gate)
    assert undirected.exit_code == 2
    assert "cannot gate train/lr: no declared direction" in undirected.stderr


def test_a_gate_with_nothing_to_gate_is_refused(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", GAN_A, declared=None)
    b = make_run(tmp_path / "b", GAN_B, declared=None)
    with pytest.raises(InputError, match="nothing to gate"):
        compare_runs(a, b, fail_on_regression=0.0, plot=False)


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
    failed = faceswap_cli("compare", str(a), str(b), "--tolerance", "0.01", "--json")
    assert failed.exit_code == 6
    summary = json.loads(failed.stdout.splitlines()[-1])["summary"]
    assert summary["regressions"] == ["val/loss_reconstruction", "val/ssim"]
    assert failed.stderr.startswith("Error: 2 metric(s) regressed beyond 0.01")
    # per metric: the reconstruction loss may worsen by 0.1, ssim by nothing
    mixed = faceswap_cli(
        "compare", str(a), str(b), "--tolerance", "val/loss_reconstruction=0.1", "--json"
    )
    assert mixed.exit_code == 6
    assert json.loads(mixed.stdout.splitlines()[-1])["summary"]["regressions"] == ["val/ssim"]
    # one run and --baseline: the same comparison, gated with zero slack
    against = faceswap_cli("compare", str(b), "--baseline", str(a))
    assert against.exit_code == 6
    assert "val/ssim 0.7 -> 0.65" in against.stderr


def test_the_old_gate_spelling_still_works_and_warns(
    tmp_path: Path, faceswap_cli: Callable[..., Any]
) -> None:
    a, b = make_run(tmp_path / "a", RUN_A), make_run(tmp_path / "b", RUN_B)
    old = faceswap_cli("compare", str(a), str(b), "--fail-on-regression", "0.01")
    assert old.exit_code == 6
    assert old.stderr.splitlines()[0] == (
        "Warning: --fail-on-regression is deprecated; use --tolerance"
    )
    assert old.stderr.splitlines()[1].startswith("Error: 2 metric(s) regressed beyond 0.01")
    import faceswap
    from faceswap.errors import FaceswapWarning

    with pytest.warns(FaceswapWarning, match="fail_on_regression= is deprecated; use tolerance="):
        report = faceswap.compare(a, b, fail_on_regression=0.06)
    assert report.regressions == []


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
