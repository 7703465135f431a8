"""A full disk is exit code 3 with one line, and nothing half-made is left (issue 17).

Each output goes to a real small tmpfs (``small_disk``, mounted by the test;
skipped where mounting needs a root the test does not have), so the kernel
itself answers ENOSPC. On main ``report -o`` and ``eval`` were exit 1 "this is
a bug", and ``eval`` left a run folder that a rerun with the same ``--out``
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import remount_tmpfs

SmallDisk = Callable[[str], Path]
FAST_EVAL = ["--set", "eval.metrics=[{type: ssim}, {type: psnr}]"]


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(plugins), [str(a) for a in args])


def disk_full_line(result: Result) -> str:
    assert result.exit_code == 3, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith("Error: cannot write ")
    assert "No space left on device; free some space or choose another place" in line
    return line


def test_swap_on_a_full_disk(
    plugins: FaceswapPlugins, small_disk: SmallDisk, tom_hanks_path: Path
) -> None:
    disk = small_disk("4k")  # the swapped face is a 12 KB PNG
    result = run(plugins, "swap", "-s", tom_hanks_path, "-t", tom_hanks_path, "-o", disk / "o.png")
    disk_full_line(result)
    assert list(disk.iterdir()) == []


def test_video_on_a_full_disk(
    plugins: FaceswapPlugins,
    small_disk: SmallDisk,
    tmp_path: Path,
    tom_hanks_path: Path,
    astronaut_image: np.ndarray,
) -> None:
    from tests.video.clips import encode

    noise = np.random.default_rng(0).integers(0, 255, (96, 96, 3), dtype=np.uint8)
    clip = encode(tmp_path / "clip.mp4", [noise, astronaut_image[:96, :96], noise, noise])
    disk = small_disk("8k")
    result = run(plugins, "video", "-s", tom_hanks_path, "-t", clip, "-o", disk / "out.mp4")
    disk_full_line(result)
    assert list(disk.iterdir()) == []


def test_report_on_a_full_disk(
    plugins: FaceswapPlugins, small_disk: SmallDisk, tmp_path: Path, tom_hanks_path: Path
) -> None:
    target = tmp_path / "face.png"
    PILImage.open(tom_hanks_path).save(target)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"source,target\n{tom_hanks_path},{target}\n")
    done = run(plugins, "eval", "--pairs", pairs, "-o", tmp_path / "ev", *FAST_EVAL)
    assert done.exit_code == 0, done.output
    disk = small_disk("16k")  # report.html is about 170 KB
    disk_full_line(run(plugins, "report", tmp_path / "ev", "-o", disk / "r.html"))
    assert list(disk.iterdir()) == []


def test_eval_on_a_full_disk_leaves_nothing_and_the_same_out_works_later(
    plugins: FaceswapPlugins, small_disk: SmallDisk, tmp_path: Path, tom_hanks_path: Path
) -> None:
    target = tmp_path / "face.png"
    PILImage.open(tom_hanks_path).save(target)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"source,target\n{tom_hanks_path},{target}\n{target},{tom_hanks_path}\n")
    disk = small_disk("64k")  # the run files fit; the plots, contact sheets and report do not
    out = disk / "ev"
    disk_full_line(run(plugins, "eval", "--pairs", pairs, "-o", out, *FAST_EVAL))
    assert list(disk.iterdir()) == []  # no run folder, not even a hidden half-made one
    remount_tmpfs(disk, "8m")
    again = run(plugins, "eval", "--pairs", pairs, "-o", out, *FAST_EVAL)
    assert again.exit_code == 0, again.output
    assert (out / "metrics.json").is_file()
    assert (out / "report.html").is_file()
    assert sorted(p.name for p in disk.iterdir()) == ["ev"]


def test_detect_draw_on_a_full_disk(
    plugins: FaceswapPlugins, small_disk: SmallDisk, t1_path: Path
) -> None:
    disk = small_disk("8k")
    disk_full_line(run(plugins, "detect", t1_path, "-o", disk / "faces.png"))
    assert list(disk.iterdir()) == []


def test_a_previous_output_survives_a_full_disk(
    plugins: FaceswapPlugins, small_disk: SmallDisk, tom_hanks_path: Path
) -> None:
    disk = small_disk("8k")
    previous = disk / "out.png"
    previous.write_bytes(b"the user's previous result")
    result = run(
        plugins, "swap", "-s", tom_hanks_path, "-t", tom_hanks_path, "-o", previous, "--overwrite"
    )
    disk_full_line(result)
    assert previous.read_bytes() == b"the user's previous result"
    assert [p.name for p in disk.iterdir()] == ["out.png"]
