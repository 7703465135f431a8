"""``faceswap swap`` on batches: no silent overwrite, batches that finish, a record per target.

Targets are mostly small face-less images (only detection runs on them) so
each batch is cheap; the source is a real face (Tom Hanks, from insightface).
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage
from tests.conftest import CountingDetector

import faceswap
from faceswap_core import Register, hookimpl
from faceswap_core.cli.main import make_cli
from faceswap_core.errors import ConfigError, NoFaceError
from faceswap_core.io.provenance import read_provenance
from faceswap_core.plugin.manager import FaceswapPlugins


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str) -> Result:
    return CliRunner().invoke(make_cli(plugins), ["swap", *args])


def blank(path: Path, level: int, size: int = 48) -> Path:
    """A flat image without a face (the format follows the suffix)."""
    PILImage.fromarray(np.full((size, size, 3), level, np.uint8)).save(path)
    return path


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def records(result: Result) -> tuple[list[dict[str, Any]], dict[str, int]]:
    *rows, last = [json.loads(line) for line in result.stdout.splitlines()]
    return rows, last["summary"]


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- data loss -----------------------------------------------------------------------------------


def test_targets_sharing_a_stem_keep_their_suffix(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    blank(photos / "x.jpg", 40)
    blank(photos / "x.png", 200)
    blank(photos / "y.png", 120)
    out = tmp_path / "out"
    result = run(plugins, "-s", str(tom_hanks_path), "-t", str(photos), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["x.jpg.png", "x.png.png", "y.png"]
    for name, level in (("x.jpg.png", 40), ("x.png.png", 200), ("y.png", 120)):
        with PILImage.open(out / name) as image:
            assert abs(int(np.asarray(image).mean()) - level) <= 2  # each result is its own input


def test_a_clash_that_remains_is_refused_before_any_work(
    counting: tuple[FaceswapPlugins, CountingDetector], tom_hanks_path: Path, tmp_path: Path
) -> None:
    manager, counter = counting
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        blank(tmp_path / folder / "x.jpg", 90)
    out = tmp_path / "out"
    args = ["-s", str(tom_hanks_path), "-t", str(tmp_path / "a"), "-t", str(tmp_path / "b")]
    result = run(manager, *args, "-o", str(out), "--set", "pipeline.detector=counting")
    assert result.exit_code == 2, result.output
    (line,) = lines(result.output)
    assert line.startswith("Error: 2 targets would be written to the same output name")
    assert str(tmp_path / "a" / "x.jpg") in line
    assert str(tmp_path / "b" / "x.jpg") in line
    assert counter.built == []
    assert not out.exists()


@pytest.mark.parametrize("inside", [".", "results"], ids=["same-folder", "subfolder"])
def test_output_folder_inside_the_input_folder_is_refused(
    counting: tuple[FaceswapPlugins, CountingDetector],
    tom_hanks_path: Path,
    tmp_path: Path,
    inside: str,
) -> None:
    manager, counter = counting
    photos = tmp_path / "photos"
    photos.mkdir()
    blank(photos / "a.png", 10)
    blank(photos / "b.jpg", 20)
    before = listing(photos)
    out = photos / inside
    args = ["-s", str(tom_hanks_path), "-t", str(photos), "-o", str(out)]
    result = run(manager, *args, "--set", "pipeline.detector=counting")
    assert result.exit_code == 2, result.output
    (line,) = lines(result.output)
    assert "is inside the input folder" in line
    assert "--overwrite" in line
    assert listing(photos) == before
    assert counter.built == []


def test_an_input_file_is_never_replaced_even_with_overwrite(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    original = blank(photos / "a.png", 10).read_bytes()
    args = ["-s", str(tom_hanks_path), "-t", str(photos), "-o", str(photos), "--overwrite"]
    result = run(plugins, *args)
    assert result.exit_code == 2, result.output
    assert "would replace the input" in lines(result.output)[0]
    assert (photos / "a.png").read_bytes() == original
    # Nor the source, for a single target.
    single = run(
        plugins,
        *("-s", str(tom_hanks_path), "-t", str(photos / "a.png")),
        *("-o", str(tom_hanks_path), "--overwrite"),
    )
    assert single.exit_code == 2
    assert "would replace the input" in single.output


def test_with_overwrite_the_output_folder_may_be_the_input_folder(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    original = blank(photos / "a.jpg", 10).read_bytes()
    args = ["-s", str(tom_hanks_path), "-t", str(photos), "-o", str(photos), "--overwrite"]
    result = run(plugins, *args)
    assert result.exit_code == 0, result.output
    assert (photos / "a.jpg").read_bytes() == original
    assert (photos / "a.png").is_file()


def test_an_existing_output_is_replaced_only_with_overwrite(
    plugins: FaceswapPlugins, tom_hanks_path: Path, t1_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"the user's own file")
    args = ["-s", str(tom_hanks_path), "-t", str(t1_path), "-o", str(out), "--faces", "largest"]
    refused = run(plugins, *args)
    assert refused.exit_code == 2
    (line,) = lines(refused.output)
    assert line == (
        f"Error: output {out} already exists; pass --overwrite to replace it "
        "or --skip-existing to keep it"
    )
    assert out.read_bytes() == b"the user's own file"
    replaced = run(plugins, *args, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert read_provenance(out) is not None
    both = run(plugins, *args, "--overwrite", "--skip-existing")
    assert both.exit_code == 2


def test_skip_existing_resumes_a_batch(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    blank(photos / "a.png", 10)
    blank(photos / "b.png", 20)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.png").write_bytes(b"done before the interruption")
    args = ["-s", str(tom_hanks_path), "-t", str(photos), "-o", str(out), "--json"]
    result = run(plugins, *args, "--skip-existing")
    assert result.exit_code == 0, result.output
    rows, summary = records(result)
    assert [(Path(r["target"]).name, r["status"]) for r in rows] == [
        ("a.png", "skipped"),
        ("b.png", "done"),
    ]
    assert summary == {
        "done": 1,
        "failed": 0,
        "skipped": 1,
        "not_run": 0,
        "exit_code": 0,
        "retries": 0,
    }
    assert (out / "a.png").read_bytes() == b"done before the interruption"
    assert (out / "b.png").is_file()


# -- batches that finish -------------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """a.png (fine), b.jpg (not an image), c.png (fine)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    blank(photos / "a.png", 10)
    (photos / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    blank(photos / "c.png", 30)
    return photos


def test_a_batch_goes_on_past_a_bad_target_and_exits_3(
    plugins: FaceswapPlugins, tom_hanks_path: Path, mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(plugins, "-s", str(tom_hanks_path), "-t", str(mixed), "-o", str(out), "--json")
    assert result.exit_code == 3, result.output
    rows, summary = records(result)
    assert [(Path(r["target"]).name, r["status"]) for r in rows] == [
        ("a.png", "done"),
        ("b.jpg", "failed"),
        ("c.png", "done"),
    ]
    assert rows[1]["exit_code"] == 3
    assert rows[1]["error"].startswith(f"cannot decode target '{mixed / 'b.jpg'}'")
    assert summary == {
        "done": 2,
        "failed": 1,
        "skipped": 0,
        "not_run": 0,
        "exit_code": 3,
        "retries": 0,
    }
    errors = [line for line in lines(result.stderr) if line.startswith("Error:")]
    assert errors == [f"Error: {rows[1]['error']}"]
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]


def test_fail_fast_stops_at_the_first_failure(
    plugins: FaceswapPlugins, tom_hanks_path: Path, mixed: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["-s", str(tom_hanks_path), "-t", str(mixed), "-o", str(out), "--fail-fast"]
    result = run(plugins, *args)
    assert result.exit_code == 3, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a.png"]
    assert lines(result.stdout) == [f"{mixed / 'a.png'} -> {out / 'a.png'}: 0/0 faces swapped"]
    assert lines(result.stderr)[-1] == "swap: 1 done, 1 failed, 0 skipped, 1 not run"


class InterruptingDetector:
    """The real detector, until the third call (the second target): then Ctrl-C."""

    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        register("interrupting", self.build)

    def build(self, config: Any, context: Any) -> Any:
        real = context.plugins.build("detector", "retinaface", context=context)
        calls = []

        class Detector:
            def detect(self, image: Any) -> Any:
                calls.append(1)
                if len(calls) == 3:
                    raise KeyboardInterrupt
                return real.detect(image)

        return Detector()


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "lines"])
def test_an_interrupted_batch_keeps_the_records_written_so_far(
    tom_hanks_path: Path, tmp_path: Path, as_json: bool
) -> None:
    manager = FaceswapPlugins(strict=True)
    manager.register(InterruptingDetector(), name="interrupting")
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(3):
        blank(photos / f"{index}.png", 10 * index)
    out = tmp_path / "out"
    args = ["-s", str(tom_hanks_path), "-t", str(photos), "-o", str(out)]
    args += ["--json"] if as_json else []
    result = run(manager, *args, "--set", "pipeline.detector=interrupting")
    assert result.exit_code != 0
    first, *rest = result.stdout.splitlines()
    assert rest == []  # nothing after the interruption, and no summary
    if as_json:
        assert json.loads(first)["output"] == str(out / "0.png")
        assert json.loads(first)["status"] == "done"
    else:
        assert first == f"{photos / '0.png'} -> {out / '0.png'}: 0/0 faces swapped"
    assert sorted(p.name for p in out.iterdir()) == ["0.png"]


def _swap_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``faceswap swap`` with stderr on a pseudo-terminal; return its code and stderr."""
    main, secondary = pty.openpty()
    # A fresh pty is 0 x 0; a real terminal has a size (tqdm draws nothing in 0 columns).
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = dict(os.environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "faceswap_core", "swap", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        cwd=cwd,
        env=env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_progress_bar_is_drawn_only_on_a_terminal_and_never_after_an_error(
    tom_hanks_path: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(4):
        blank(photos / f"{index}.png", 20 * index)
    (photos / "1.png").write_bytes(b"not an image")
    code, screen = _swap_on_a_terminal(
        ["-s", str(tom_hanks_path), "-t", str(photos), "-o", str(tmp_path / "out")], tmp_path
    )
    assert code == 3, screen
    before, error, after = screen.partition("Error: cannot decode target")
    assert error, screen
    assert "swap:" in before
    assert "img/s" in before or "it/s" in before or "%|" in before  # the bar was drawn
    # After the error line: only the end-of-batch summary, no bar redraw.
    tail = after.split("\n", 1)[1]
    assert "%|" not in tail
    assert "\r" not in tail.replace("\r\n", "\n")
    assert "swap: 3 done, 1 failed, 0 skipped" in tail

    piped = subprocess.run(
        [
            *(sys.executable, "-m", "faceswap_core", "swap", "-s", str(tom_hanks_path)),
            *("-t", str(photos), "-o", str(tmp_path / "out2")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 3
    assert "%|" not in piped.stderr
    assert "\r" not in piped.stderr


# -- faces ---------------------------------------------------------------------------------------


def test_a_target_without_a_face_is_written_unchanged_and_unmarked(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path
) -> None:
    target = blank(tmp_path / "wall.png", 77)
    out = tmp_path / "out.png"
    result = run(plugins, "-s", str(tom_hanks_path), "-t", str(target), "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    (warning,) = lines(result.stderr)
    assert warning.startswith(f"Warning: no face found in target '{target}'; written unchanged")
    row = json.loads(result.stdout.splitlines()[0])
    assert (row["faces_found"], row["faces_swapped"], row["provenance"]) == (0, 0, False)
    assert read_provenance(out) is None  # provenance marks only what faceswap changed
    with PILImage.open(out) as image:
        assert np.array_equal(np.asarray(image), np.full((48, 48, 3), 77, np.uint8))

    required = tmp_path / "required.png"
    strict = run(
        plugins, "-s", str(tom_hanks_path), "-t", str(target), "-o", str(required), "--require-face"
    )
    assert strict.exit_code == 4
    (line,) = lines(strict.output)
    assert line.startswith(f"Error: no face found in target '{target}' (--require-face)")
    assert not required.exists()


def test_require_face_in_the_python_api(tom_hanks_image: np.ndarray) -> None:
    wall = np.full((40, 40, 3), 60, np.uint8)
    assert np.array_equal(faceswap.swap(wall, tom_hanks_image), wall)
    with pytest.raises(NoFaceError, match="no face found in target array"):
        faceswap.swap(wall, tom_hanks_image, require_face=True)
    with pytest.raises(ConfigError, match=r"threshold: must be above 0\.0 and at most 2\.0"):
        faceswap.swap(wall, tom_hanks_image, reference=wall, threshold=2.5)


def test_folders_take_every_decodable_format_and_animated_images_warn(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.gif", "b.tga", "c.ppm", "d.bmp", "e.webp", "f.tif"):
        blank(photos / name, 50)
    frames = [PILImage.fromarray(np.full((32, 32, 3), v, np.uint8)) for v in (10, 90, 170)]
    frames[0].save(photos / "moving.gif", save_all=True, append_images=frames[1:], duration=80)
    (photos / "notes.txt").write_text("not an image")
    out = tmp_path / "out"
    result = run(plugins, "-s", str(tom_hanks_path), "-t", str(photos), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in out.iterdir()) == ["a", "b", "c", "d", "e", "f", "moving"]
    warnings = [line for line in lines(result.stderr) if "animated" in line]
    assert warnings == [
        f"Warning: target '{photos / 'moving.gif'}' is animated (3 frames); only its first "
        "frame is used (faceswap video handles moving images)"
    ]


def test_reference_alone_implies_reference_selection(
    plugins: FaceswapPlugins, t1_image: np.ndarray, t1_path: Path, tmp_path: Path
) -> None:
    from faceswap_core.pipeline.image import Pipeline
    from faceswap_core.vision.crop import crop_around

    pipeline = Pipeline(plugins=plugins)
    faces = pipeline.detect(t1_image)
    reference = tmp_path / "reference.png"
    PILImage.fromarray(crop_around(t1_image, faces[0])).save(reference)
    out = tmp_path / "out.png"
    args = ["-s", str(reference), "-t", str(t1_path), "-o", str(out), "--json"]
    result = run(plugins, *args, "--reference", str(reference))
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.splitlines()[0])
    assert row["faces_found"] == 6
    assert row["faces_swapped"] >= 1  # the reference person...
    assert row["faces_swapped"] < 6  # ...and not everyone


# -- checked before any model loads ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--threshold", "3"], "threshold: must be above 0.0 and at most 2.0, got 3.0"),
        (["--threshold", "0"], "threshold: must be above 0.0 and at most 2.0, got 0.0"),
        (["--threshold", "nan"], "got nan"),
        (["--faces", "reference"], "--faces reference needs --reference IMG"),
        (["--format", "webp"], "--format webp contradicts the output name"),
        (["--quality", "80"], "--quality applies to jpg and webp output; png is lossless"),
        (["--overwrite", "--skip-existing"], "contradict each other"),
    ],
)
def test_bad_options_exit_2_before_models_load(
    counting: tuple[FaceswapPlugins, CountingDetector],
    tom_hanks_path: Path,
    tmp_path: Path,
    extra: list[str],
    message: str,
) -> None:
    manager, counter = counting
    out = tmp_path / "out.png"
    args = ["-s", str(tom_hanks_path), "-t", str(tom_hanks_path), "-o", str(out), *extra]
    result = run(manager, *args, "--set", "pipeline.detector=counting")
    assert result.exit_code == 2, result.output
    (line,) = lines(result.output)
    assert line.startswith("Error: ")
    assert message in line
    assert counter.built == []


def test_quality_sets_jpeg_and_webp_compression(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "noise.png"
    rng = np.random.default_rng(0)
    PILImage.fromarray(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)).save(target)
    sizes = {}
    for fmt in ("jpg", "webp"):
        for quality in ("20", "95"):
            out = tmp_path / f"q{quality}.{fmt}"
            result = run(
                plugins,
                *("-s", str(tom_hanks_path), "-t", str(target), "-o", str(out)),
                *("--quality", quality),
            )
            assert result.exit_code == 0, result.output
            sizes[fmt, quality] = out.stat().st_size
    assert sizes["jpg", "20"] < sizes["jpg", "95"] / 2
    assert sizes["webp", "20"] < sizes["webp", "95"] / 2


@pytest.mark.parametrize("several", [False, True], ids=["file", "folder"])
def test_an_output_under_a_file_exits_3_with_one_line(
    plugins: FaceswapPlugins, tom_hanks_path: Path, t1_path: Path, tmp_path: Path, several: bool
) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    out = blocker / "results" / ("" if several else "out.png")
    targets = ["-t", str(tom_hanks_path), *(["-t", str(t1_path)] if several else [])]
    result = run(plugins, "-s", str(tom_hanks_path), *targets, "-o", str(out))
    assert result.exit_code == 3, result.output
    (line,) = lines(result.output)
    assert line.startswith("Error: cannot create output folder")
    assert f"{blocker} is a file, not a folder" in line
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_works_before_or_after_the_subcommand(
    plugins: FaceswapPlugins, tom_hanks_path: Path, tmp_path: Path, where: str
) -> None:
    args = ["swap", "-s", str(tom_hanks_path), "-t", str(tom_hanks_path)]
    args += ["-o", str(tmp_path / "o.png"), "--set", "pipeline.faces=some"]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    result = CliRunner().invoke(make_cli(plugins), args)
    assert result.exit_code == 2, result.output
    assert "Traceback (most recent call last)" in result.output
    assert lines(result.output)[-1].startswith("Error: $.pipeline.faces: expected one of")


def test_detect_takes_config_and_set(plugins: FaceswapPlugins, t1_path: Path) -> None:
    base = CliRunner().invoke(make_cli(plugins), ["detect", str(t1_path), "--config", "smoke"])
    assert base.exit_code == 0, base.output
    assert lines(base.output)[0] == f"{t1_path}: 6 face(s)"
    fewer = CliRunner().invoke(
        make_cli(plugins), ["detect", str(t1_path), "--set", "pipeline.detector.max_faces=2"]
    )
    assert fewer.exit_code == 0, fewer.output
    assert lines(fewer.output)[0] == f"{t1_path}: 2 face(s)"
    limited = CliRunner().invoke(
        make_cli(plugins), ["detect", str(t1_path), "--set", "pipeline.limits.max_pixels=1000"]
    )
    assert limited.exit_code == 3
    assert "over the limit of 1000 (max_pixels)" in limited.output
