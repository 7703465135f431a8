"""One ``Error:`` line means one line, and user errors have their class and code (issue 17).

Walks the cases the issue measured in core (the torch, checkpoint and dataset
cases are in faceswap-unet's tests): library warnings before a failure, an
x264 log line for a bad preset, ``compare`` of an eval run with a training
run (a KeyError, exit 1), a ratings CSV field over the csv module's 128 KB
limit (exit 1), and a legal 250-character output name whose temporary name
was too long (exit 3).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage

import faceswap
from faceswap_core import Register, hookimpl
from faceswap_core.cli.main import make_cli
from faceswap_core.errors import MAX_MESSAGE, ConfigError, InvalidImageError
from faceswap_core.eval.results import write_metrics_csv
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import only_error_line


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(plugins), [str(a) for a in args])


class WarnThenFail:
    """A detector that triggers numpy and Python warnings, then fails like a bad input."""

    class Detector:
        def detect(self, image: Any) -> list[Any]:
            with np.errstate(all="warn"):
                np.log(np.zeros(2))  # RuntimeWarning: divide by zero
            warnings.warn("a library's note to developers", UserWarning, stacklevel=1)
            raise InvalidImageError("the image is unusable")

        def info(self) -> dict[str, Any]:
            return {}

    @hookimpl
    def register_detectors(self, register: Register[object]) -> None:
        register("warner", lambda config, context: WarnThenFail.Detector())


def test_library_warnings_before_an_error_go_to_debug_only(tom_hanks_path: Path) -> None:
    manager = FaceswapPlugins(strict=True)
    manager.register(WarnThenFail(), name="warner")
    args = ["detect", str(tom_hanks_path), "--set", "pipeline.detector=warner"]
    result = run(manager, *args)
    assert result.exit_code == 3
    assert only_error_line(result) == "Error: the image is unusable"
    debug = run(manager, "--debug", *args)
    assert "RuntimeWarning: divide by zero" in debug.output
    assert "a library's note to developers" in debug.output


def test_a_multi_line_message_is_one_line_and_a_huge_one_is_cut(tom_hanks_path: Path) -> None:
    class Loud(WarnThenFail.Detector):
        def detect(self, image: Any) -> list[Any]:
            raise InvalidImageError("first line\nsecond line\n" + "x" * 1_000_000)

    class LoudPlugin:
        @hookimpl
        def register_detectors(self, register: Register[object]) -> None:
            register("loud", lambda config, context: Loud())

    manager = FaceswapPlugins(strict=True)
    manager.register(LoudPlugin(), name="loud")
    result = run(manager, "detect", tom_hanks_path, "--set", "pipeline.detector=loud")
    line = only_error_line(result)
    assert line.startswith("Error: first line second line xxx")
    assert len(line) < MAX_MESSAGE + 100
    assert line.endswith("more characters)")


def test_a_bad_x264_preset_is_refused_before_the_encoder_logs(
    plugins: FaceswapPlugins, tmp_path: Path, tom_hanks_path: Path
) -> None:
    from tests.video.clips import encode

    clip = encode(tmp_path / "clip.mp4", [np.full((64, 64, 3), 90, np.uint8)] * 3)
    out = tmp_path / "out.mp4"
    result = run(plugins, "video", "-s", tom_hanks_path, "-t", clip, "-o", out, "--preset", "bogus")
    assert result.exit_code == 2
    assert only_error_line(result).startswith(
        "Error: unknown --preset 'bogus'; use one of ultrafast"
    )
    with pytest.raises(ConfigError, match="unknown --preset 'bogus'"):
        faceswap.swap_video(clip, tom_hanks_path, out, preset="bogus")
    assert not out.exists()


def test_compare_of_an_eval_run_and_a_training_run_says_why(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    evaluation = tmp_path / "eval"
    evaluation.mkdir()
    write_metrics_csv(evaluation, [{"pair_id": "c00001", "kind": "cross", "status": "ok"}])
    training = tmp_path / "train"
    training.mkdir()
    records = [{"step": s, "phase": "val", "val/ssim": 0.5 + s / 100} for s in (1, 2)]
    (training / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    for pair in ((evaluation, training), (training, evaluation)):
        result = run(plugins, "compare", *pair)
        assert result.exit_code == 3
        line = only_error_line(result)
        assert "is not a training run's metrics" in line
        assert "faceswap report EVAL_A EVAL_B" in line


def test_a_ratings_field_over_128_kb_is_an_input_error(
    plugins: FaceswapPlugins, eval_runs: dict[str, Any], tmp_path: Path
) -> None:
    run_dir = tmp_path / "classic"
    shutil.copytree(eval_runs["classic"], run_dir)
    assert run(plugins, "mos", "export", run_dir, "--n", "2").exit_code == 0
    item = next(iter(json.loads((run_dir / "mos" / "key.json").read_text())["items"]))
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(f"item_id,score,rater\n{item},4,{'r' * 140_000}\n")
    result = run(plugins, "mos", "import", run_dir, ratings)
    assert result.exit_code == 3
    line = only_error_line(result)
    assert line.startswith(f"Error: ratings file {ratings} line 2: field larger than field limit")
    assert len(line) < 400


def test_a_legal_250_character_output_name_works(
    plugins: FaceswapPlugins, tmp_path: Path, tom_hanks_path: Path
) -> None:
    out = tmp_path / ("n" * 246 + ".png")
    assert len(out.name) == 250
    target = tmp_path / "t.png"
    PILImage.fromarray(np.full((48, 48, 3), 90, np.uint8)).save(target)
    result = run(plugins, "swap", "-s", tom_hanks_path, "-t", target, "-o", out)
    assert result.exit_code == 0, result.output
    with PILImage.open(out) as image:
        assert image.size == (48, 48)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, "t.png"])
