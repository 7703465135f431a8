"""``faceswap eval`` as users and CI run it: the installed script, its JSON line, its exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins

SCRIPT = str(Path(sys.executable).parent / "faceswap")
SMALL = (
    "--set", "eval.cross_pairs=2", "--set", "eval.self_pairs=2",
    "--set", "eval.metrics=[{type: ssim}, {type: psnr}, {type: failures}]",
)  # fmt: skip
"""Pixel metrics only: the contract is the command's, the metrics are tested elsewhere."""


def faceswap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACESWAP_STRICT_PLUGINS": "1", "TORCH_HOME": str(cwd / "torch")}
    return subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd, env=env
    )


CONFIG = Path(__file__).resolve().parents[2] / "configs" / "face_swap" / "eval.yaml"


def test_eval_prints_one_json_line_with_out_and_metrics(tiny_lfw: Path, tmp_path: Path) -> None:
    done = faceswap(
        "eval", "--config", str(CONFIG), "--data", str(tiny_lfw), "-o", "run", "--json", *SMALL,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    *metrics, last = (json.loads(line) for line in done.stdout.strip().splitlines())
    summary = last["summary"]
    assert summary["out"] == "run"
    assert [row["metric"] for row in metrics] == list(summary["metrics"])
    document = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert summary["metrics"] == {k: v["value"] for k, v in document["metrics"].items()}
    assert summary["metrics"]["pairs"] == 4
    assert set(summary["metrics"]) == {"pairs", "ssim", "psnr", "failures"}
    readme = (tmp_path / "run" / "README.md").read_text()
    assert f"faceswap eval --config {CONFIG} --data {tiny_lfw} -o run --set eval.cross" in readme
    assert "name: eval" in (tmp_path / "run" / "config.yaml").read_text()  # the config's


def _perfect_baseline(folder: Path, source: Path) -> Path:
    """A baseline no swap reaches: perfect self-pair reconstructions."""
    document: dict[str, Any] = json.loads((source / "metrics.json").read_text())
    document["metrics"]["ssim"]["value"] = 1.0
    document["metrics"]["psnr"]["value"] = 100.0
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps(document))
    return folder


def test_gate_exits_6_and_names_the_regressed_metrics(
    eval_runs: dict[str, Any], tmp_path: Path
) -> None:
    baseline = _perfect_baseline(tmp_path / "baseline", eval_runs["classic"])
    done = faceswap(
        "eval", "--data", str(eval_runs["data"]), "-o", "run", "--json", *SMALL,
        "--baseline", str(baseline), "--tolerance", "psnr=100",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 6, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: 1 metric regressed against baseline ")
    assert "ssim " in error
    assert "< baseline 1 - tolerance 0" in error
    assert "psnr" not in error  # within its tolerance
    summary = json.loads(done.stdout.strip().splitlines()[-1])["summary"]
    assert summary["gate"]["passed"] is False
    assert summary["gate"]["checked"] == ["failures", "psnr", "ssim"]
    assert (tmp_path / "run" / "report.html").is_file()  # CI keeps the failing run's report


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str) -> Result:
    return CliRunner().invoke(make_cli(plugins), list(args))


def test_the_old_out_still_works_with_a_warning(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    """``--out`` is the old -o/--output: the same refusal, one Warning line before it."""
    (tmp_path / "keep.txt").write_text("mine")
    result = run(plugins, "eval", "--pairs", "x.csv", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "Warning: --out is deprecated; use -o/--output"
    assert "is not empty" in result.stderr.splitlines()[1]
    import faceswap
    from faceswap.errors import ConfigError, FaceswapWarning

    with (
        pytest.warns(FaceswapWarning, match="out= is deprecated; use output="),
        pytest.raises(ConfigError, match="is not empty"),
    ):
        faceswap.evaluate(pairs="x.csv", out=tmp_path)


def test_no_input_is_a_usage_error(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    result = run(plugins, "eval", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "Error: pass exactly one input: --data DIR" in result.stderr
    assert not (tmp_path / "o").exists()  # nothing is created for a bad command


def test_missing_data_folder_is_an_input_error(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    result = run(plugins, "eval", "--data", str(tmp_path / "nope"))
    assert result.exit_code == 3
    assert "data folder not found" in result.stderr


def test_a_non_empty_out_is_never_written_over(
    plugins: FaceswapPlugins, tiny_lfw: Path, tmp_path: Path
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = run(plugins, "eval", "--data", str(tiny_lfw), "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "is not empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_a_missing_model_fails_before_any_output(
    plugins: FaceswapPlugins, tiny_lfw: Path, tmp_path: Path
) -> None:
    result = run(
        plugins, "eval", "--data", str(tiny_lfw), "-o", str(tmp_path / "o"),
        "--model-path", str(tmp_path / "missing.onnx"),
    )  # fmt: skip
    assert result.exit_code == 5, result.output
    assert "missing.onnx" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tolerance", "identity_top1"), "expected METRIC=DELTA"),
        (("--tolerance", "identity_top1=0.1"), "--tolerance needs --baseline"),
        (
            ("--set", "eval.cross_pairs=-1"),
            "eval.cross_pairs: must be between 0 and 1000000, got -1",
        ),
        (("--set", "eval.metrics=[{type: ssimm}]"), "unknown metric 'ssimm'"),
        (("--set", "eval.recognizer={type: dlib, jitters: 2}"), "recognizer.jitters: unknown key"),
        (("--baseline", "/nonexistent/run"), "is not a `faceswap eval` output folder"),
    ],
)
def test_bad_options_are_one_line_errors(
    plugins: FaceswapPlugins, tiny_lfw: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(plugins, "eval", "--data", str(tiny_lfw), "-o", str(tmp_path / "o"), *args)
    assert result.exit_code in (2, 3), result.output
    assert message in result.stderr
    assert "Traceback" not in result.stderr
