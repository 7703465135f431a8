"""``faceswap eval`` end to end on a tiny dataset of real faces.

``classic`` is evaluated through the CLI and an unchanged-target baseline
(a swapper registered by the tests) through ``faceswap.evaluate``, gated
against classic. The baseline gives answers known without running anything:
its result is the target, so pose and expression errors are exactly zero,
self-pair reconstructions are perfect, and the swapped face is still the
target person, so the source identity is never retrieved first.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from faceswap_core.eval.results import SCHEMA

NAMES = (
    "identity_top1",
    "identity_top5",
    "identity_cos_source",
    "identity_cos_target",
    "pose_error_deg",
    "expression_error",
    "ssim",
    "psnr",
    "lpips",
    "fps",
    "pairs",
    "failures",
)


def _document(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "metrics.json").read_text())


def test_classic_eval_writes_every_output(eval_runs: dict[str, Any]) -> None:
    assert eval_runs["cli"].exit_code == 0, eval_runs["cli"].output
    folder: Path = eval_runs["classic"]
    for name in ("metrics.json", "metrics.csv", "report.html", "config.yaml", "env.json"):
        assert (folder / name).is_file(), name
    for group in ("best", "median", "worst"):
        with PILImage.open(folder / "gallery" / f"{group}.jpg") as grid:
            assert grid.width == 3 * 128 + 2 * 4  # source | target | result
    plots = {p.name for p in (folder / "plots").glob("*.png")}
    assert {"identity_cos_source.png", "pose_error_deg.png", "identity_scatter.png"} <= plots
    assert {"ssim.png", "psnr.png"} <= plots
    rows = list(csv.DictReader((folder / "metrics.csv").open()))
    assert len(rows) == 12
    assert {row["kind"] for row in rows} == {"cross", "self"}
    assert all(row["status"] == "ok" for row in rows)


def test_metrics_json_defines_every_number(eval_runs: dict[str, Any]) -> None:
    document = _document(eval_runs["classic"])
    assert document["schema"] == SCHEMA
    assert set(NAMES) <= set(document["metrics"])
    for name in NAMES:
        entry = document["metrics"][name]
        assert entry["definition"], name
        if name != "lpips":
            assert isinstance(entry["value"], float), name
            assert entry["unit"], name
    assert document["recognizer"]["name"] == "dlib"  # no ArcFace pack on this machine
    assert document["recognizer"]["chosen"].startswith("default: ArcFace unavailable (")
    dataset = document["dataset"]
    assert dataset["kind"] == "lfw"
    assert dataset["identities"] == 8
    assert dataset["images"] == 24
    assert len(dataset["manifest_sha256"]) == 64
    assert document["pairs"]["cross"] == 8
    assert document["pairs"]["self"] == 4


def test_cli_json_line_has_out_and_metrics(eval_runs: dict[str, Any]) -> None:
    summary = eval_runs["cli_json"]
    assert summary["out"] == str(eval_runs["classic"])
    assert summary["metrics"] == {
        name: entry["value"] for name, entry in _document(eval_runs["classic"])["metrics"].items()
    }


def test_lpips_without_backbone_weights_is_unavailable_with_the_reason(
    eval_runs: dict[str, Any],
) -> None:
    entry = _document(eval_runs["classic"])["metrics"]["lpips"]
    assert entry["value"] is None
    assert "alexnet-owt-7be5be79.pth" in entry["unavailable"]


def test_classic_moves_identity_more_than_the_unchanged_baseline(
    eval_runs: dict[str, Any],
) -> None:
    classic = _document(eval_runs["classic"])["metrics"]
    unchanged = _document(eval_runs["unchanged"])["metrics"]
    print(
        "identity_top1 classic", classic["identity_top1"]["value"],
        "unchanged", unchanged["identity_top1"]["value"],
    )  # fmt: skip
    assert classic["identity_top1"]["value"] > unchanged["identity_top1"]["value"]
    assert classic["identity_cos_source"]["value"] > unchanged["identity_cos_source"]["value"]
    # the unchanged result is the target itself
    assert unchanged["identity_cos_target"]["value"] == pytest.approx(1.0, abs=1e-6)
    assert unchanged["identity_top1"]["value"] == 0.0


def test_unchanged_baseline_keeps_pose_and_expression_exactly(eval_runs: dict[str, Any]) -> None:
    metrics = _document(eval_runs["unchanged"])["metrics"]
    assert metrics["pose_error_deg"]["count"] == 8
    assert metrics["pose_error_deg"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert metrics["expression_error"]["value"] == pytest.approx(0.0, abs=1e-9)
    assert metrics["ssim"]["value"] == pytest.approx(1.0)
    assert metrics["psnr"]["value"] == 100.0  # identical crops: the cap
    classic = _document(eval_runs["classic"])["metrics"]
    assert classic["pose_error_deg"]["value"] > 0.1


def test_gate_fails_the_worse_run_and_names_the_regressed_metrics(
    eval_runs: dict[str, Any],
) -> None:
    error = eval_runs["gate_error"]
    assert error is not None, "the unchanged baseline passed the gate against classic"
    assert error.exit_code == 6
    assert any(line.startswith("identity_top1 ") for line in error.regressions)
    document = _document(eval_runs["unchanged"])  # outputs are written before the gate fails
    assert document["gate"]["passed"] is False
    regressed = {item["metric"] for item in document["gate"]["regressions"]}
    assert "identity_top1" in regressed
    assert "pose_error_deg" not in regressed  # better than classic, not a regression
    assert (eval_runs["unchanged"] / "report.html").is_file()


def test_strips_show_source_target_and_result(eval_runs: dict[str, Any]) -> None:
    """The unchanged baseline's result third of every strip is its target third."""
    for strip_path in sorted((eval_runs["unchanged"] / "gallery" / "pairs").glob("c*.jpg"))[:4]:
        strip = np.asarray(PILImage.open(strip_path).convert("RGB"), dtype=np.int16)
        source, target, result = strip[:, :128], strip[:, 132:260], strip[:, 264:392]
        jpeg_noise = np.abs(target - result).mean()
        assert jpeg_noise < 5.0
        assert np.abs(source - result).mean() > 4 * jpeg_noise
