"""``faceswap inspect``: text and JSON output, absent provenance, and exit codes for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner, Result
from tests.conftest import png_header_claiming

from faceswap_core.cli.main import make_cli
from faceswap_core.io.encode import write_image
from faceswap_core.io.provenance import DIGITAL_SOURCE_TYPE
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.version import __version__


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(load_entry_points=False)


def inspect(plugins: FaceswapPlugins, *args: str) -> Result:
    return CliRunner().invoke(make_cli(plugins), ["inspect", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def files(
    tmp_path_factory: pytest.TempPathFactory, tom_hanks_image: npt.NDArray[np.uint8]
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inspect")
    marked = write_image(folder / "swap.jpg", tom_hanks_image, model="inswapper_128")
    plain = write_image(folder / "plain.png", tom_hanks_image, provenance=False)
    truncated = folder / "cut.png"
    truncated.write_bytes(marked.read_bytes()[:20])  # inside the JPEG header
    pixels_cut = folder / "pixels-cut.jpg"
    pixels_cut.write_bytes(marked.read_bytes()[:2000])  # header and XMP whole, pixels cut
    garbage = folder / "notes.png"
    garbage.write_bytes(b"this is a text file, not a picture\n")
    huge = folder / "huge.png"
    huge.write_bytes(png_header_claiming(100_000, 100_000))
    return {
        "marked": marked,
        "plain": plain,
        "truncated": truncated,
        "pixels_cut": pixels_cut,
        "garbage": garbage,
        "huge": huge,
    }


def test_text_output_shows_provenance(plugins: FaceswapPlugins, files: dict[str, Path]) -> None:
    result = inspect(plugins, str(files["marked"]))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{files['marked']}: JPEG 112x112"
    assert f"digital source type: {DIGITAL_SOURCE_TYPE} (AI-made or AI-altered)" in lines
    assert f"software: faceswap {__version__}" in lines
    assert "model: inswapper_128" in lines


def test_json_output(plugins: FaceswapPlugins, files: dict[str, Path]) -> None:
    result = inspect(plugins, str(files["marked"]), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.splitlines()[0])
    assert json.loads(result.stdout.splitlines()[-1])["summary"]["files"] == 1
    assert (report["format"], report["width"], report["height"]) == ("JPEG", 112, 112)
    assert report["path"] == str(files["marked"])
    record = report["provenance"]
    assert record["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert record["software"] == f"faceswap {__version__}"
    assert record["model"] == "inswapper_128"
    assert record["synthetic"] is True
    assert "xmpmeta" in record["raw_xmp"]


def test_absent_provenance_is_said_clearly(
    plugins: FaceswapPlugins, files: dict[str, Path]
) -> None:
    result = inspect(plugins, str(files["plain"]))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{files['plain']}: PNG 112x112",
        "no provenance metadata",
        "C2PA: absent (no Content Credentials)",
    ]
    as_json = inspect(plugins, str(files["plain"]), "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout.splitlines()[0])["provenance"] is None
    assert json.loads(as_json.stdout.splitlines()[0])["c2pa"]["state"] == "absent"


@pytest.mark.parametrize(
    ("key", "reason"),
    [("truncated", "truncated"), ("garbage", "not a supported image format")],
)
def test_undecodable_files_exit_3(
    plugins: FaceswapPlugins, files: dict[str, Path], key: str, reason: str
) -> None:
    result = inspect(plugins, str(files[key]))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: cannot decode image '{files[key]}': ")
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_metadata_is_read_without_decoding_pixels(
    plugins: FaceswapPlugins, files: dict[str, Path]
) -> None:
    """Pixels are never decoded: a 10-gigapixel header and a file cut in its pixels both work."""
    huge = inspect(plugins, str(files["huge"]))
    assert huge.exit_code == 0, huge.output
    assert huge.stdout.splitlines()[0] == f"{files['huge']}: PNG 100000x100000"
    cut = inspect(plugins, str(files["pixels_cut"]), "--json")
    assert cut.exit_code == 0, cut.output
    report = json.loads(cut.stdout.splitlines()[0])
    assert (report["format"], report["width"], report["height"]) == ("JPEG", 112, 112)
    assert report["provenance"]["digital_source_type"] == DIGITAL_SOURCE_TYPE


def test_config_and_set_apply_to_inspect(plugins: FaceswapPlugins, files: dict[str, Path]) -> None:
    limited = inspect(plugins, str(files["marked"]), "--set", "pipeline.limits.max_bytes=100")
    assert limited.exit_code == 3
    assert "over the limit of 100 bytes (max_bytes)" in limited.stderr
    named = inspect(plugins, str(files["marked"]), "--config", "smoke")
    assert named.exit_code == 0, named.output
    bad = inspect(plugins, str(files["marked"]), "--set", "pipeline.limits.max_bytes=0")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "Error: $.pipeline.limits.max_bytes: must be positive, got 0"


def test_missing_file_and_folder_exit_3(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    missing = inspect(plugins, str(tmp_path / "nope.png"))
    assert missing.exit_code == 3
    assert "no such file" in missing.stderr
    folder = inspect(plugins, str(tmp_path))
    assert folder.exit_code == 3
    assert "folder" in folder.stderr


def test_listed_in_help(plugins: FaceswapPlugins) -> None:
    result = CliRunner().invoke(make_cli(plugins), ["--help"])
    assert result.exit_code == 0
    assert "inspect" in result.stdout
