"""No partial output: a write that fails after it started leaves the previous file as it was.

Each test fails the write *after* the temporary file exists (the final rename
fails, the disk fills up halfway, the encoder raises) and checks that the file
already at the destination is byte-identical, no temporary file is left, and
the CLI says so in one ``Error:`` line. Replacing the atomic write with a plain
``write_bytes`` makes these tests fail: the half-written file would be there.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage
from tests.integration.conftest import build_arcface_like

from faceswap_core.cli.main import make_cli
from faceswap_core.experiment.manifest import Label, build_manifest, write_manifest
from faceswap_core.io import atomic
from faceswap_core.io.atomic import is_temp_path
from faceswap_core.plugin.manager import FaceswapPlugins

PREVIOUS = b"the user's previous result, which must survive"


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture
def target(tmp_path: Path, astronaut_image: np.ndarray) -> Path:
    path = tmp_path / "astronaut.png"
    PILImage.fromarray(astronaut_image).save(path)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if is_temp_path(p))


def swap(plugins: FaceswapPlugins, source: Path, target: Path, out: Path) -> Result:
    return CliRunner().invoke(
        make_cli(plugins),
        ["swap", "-s", str(source), "-t", str(target), "-o", str(out), "--overwrite"],
    )


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_a_failing_rename_keeps_the_previous_output(
    plugins: FaceswapPlugins,
    tom_hanks_path: Path,
    target: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "results" / "out.png"
    out.parent.mkdir()
    out.write_bytes(PREVIOUS)
    seen: list[Path] = []

    def failing_replace(source: Any, destination: Any) -> None:
        seen.append(Path(source))
        assert Path(source).stat().st_size > 1000  # the whole new image was written first
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    result = swap(plugins, tom_hanks_path, target, out)
    assert result.exit_code == 3, result.output
    assert error_lines(result) == [f"Error: cannot write output '{out}': Input/output error"]
    assert seen, "the write must go through a temporary file and a rename"
    assert out.read_bytes() == PREVIOUS
    assert leftovers(out.parent) == []


def test_a_write_that_fails_halfway_keeps_the_previous_output(
    plugins: FaceswapPlugins,
    tom_hanks_path: Path,
    target: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The disk fills up after half of the file: ENOSPC from inside the writer."""
    out = tmp_path / "out.png"
    out.write_bytes(PREVIOUS)
    real_fdopen = os.fdopen

    class HalfFull:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

        def __enter__(self) -> HalfFull:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: HalfFull(real_fdopen(*a, **k)))
    result = swap(plugins, tom_hanks_path, target, out)
    assert result.exit_code == 3, result.output
    assert error_lines(result) == [
        f"Error: cannot write output '{out}': No space left on device; free some space or "
        "choose another place"
    ]
    assert out.read_bytes() == PREVIOUS
    assert leftovers(tmp_path) == []


def test_an_encoder_that_raises_writes_nothing(
    plugins: FaceswapPlugins,
    tom_hanks_path: Path,
    target: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(PREVIOUS)

    def broken_encoder(*args: Any, **kwargs: Any) -> None:
        raise OSError("encoder error -2 when writing image file")

    monkeypatch.setattr(PILImage.Image, "save", broken_encoder)
    result = swap(plugins, tom_hanks_path, target, out)
    assert result.exit_code != 0
    lines = error_lines(result)
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert out.read_bytes() == PREVIOUS
    assert leftovers(tmp_path) == []


def _limit_file_size() -> None:  # runs in the child before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_in_a_real_process_keeps_the_previous_output(
    tom_hanks_path: Path, target: Path, tmp_path: Path
) -> None:
    """Any file the faceswap process writes may only grow to 64 KiB: the kernel says EFBIG.

    Nothing here is patched, so the real write path meets a real failure.
    """
    out = tmp_path / "out.png"
    out.write_bytes(PREVIOUS)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "faceswap_core", "swap", "-s", str(tom_hanks_path)),
            *("-t", str(target), "-o", str(out), "--overwrite"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
        preexec_fn=_limit_file_size,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.strip() == (
        f"Error: cannot write output '{out}': File too large; the file system or a file-size "
        "limit refuses a file this large"
    )
    assert out.read_bytes() == PREVIOUS
    assert leftovers(tmp_path) == []


def test_a_failing_model_store_write_keeps_the_stored_model(
    plugins: FaceswapPlugins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    first = build_arcface_like(tmp_path / "first.onnx", seed=1)
    second = build_arcface_like(tmp_path / "second.onnx", seed=2)
    cli = make_cli(plugins)
    added = CliRunner().invoke(cli, ["models", "--root", str(root), "add", "w600k_r50", str(first)])
    assert added.exit_code == 0, added.output
    stored = root / "buffalo_l" / "w600k_r50.onnx"
    assert stored.read_bytes() == first.read_bytes()

    def failing_replace(source: Any, destination: Any) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    args = ["models", "--root", str(root), "add", "w600k_r50", str(second), "--overwrite"]
    result = CliRunner().invoke(make_cli(plugins), args)
    assert result.exit_code != 0
    (line,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "Input/output error" in line
    assert stored.read_bytes() == first.read_bytes()
    assert leftovers(stored.parent) == []


def test_a_failing_manifest_write_keeps_the_previous_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data" / "train" / "ann"
    data.mkdir(parents=True)
    (data / "ann_1.jpg").write_bytes(b"ann-1")

    def label(path: Any) -> Label:
        return Label(split=path.parts[0], label=path.parts[1])

    path = write_manifest(build_manifest(tmp_path / "data", label), tmp_path / "manifest.json")
    previous = path.read_bytes()
    (data / "ann_2.jpg").write_bytes(b"ann-2")
    grown = build_manifest(tmp_path / "data", label, version="1.1.0")
    real_fdopen = os.fdopen

    def half_then_full(*args: Any, **kwargs: Any) -> Any:
        handle = real_fdopen(*args, **kwargs)
        original = handle.write

        def write(text: str) -> int:
            original(text[: len(text) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        handle.write = write
        return handle

    monkeypatch.setattr(atomic.os, "fdopen", half_then_full)
    with pytest.raises(OSError, match="No space left"):
        write_manifest(grown, path)
    assert path.read_bytes() == previous
    assert leftovers(tmp_path) == []
