"""``faceswap bench``: a tiny real run through the CLI, the JSON schema, the frame it builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.cli.main import make_cli
from faceswap_core.errors import ConfigError
from faceswap_core.interfaces.face import Image
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.tools.bench import STAGES, BenchOptions, make_frame, parse_size, percentiles
from faceswap_core.tools.bench_compare import REFERENCE_NAME
from faceswap_core.vision.crop import crop_around


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str) -> Result:
    return CliRunner().invoke(make_cli(plugins), ["bench", *args])


@pytest.fixture(scope="module")
def tiny_run(
    plugins: FaceswapPlugins, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Result, Path]:
    """One real bench run shared by the schema tests (it costs a few seconds)."""
    output = tmp_path_factory.mktemp("bench") / "out" / "bench.json"
    result = run(
        plugins, "--size", "320x240", "--repeat", "2", "--warmup", "1", "--json",
        "--output", str(output),
    )  # fmt: skip
    return result, output


def _assert_timing(row: dict[str, Any], where: str) -> None:
    assert set(row) >= {"p50_ms", "p95_ms"}, where
    for key, value in row.items():
        assert isinstance(value, float), (where, key)
        assert value >= 0, (where, key)
    assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"], where


def test_tiny_bench_json_schema(tiny_run: tuple[Result, Path]) -> None:
    result, _ = tiny_run
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert list(record["stages"]) == list(STAGES)
    for stage, row in record["stages"].items():
        _assert_timing(row, stage)
    for stage in ("decode", "detect", "swap", "paste", "encode"):
        assert record["stages"][stage]["p50_ms"] > 0, stage
    _assert_timing(record["total"], "total")
    assert record["total"]["p50_ms"] > 0
    assert record["fps"] > 0
    assert record["size"] == "320x240"
    assert record["faces"] == 1
    assert record["faces_found"] == 1  # the real face in the frame was detected
    assert (record["repeat"], record["warmup"]) == (2, 1)
    assert record["model"] == "classic"
    assert isinstance(record["device"], str)
    assert record["device"]
    assert isinstance(record["threads"], int)
    assert record["threads"] >= 1
    assert record["peak_rss_mb"] > 0
    versions = record["versions"]
    for name in ("numpy", "opencv", "onnxruntime", "dlib", "faceswap-core"):
        assert isinstance(versions[name], str), name
    assert versions["numpy"] == np.__version__
    reference = record["reference"]  # what bench_compare divides by
    assert reference["name"] == REFERENCE_NAME
    assert reference["repeat"] == 2
    assert reference["p50_ms"] > 0
    quality = record["quality"]  # what pixel boost, masks and the enhancer cost per face
    assert quality["pixel_boost"] == "none"
    assert quality["mask"] == ["auto"]
    assert quality["enhancer"] is None
    assert quality["per_face_ms"]["swap"] > 0
    assert quality["per_face_ms"]["enhance"] == 0


def test_tiny_bench_writes_the_same_record_to_output(tiny_run: tuple[Result, Path]) -> None:
    result, output = tiny_run
    *stages, last = (json.loads(line) for line in result.stdout.splitlines())
    assert json.loads(output.read_text()) == last["summary"]
    assert [row["stage"] for row in stages] == [*last["summary"]["stages"], "total"]
    assert [p.name for p in output.parent.iterdir()] == ["bench.json"]


def test_bench_table_output(plugins: FaceswapPlugins) -> None:
    result = run(plugins, "--size", "160x120", "--repeat", "1", "--warmup", "0", "--faces", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for stage in (*STAGES, "total"):
        assert any(line.split("│")[1].strip() == stage for line in lines if "│" in line), stage
    assert "FPS" in result.stdout
    assert "faces found" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--size", "720p"), "not WIDTHxHEIGHT"),
        (("--size", "8x8"), "out of range"),
        (("--faces", "0"), "faces: must be between 1 and 64, got 0"),
        (("--repeat", "0"), "repeat: must be positive, got 0"),
    ],
)
def test_bad_options_exit_2(plugins: FaceswapPlugins, args: tuple[str, ...], message: str) -> None:
    result = run(plugins, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unknown_swapper_model_exits_2(plugins: FaceswapPlugins) -> None:
    result = run(plugins, "--size", "160x120", "--repeat", "1", "--model", "nope")
    assert result.exit_code == 2
    assert "unknown swapper 'nope'" in result.stderr


@given(
    width=st.integers(0, 99999),
    height=st.integers(0, 99999),
    pads=st.lists(st.integers(0, 3), min_size=4, max_size=4),
    cross=st.sampled_from("xX"),
)
def test_parse_size_reads_ascii_sizes(width: int, height: int, pads: list[int], cross: str) -> None:
    a, b, c, d = (" " * n for n in pads)
    assert parse_size(f"{a}{width}{b}{cross}{c}{height}{d}") == (width, height)


@pytest.mark.parametrize(
    "text",
    [
        "1\tx2",  # a tab is not a space
        "1x2\n",
        "\u0663x\u0663",  # Arabic-Indic three
        "\uff11x1",  # full-width one
        "1\u00d72",  # multiplication sign
        "1x2x3",
        "x2",
        "123456x1",  # more than five digits
        "-1x2",
        "1.5x2",
        "",
    ],
)
def test_parse_size_rejects_non_ascii_and_malformed_sizes(text: str) -> None:
    with pytest.raises(ConfigError, match="is not WIDTHxHEIGHT"):
        parse_size(text)


@given(
    valid=st.tuples(st.integers(0, 99999), st.integers(0, 99999)).map(lambda s: f"{s[0]}x{s[1]}"),
    position=st.integers(0, 12),
    intruder=st.characters(exclude_characters="0123456789xX "),
)
def test_any_other_character_makes_a_size_invalid(valid: str, position: int, intruder: str) -> None:
    """Every character outside ASCII digits, 'x', 'X' and space is refused, wherever it is."""
    index = min(position, len(valid))
    with pytest.raises(ConfigError):
        parse_size(valid[:index] + intruder + valid[index:])


@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=50))
def test_percentiles_are_ordered_and_bounded(samples: list[float]) -> None:
    row = percentiles(samples)
    assert min(samples) - 1e-3 <= row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert row["p99_ms"] <= max(samples) + 1e-3


def test_options_validate() -> None:
    assert BenchOptions().size == "1280x720"
    with pytest.raises(ConfigError, match="--warmup >= 0"):
        BenchOptions(warmup=-1)


@pytest.fixture(scope="module")
def astronaut_face(plugins: FaceswapPlugins, astronaut_image: Image) -> tuple[Pipeline, Image]:
    pipeline = Pipeline(plugins=plugins)
    (face,) = pipeline.detector.detect(astronaut_image)
    return pipeline, crop_around(astronaut_image, face)


@pytest.mark.parametrize("faces", [1, 3, 4])
def test_frame_holds_the_requested_number_of_real_faces(
    astronaut_face: tuple[Pipeline, Image], astronaut_image: Image, faces: int
) -> None:
    pipeline, crop = astronaut_face
    frame = make_frame(astronaut_image, crop, 640, 360, faces)
    assert frame.shape == (360, 640, 3)
    assert frame.dtype == np.uint8
    assert len(pipeline.detector.detect(frame)) == faces
