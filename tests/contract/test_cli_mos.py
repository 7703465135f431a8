"""``faceswap mos export`` and ``import``: a blind sheet out, validated ratings in."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins

SCRIPT = str(Path(sys.executable).parent / "faceswap")


def faceswap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=120, check=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), list(args))


@pytest.fixture
def runs(eval_runs: dict[str, Any], tmp_path: Path) -> tuple[Path, Path]:
    """Copies of the two eval folders (export writes into the first)."""
    classic, unchanged = tmp_path / "classic", tmp_path / "unchanged"
    shutil.copytree(eval_runs["classic"], classic)
    shutil.copytree(eval_runs["unchanged"], unchanged)
    return classic, unchanged


def test_export_then_import_records_mos_per_method(runs: tuple[Path, Path]) -> None:
    classic, unchanged = runs
    done = faceswap(
        "mos", "export", str(classic), "--n", "5", "--compare", str(unchanged), "--json"
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()  # JSON Lines: the summary of what was written
    sheet = json.loads(line)["summary"]
    assert (sheet["items"], sheet["pairs"], sheet["methods"]) == (10, 5, ["classic", "unchanged"])
    key = json.loads((classic / "mos" / "key.json").read_text())
    rows = list(csv.DictReader((classic / "mos" / "sheet.csv").open()))
    assert [row["item_id"] for row in rows] == list(key["items"])
    assert {row["score"] for row in rows} == {""}
    page = (classic / "mos" / "rating.html").read_text()
    # blind: the sheet and the page never name a method or a pair
    for text in (page, (classic / "mos" / "sheet.csv").read_text()):
        assert "classic" not in text
        assert "unchanged" not in text
        assert not re.search(r"\b[cs]0000\d\b", text)
    assert page.count('src="data:image/jpeg;base64,') == 10
    # two raters: classic gets 4 and 5 (MOS 4.5), unchanged 1 and 2 (MOS 1.5)
    lines = ["item_id,score,rater"]
    for item, meta in key["items"].items():
        scores = (4, 5) if meta["method"] == "classic" else (1, 2)
        lines += [f"{item},{scores[0]},r1", f"{item},{scores[1]},r2"]
    ratings = classic / "ratings.csv"
    ratings.write_text("\n".join(lines) + "\n")
    done = faceswap("mos", "import", str(classic), str(ratings), "--json")
    assert done.returncode == 0, done.stderr
    *methods, summary = (json.loads(line) for line in done.stdout.splitlines())
    assert [row["method"] for row in methods] == ["classic", "unchanged"]
    assert summary["summary"]["methods"]["classic"]["mos"] == 4.5
    mos = json.loads((classic / "metrics.json").read_text())["mos"]
    assert mos["raters"] == 2
    assert mos["ratings"] == 20
    classic_mos = mos["methods"]["classic"]
    # ten scores, five 4s and five 5s: mean 4.5, sd sqrt(25/90) = 0.527, t(0.975, 9) = 2.262
    assert classic_mos["mos"] == 4.5
    assert classic_mos["ci95"] == pytest.approx([4.5 - 0.3771, 4.5 + 0.3771], abs=1e-3)
    assert mos["methods"]["unchanged"]["mos"] == 1.5
    metrics = json.loads((classic / "metrics.json").read_text())["metrics"]
    assert metrics["mos"]["value"] == 4.5
    assert 'id="mos"' in (classic / "report.html").read_text()


def test_export_never_replaces_a_sheet_without_overwrite(runs: tuple[Path, Path]) -> None:
    classic, _ = runs
    assert run("mos", "export", str(classic), "--n", "3").exit_code == 0
    key = (classic / "mos" / "key.json").read_text()
    again = run("mos", "export", str(classic), "--n", "3")
    assert again.exit_code == 2
    assert "pass --overwrite" in again.stderr
    assert (classic / "mos" / "key.json").read_text() == key
    replaced = run("mos", "export", str(classic), "--n", "3", "--seed", "4", "--overwrite")
    assert replaced.exit_code == 0
    assert (classic / "mos" / "key.json").read_text() != key
    key = (classic / "mos" / "key.json").read_text()
    old = run("mos", "export", str(classic), "--n", "3", "--seed", "5", "--force")
    assert old.exit_code == 0
    assert old.stderr.splitlines()[0] == "Warning: --force is deprecated; use --overwrite"
    assert (classic / "mos" / "key.json").read_text() != key


def test_import_refuses_bad_ratings_with_the_line(runs: tuple[Path, Path]) -> None:
    classic, _ = runs
    assert run("mos", "export", str(classic), "--n", "2").exit_code == 0
    item = next(iter(json.loads((classic / "mos" / "key.json").read_text())["items"]))
    before = (classic / "metrics.json").read_text()
    for text, message in (
        (f"item_id,score\n{item},9\n", "line 2: score 9 is out of range; scores are 1-5"),
        ("item_id,score\nnot-an-item,3\n", "line 2: unknown item_id 'not-an-item'"),
        (f"item_id,score\n{item},3\n{item},4\n", "line 3: duplicate rating of item"),
    ):
        (classic / "ratings.csv").write_text(text)
        result = run("mos", "import", str(classic), str(classic / "ratings.csv"))
        assert result.exit_code == 3, result.output
        assert message in result.stderr
    assert (classic / "metrics.json").read_text() == before  # nothing recorded


def test_import_before_export_says_what_to_do(runs: tuple[Path, Path]) -> None:
    classic, _ = runs
    (classic / "ratings.csv").write_text("item_id,score\n")
    result = run("mos", "import", str(classic), str(classic / "ratings.csv"))
    assert result.exit_code == 3
    assert "run `faceswap mos export` first" in result.stderr


def test_import_prints_mos_per_method(runs: tuple[Path, Path]) -> None:
    classic, _ = runs
    assert run("mos", "export", str(classic), "--n", "2").exit_code == 0
    items = json.loads((classic / "mos" / "key.json").read_text())["items"]
    (classic / "ratings.csv").write_text(
        "item_id,score\n" + "".join(f"{item},4\n" for item in items)
    )
    result = run("mos", "import", str(classic), str(classic / "ratings.csv"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "classic: MOS 4.00 95% CI [4.00, 4.00], 2 ratings\n"
