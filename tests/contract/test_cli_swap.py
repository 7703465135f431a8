"""``faceswap swap``, ``detect`` and ``demo`` through the CLI: outputs, JSON, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from tests.conftest import png_header_claiming

from faceswap_core.cli.main import make_cli
from faceswap_core.io.provenance import read_provenance
from faceswap_core.plugin.manager import FaceswapPlugins


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str) -> Result:
    return CliRunner().invoke(make_cli(plugins), list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def images(
    tmp_path_factory: pytest.TempPathFactory, t1_image: np.ndarray, astronaut_image: np.ndarray
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("images")
    paths = {
        "t1": folder / "t1.jpg",
        "astronaut": folder / "astronaut.png",
        "blank": folder / "blank.png",
    }
    PILImage.fromarray(t1_image).save(paths["t1"], quality=95)
    PILImage.fromarray(astronaut_image).save(paths["astronaut"])
    PILImage.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(paths["blank"])
    return paths


def test_swap_one_target_writes_the_file_with_provenance(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.png"
    result = run(
        plugins, "swap", "-s", str(images["t1"]), "-t", str(images["astronaut"]), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "1/1 faces swapped" in result.output
    with PILImage.open(out) as handle:
        assert handle.size == (512, 512)
    provenance = read_provenance(out)
    assert provenance is not None
    assert provenance.digital_source_type.endswith("/compositeCapture")  # classic declares it


def test_swap_no_provenance_and_jpeg(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.jpg"
    result = run(
        plugins,
        "swap",
        "-s",
        str(images["t1"]),
        "-t",
        str(images["astronaut"]),
        "-o",
        str(out),
        "--no-provenance",
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"\xff\xd8"
    assert read_provenance(out) is None


def test_swap_several_targets_into_a_folder_with_json(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "results"
    result = run(
        plugins,
        "swap",
        "-s",
        str(images["astronaut"]),
        "-t",
        str(images["t1"]),
        "-t",
        str(images["blank"]),
        "-o",
        str(out),
        "--json",
        "--format",
        "webp",
        "--faces",
        "largest",
    )
    assert result.exit_code == 0, result.output
    *reports, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert summary == {
        "summary": {
            "done": 2,
            "failed": 0,
            "skipped": 0,
            "not_run": 0,
            "exit_code": 0,
            "retries": 0,
        }
    }
    assert [Path(r["output"]).name for r in reports] == ["t1.webp", "blank.webp"]
    assert reports[0]["faces_found"] == 6
    assert reports[0]["faces_swapped"] == 1
    assert reports[1]["faces_found"] == 0
    assert reports[1]["faces_swapped"] == 0
    assert set(reports[0]["timings_ms"]) >= {"detect", "landmarks", "align", "swap", "paste"}
    assert (out / "t1.webp").is_file()
    assert (out / "blank.webp").is_file()


@pytest.mark.parametrize(
    ("make_args", "code", "message"),
    [
        (
            lambda p, o: ["-s", str(p["blank"]), "-t", str(p["astronaut"]), "-o", o],
            4,
            "no face found in the source",
        ),
        (
            lambda p, o: ["-s", str(p["astronaut"]), "-t", str(p["t1"]) + ".missing", "-o", o],
            3,
            "missing",
        ),
        (
            lambda p, o: [
                "-s",
                str(p["t1"]),
                "-t",
                str(p["astronaut"]),
                "-o",
                o,
                "--model",
                "inswapper",
                "--model-path",
                "/nonexistent/inswapper.onnx",
            ],
            5,
            "model file not found",
        ),
        (
            lambda p, o: [
                "-s",
                str(p["t1"]),
                "-t",
                str(p["astronaut"]),
                "-o",
                o,
                "--model",
                "warpface",
            ],
            2,
            "unknown swapper 'warpface'",
        ),
        (
            lambda p, o: [
                "-s",
                str(p["t1"]),
                "-t",
                str(p["astronaut"]),
                "-o",
                o,
                "--set",
                "pipeline.faces=some",
            ],
            2,
            "pipeline.faces",
        ),
    ],
)
def test_swap_errors_have_exit_codes_and_leave_no_output(
    plugins: FaceswapPlugins,
    images: dict[str, Path],
    tmp_path: Path,
    make_args: object,
    code: int,
    message: str,
) -> None:
    out = tmp_path / "out.png"
    args = make_args(images, str(out))  # type: ignore[operator]
    result = CliRunner().invoke(make_cli(plugins), ["swap", *args])
    assert result.exit_code == code, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]  # exactly one
    assert line.startswith("Error: ")
    assert message in line
    assert "Traceback" not in result.output
    assert not out.exists()


def test_swap_undecodable_target_exits_3(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(images["t1"].read_bytes()[:5000])
    out = tmp_path / "out.png"
    result = CliRunner().invoke(  # a one-face source: no line says which face it took
        make_cli(plugins), ["swap", "-s", str(images["astronaut"]), "-t", str(bad), "-o", str(out)]
    )
    assert result.exit_code == 3, result.output
    assert "bad.jpg" in result.output
    assert not out.exists()


def test_swap_help_documents_exit_codes(plugins: FaceswapPlugins) -> None:
    result = run(plugins, "swap", "--help")
    for code in ("0", "2", "3", "4", "5"):
        assert f"  {code}  " in result.output


def test_detect_json_and_draw(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path
) -> None:
    drawn = tmp_path / "drawn.png"
    result = run(plugins, "detect", str(images["t1"]), "--json", "-o", str(drawn))
    assert result.exit_code == 0, result.output
    item, summary = (json.loads(line) for line in result.stdout.splitlines())
    assert summary == {"summary": {"images": 1, "faces": 6, "output": str(drawn)}}
    faces = item["faces"]
    assert len(faces) == 6
    for face in faces:
        x1, y1, x2, y2 = face["bbox"]
        assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in face["kps"])
    with PILImage.open(drawn) as handle:
        canvas = np.asarray(handle.convert("RGB"))
    with PILImage.open(images["t1"]) as handle:
        original = np.asarray(handle.convert("RGB"))
    near = np.zeros(original.shape[:2], bool)
    green = (0, 255, 0)
    for face in faces:  # each box is drawn in green where the face is
        x1, y1, x2, y2 = (round(v) for v in face["bbox"])
        mid_x, mid_y = (x1 + x2) // 2, (y1 + y2) // 2
        for y, x in ((y1, mid_x), (y2, mid_x), (mid_y, x1), (mid_y, x2)):
            assert tuple(canvas[y, x]) == green, (face["bbox"], x, y)
        assert tuple(canvas[mid_y, mid_x]) != green  # an outline, not a filled box
        near[max(y1 - 40, 0) : y2 + 4, max(x1 - 4, 0) : x2 + 4] = True  # score text above
    assert np.array_equal(canvas[~near], original[~near])  # nothing drawn elsewhere


def test_demo_writes_swap_and_side_by_side(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    result = run(plugins, "demo", "-o", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    with PILImage.open(tmp_path / "demo" / "swap.png") as swap:
        assert swap.size == (512, 512)
    with PILImage.open(tmp_path / "demo" / "side_by_side.png") as side:
        assert side.size[1] == 512
        assert side.size[0] > 3 * 512
    # Running the quickstart again replaces the demo's own outputs...
    again = run(plugins, "demo", "-o", str(tmp_path / "demo"))
    assert again.exit_code == 0, again.output


def test_demo_never_replaces_a_file_it_did_not_write(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    mine = folder / "swap.png"
    PILImage.new("RGB", (8, 8), (10, 20, 30)).save(mine)
    before = mine.read_bytes()
    result = run(plugins, "demo", "-o", str(folder))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {mine} exists and was not written by faceswap; pass --overwrite to replace it "
        "or choose another folder with -o\n"
    )
    assert mine.read_bytes() == before
    assert not (folder / "side_by_side.png").exists()
    forced = run(plugins, "demo", "-o", str(folder), "--overwrite")
    assert forced.exit_code == 0, forced.output
    assert mine.read_bytes() != before


def test_installed_script_exit_code_for_missing_source(tmp_path: Path) -> None:
    script = shutil.which("faceswap") or str(Path(sys.executable).parent / "faceswap")
    completed = subprocess.run(
        [
            script,
            "swap",
            "-s",
            str(tmp_path / "nope.jpg"),
            "-t",
            str(tmp_path / "x.jpg"),
            "-o",
            str(tmp_path / "o.png"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 3, completed.stderr
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("Error: cannot read source ")
    assert completed.stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"GIF89a not really", "target"),
        (png_header_claiming(100_000, 100_000), "pixels"),
    ],
    ids=["zero-byte", "fake-gif", "png-bomb-header"],
)
def test_swap_bad_target_files_exit_3_without_output(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    out = tmp_path / "out.png"
    result = CliRunner().invoke(  # a one-face source: no line says which face it took
        make_cli(plugins), ["swap", "-s", str(images["astronaut"]), "-t", str(bad), "-o", str(out)]
    )
    assert result.exit_code == 3, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith("Error: ")
    assert "bad.png" in line
    assert message in line
    assert not out.exists()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(min_size=1, max_size=2048))
def test_swap_random_bytes_target_exits_3(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "random.jpg"
    bad.write_bytes(content)
    out = tmp_path / "random-out.png"
    result = CliRunner().invoke(  # a one-face source: no line says which face it took
        make_cli(plugins), ["swap", "-s", str(images["astronaut"]), "-t", str(bad), "-o", str(out)]
    )
    assert result.exit_code == 3, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    assert "random.jpg" in line
    assert not out.exists()


def test_swap_one_pixel_target_is_returned_unchanged(
    plugins: FaceswapPlugins, images: dict[str, Path], tmp_path: Path
) -> None:
    tiny = tmp_path / "tiny.png"
    PILImage.fromarray(np.array([[[10, 20, 30]]], np.uint8)).save(tiny)
    out = tmp_path / "tiny-out.png"
    result = run(
        plugins, "swap", "-s", str(images["t1"]), "-t", str(tiny), "-o", str(out), "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["faces_found"] == 0
    with PILImage.open(out) as handle:
        assert np.array_equal(np.asarray(handle.convert("RGB")), [[[10, 20, 30]]])
