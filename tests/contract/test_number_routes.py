"""Every number a user sets has a finite range, checked on every route (issue 17).

On main, ``video --threshold`` was never checked (nan, -1 and 0 swapped nothing
with exit 0; inf and 5 swapped every face), also through
``swap_video(threshold=...)``; ``eval.frames_per_video=999999999`` allocated
7.5 GB; ``train.optimizer.weight_decay=.inf`` trained to NaN with exit 0. The
ranges live in ``config/ranges.py``; the same validator answers for the CLI
option, ``--set`` and the Python keyword.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.config.ranges import MAX_IDENTITY_DISTANCE, check_value, identity_threshold
from faceswap_core.errors import ConfigError
from faceswap_core.plugin.manager import FaceswapPlugins

BAD_THRESHOLDS = ("nan", "-1", "0", "inf", "5")


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def one_error(output: str) -> str:
    (line,) = [line for line in output.splitlines() if line.strip()]
    assert line.startswith("Error: ")
    return line


@pytest.mark.parametrize("value", BAD_THRESHOLDS)
@pytest.mark.parametrize("command", ["swap", "video"])
def test_threshold_option_is_checked(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path, command: str, value: str
) -> None:
    suffix = ".png" if command == "swap" else ".mp4"
    args = [command, "-s", str(tom_hanks_path), "-t", str(tom_hanks_path)]
    args += ["-o", str(tmp_path / f"out{suffix}"), "--reference", str(tom_hanks_path)]
    result = CliRunner().invoke(make_cli(plugins), [*args, "--threshold", value])
    assert result.exit_code == 2, result.output
    assert one_error(result.output).startswith("Error: threshold: must be")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [float(v) for v in BAD_THRESHOLDS])
def test_swap_video_keyword_is_checked_before_anything_runs(
    tom_hanks_path: Path, tmp_path: Path, value: float
) -> None:
    with pytest.raises(ConfigError, match="threshold: must be"):
        faceswap.swap_video(
            tmp_path / "missing.mp4", tom_hanks_path, tmp_path / "o.mp4", threshold=value
        )


@pytest.mark.parametrize("value", [float(v) for v in BAD_THRESHOLDS])
def test_stream_keyword_is_checked(tom_hanks_image: np.ndarray, value: float) -> None:
    frames = iter([tom_hanks_image])
    with pytest.raises(ConfigError, match="threshold: must be"):
        next(faceswap.stream(frames, tom_hanks_image, threshold=value))


@pytest.mark.parametrize("fps", [math.nan, math.inf, 0.0, -25.0, 1e9])
def test_stream_fps_is_checked(tom_hanks_image: np.ndarray, fps: float) -> None:
    with pytest.raises(ConfigError, match="fps: must be"):
        next(faceswap.stream(iter([tom_hanks_image]), tom_hanks_image, fps=fps))


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_the_threshold_range_is_exactly_finite_and_in_0_to_2(value: float) -> None:
    valid = math.isfinite(value) and 0 < value <= MAX_IDENTITY_DISTANCE
    if valid:
        check_value("threshold", value, identity_threshold)
    else:
        with pytest.raises(ConfigError):
            check_value("threshold", value, identity_threshold)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("eval.frames_per_video=999999999", "eval.frames_per_video: must be between 2 and 1000"),
        ("eval.cross_pairs=1000000000", "eval.cross_pairs: must be between 0 and 1000000"),
        ("eval.gallery_rows=100000", "eval.gallery_rows: must be between 1 and 64"),
        ("pipeline.threshold=.nan", "pipeline.threshold: must be a finite number"),
        ("train.optimizer.weight_decay=.inf", "weight_decay: must be a finite number"),
        ("train.optimizer.weight_decay=5.0", "weight_decay: must be between 0.0 and 1.0"),
        ("train.optimizer.lr=1.0e+300", "lr: must be above 0.0 and at most 1.0"),
        ("train.optimizer.discriminator_lr=.inf", "discriminator_lr: must be a finite number"),
        ("train.optimizer.betas=[0.5, 1.0]", "betas[1]: must be in [0.0, 1.0), got 1.0"),
        ("train.scheduler.min_lr=.nan", "min_lr: must be a finite number"),
        ("train.steps=1000000000", "train.steps: must be between 1 and 100000000"),
    ],
)
def test_set_overrides_are_checked_before_a_run_starts(
    plugins: FaceswapPlugins, tmp_path: Path, setting: str, message: str
) -> None:
    """``faceswap train`` validates every section, plugin params too, before any folder exists."""
    work = tmp_path / "run"
    args = ["train", "--config", "smoke", "-o", str(work), "--set", setting]
    result = CliRunner().invoke(make_cli(plugins), args)
    assert result.exit_code == 2, result.output
    assert message in one_error(result.output)
    assert not work.exists()


def test_the_python_keyword_route_is_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="weight_decay: must be a finite number"):
        faceswap.train("smoke", work_dir=tmp_path / "run", train__optimizer__weight_decay=math.inf)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "verify", "--onnx", "x.onnx", "--atol", "nan"], "atol: must be a finite"),
        (["export", "verify", "--onnx", "x.onnx", "--atol", "-1"], "atol: must be at least 0"),
        (["compare", ".", ".", "--tolerance", "inf"], "must be a finite number"),
        (["video", "-s", "a.png", "-t", "b.mp4", "-o", "c.mp4", "--preset", "bogus"], "--preset"),
    ],
)
def test_other_number_and_choice_options(
    plugins: FaceswapPlugins, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(make_cli(plugins), args)
    assert result.exit_code == 2, result.output
    assert message in one_error(result.output)
