"""``faceswap bench --video``: a tiny real run through the CLI, its JSON record and table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from faceswap_core.cli.main import make_cli
from faceswap_core.errors import ConfigError
from faceswap_core.pipeline.video import VIDEO_STAGES
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.tools.video_bench import VideoBenchOptions


def test_tiny_video_bench_record(tmp_path: Path) -> None:
    output = tmp_path / "video.json"
    result = CliRunner().invoke(
        make_cli(FaceswapPlugins(strict=True)),
        [
            "bench",
            "--video",
            "--size",
            "256x144",
            "--frames",
            "12",
            "--json",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    *items, last = (json.loads(line) for line in result.stdout.splitlines())
    record = last["summary"]
    assert [item["path"] for item in items] == ["video", "video", "stream"]
    assert json.loads(output.read_text()) == record
    assert (record["kind"], record["size"], record["frames"], record["fps_in"]) == (
        "video", "256x144", 12, 25,
    )  # fmt: skip
    assert [run["detect_every"] for run in record["runs"]] == [1, 5]
    for run in record["runs"]:
        assert run["fps"] > 0
        assert run["frames_swapped"] == 12, "the bench clip's face was not swapped in every frame"
        assert set(run["stages_mean"]) <= set(VIDEO_STAGES)
        assert {"decode", "detect", "swap", "paste", "encode"} <= set(run["stages_mean"])
    # Detecting every 5th frame runs the detector on frames 0, 5 and 10 only.
    every1, every5 = record["runs"]
    assert every5["stages_mean"]["detect"] < every1["stages_mean"]["detect"]
    assert record["stream"]["fps"] > 0
    assert record["stream"]["frames_swapped"] == 12
    assert record["codec"] == "libx264"
    assert record["versions"]["faceswap-core"]


def test_the_video_bench_honours_its_options(tmp_path: Path) -> None:
    """--detect-every, --faces, --runtime/--providers, --set reach the video path."""
    result = CliRunner().invoke(
        make_cli(FaceswapPlugins(strict=True)),
        [
            "bench", "--video", "--size", "256x144", "--frames", "10", "--detect-every", "2",
            "--faces", "2", "--runtime", "onnxruntime", "--providers", "cpu",
            "--set", "pipeline.faces=largest", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert [run["detect_every"] for run in record["runs"]] == [2]
    assert record["stream"]["detect_every"] == 2
    assert record["faces"] == 2
    assert record["runtime"]["runtime"] == "onnxruntime"
    assert record["runtime"]["active"] == ["CPUExecutionProvider"]
    assert record["fps"] == record["stream"]["fps"]
    assert record["runs"][0]["frames_swapped"] == 10


def test_the_jetson_profile_gives_a_verdict_for_video_too(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        make_cli(FaceswapPlugins(strict=True)),
        ["bench", "--video", "--profile", "jetson", "--frames", "10", "--detect-every", "5"],
    )
    assert result.exit_code == 0, result.output
    assert "profile jetson:" in result.stdout
    verdicts = [line.split()[0] for line in result.stdout.splitlines() if ": target " in line]
    assert len(verdicts) == 3  # runtime, fps, gpu_memory: each PASS, FAIL or NOT
    assert "faceswap bench --video 1280x720" in result.stdout  # the profile's frame size


def test_video_bench_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        make_cli(FaceswapPlugins(strict=True)),
        ["bench", "--video", "--size", "192x108", "--frames", "10"],
    )
    assert result.exit_code == 0, result.output
    assert "every 5" in result.output
    assert "stream" in result.output
    assert "FPS" in result.output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"frames": 3}, "frames"),
        ({"detect_every": (0,)}, "detect-every"),
        ({"width": 8}, "out of range"),
    ],
)
def test_video_bench_options_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VideoBenchOptions(**options)  # type: ignore[arg-type]
