"""``faceswap report``: one run's report.html, and two runs compared (installed script)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins

SCRIPT = str(Path(sys.executable).parent / "faceswap")


def faceswap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=120, check=False)


def test_report_regenerates_a_runs_page(eval_runs: dict[str, Any], tmp_path: Path) -> None:
    run = tmp_path / "classic"
    shutil.copytree(eval_runs["classic"], run)
    (run / "report.html").unlink()
    done = faceswap("report", str(run), "--json")
    assert done.returncode == 0, done.stderr
    item, summary = (json.loads(line) for line in done.stdout.splitlines())
    assert item == {"report": str(run / "report.html")}
    assert summary == {"summary": {"reports": 1, "report": str(run / "report.html")}}
    page = (run / "report.html").read_text()
    assert re.search(r"<tr><td>identity_top1</td><td class='num'>[0-9.]+</td>", page)
    assert page.count('src="data:image/') == len(list((run / "plots").glob("*.png"))) + 3


def test_report_of_two_runs_compares_the_same_pairs(
    eval_runs: dict[str, Any], tmp_path: Path
) -> None:
    output = tmp_path / "compare.html"
    done = faceswap(
        "report", str(eval_runs["classic"]), str(eval_runs["unchanged"]), "-o", str(output)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"report: {output}"
    page = output.read_text()
    row = re.search(r"<tr><td>identity_top1</td>(.*?)</tr>", page)
    assert row is not None
    assert "worse" in row.group(1)
    row = re.search(r"<tr><td>pose_error_deg</td>(.*?)</tr>", page)
    assert row is not None
    assert "better" in row.group(1)
    assert "Same pairs side by side" in page
    assert re.search(r"<figcaption>c0000\d</figcaption>", page)


def test_report_of_a_folder_that_is_no_run_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["report", str(tmp_path)])
    assert result.exit_code == 3
    assert "is neither an eval output" in result.stderr


def test_comparing_an_eval_with_a_training_run_is_refused(
    eval_runs: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\n')
    result = CliRunner().invoke(
        make_cli(FaceswapPlugins(strict=True)), ["report", str(eval_runs["classic"]), str(tmp_path)]
    )
    assert result.exit_code == 3
    assert f"cannot compare the eval output {eval_runs['classic']} with the training run" in (
        result.stderr
    )
