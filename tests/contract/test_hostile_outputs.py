"""Outputs are only ever regular files, and "no clobber" holds under races (issue 17).

Every special node is made by the test in its own temporary folder (a FIFO,
a Unix socket, a symbolic link, a dangling one, and, as root, a character
device made with ``mknod``); no test ever points at a system device. Each
command must refuse it with exit code 2 and one ``Error:`` line, with or
without ``--overwrite``, and leave the node exactly as it was.

The races run real processes: several writers of one path start together
(a barrier file releases them), and without ``--overwrite`` exactly one may
win; with it, every writer succeeds and the file is one complete payload.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image as PILImage

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.errors import OutputPathError
from faceswap_core.io.atomic import atomic_write_bytes, is_temp_path
from faceswap_core.plugin.manager import FaceswapPlugins

KINDS = ("fifo", "socket", "chardev", "symlink", "dangling")


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: a Unix socket's path must fit in 108 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="fs17-"))
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        else:
            path.unlink()
    folder.rmdir()


def make_node(kind: str, path: Path) -> tuple[int, int, str | None]:
    """Create a node of ``kind`` at ``path``; return (mode, inode, link target) to compare later."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()  # the socket file stays
    elif kind == "chardev":
        if os.geteuid() != 0:
            pytest.skip("creating a character device node needs root")
        # A private node with the null device's numbers, in the test's own folder.
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    elif kind == "symlink":
        real = path.with_name("real-" + path.name)
        real.write_bytes(b"the file the link points at")
        os.symlink(real, path)
    elif kind == "dangling":
        os.symlink(path.with_name("nowhere-" + path.name), path)
    return node_state(path)


def node_state(path: Path) -> tuple[int, int, str | None]:
    info = os.lstat(path)
    target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
    return info.st_mode, info.st_ino, target


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def no_temps(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if is_temp_path(p)]


WORDS = {
    "fifo": "FIFO",
    "socket": "socket",
    "chardev": "character device",
    "symlink": "symbolic link",
    "dangling": "symbolic link",
}


def command_args(command: str, out: Path, data: dict[str, Path]) -> tuple[list[str], str | None]:
    """The command line writing ``out``, and its replace flag (None: the command has none)."""
    source, target, folder = str(data["source"]), str(data["target"]), str(data["folder"])
    table: dict[str, tuple[list[str], str | None]] = {
        "swap": (["swap", "-s", source, "-t", target, "-o", str(out)], "--overwrite"),
        "video": (["video", "-s", source, "-t", target, "-o", str(out)], "--overwrite"),
        "detect": (["detect", target, "-o", str(out)], "--overwrite"),
        "report": (["report", folder, "-o", str(out)], None),
        "bench": (["bench", "--output", str(out)], None),
        "export-onnx": (["export", "onnx", "--checkpoint", folder, "-o", str(out)], "--overwrite"),
        "export-retinaface": (["export", "retinaface", "-o", str(out)], "--overwrite"),
        "eval": (["eval", "--pairs", f"{folder}/pairs.csv", "-o", str(out)], None),
    }
    return table[command]


SUFFIXES = {
    "swap": ".png",
    "video": ".mp4",
    "detect": ".png",
    "report": ".html",
    "bench": ".json",
    "export-onnx": ".onnx",
    "export-retinaface": ".onnx",
    "eval": "-run",
}


@pytest.fixture
def data(short_dir: Path, tom_hanks_path: Path) -> dict[str, Path]:
    target = short_dir / "target.png"
    PILImage.fromarray(np.full((48, 48, 3), 90, np.uint8)).save(target)
    folder = short_dir / "run"
    folder.mkdir()
    return {"source": tom_hanks_path, "target": target, "folder": folder}


REPLACE_FLAGS = {"report": None, "bench": None, "eval": None}
"""Commands without a replace flag (they always replace a regular file they wrote before)."""

CASES = [
    (command, replace)
    for command in SUFFIXES
    for replace in (False, True)
    if not (replace and command in REPLACE_FLAGS)
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("command", "replace"), CASES)
def test_special_outputs_are_refused_and_left_alone(
    plugins: FaceswapPlugins,
    short_dir: Path,
    data: dict[str, Path],
    command: str,
    kind: str,
    replace: bool,
) -> None:
    out = short_dir / f"o{SUFFIXES[command]}"
    before = make_node(kind, out)
    args, flag = command_args(command, out, data)
    if replace:
        assert flag is not None
        args.append(flag)
    result = CliRunner().invoke(make_cli(plugins), args)
    assert result.exit_code == 2, result.output
    (line,) = error_lines(result)
    assert line.startswith("Error: ")
    assert WORDS[kind] in line
    assert node_state(out) == before
    assert no_temps(short_dir)


@pytest.mark.parametrize("kind", KINDS)
def test_demo_refuses_a_special_file_in_its_folder(
    plugins: FaceswapPlugins, short_dir: Path, kind: str
) -> None:
    before = make_node(kind, short_dir / "swap.png")
    args = ["demo", "-o", str(short_dir), "--overwrite"]
    result = CliRunner().invoke(make_cli(plugins), args)
    assert result.exit_code == 2, result.output
    assert WORDS[kind] in error_lines(result)[0]
    assert node_state(short_dir / "swap.png") == before


@pytest.mark.parametrize("kind", KINDS)
def test_the_python_api_refuses_special_outputs_too(
    short_dir: Path, data: dict[str, Path], kind: str
) -> None:
    out = short_dir / "o.mp4"
    before = make_node(kind, out)
    with pytest.raises(OutputPathError, match=WORDS[kind]):
        faceswap.swap_video(data["target"], data["source"], out, overwrite=True)
    assert node_state(out) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_special_file_that_appears_before_the_rename_is_not_replaced(
    short_dir: Path, kind: str
) -> None:
    """The final step checks again: a node made after planning survives, even with replace."""
    out = short_dir / "late.bin"
    before = make_node(kind, out)
    for replace in (True, False):
        with pytest.raises(OutputPathError, match=WORDS[kind]):
            atomic_write_bytes(out, b"new", replace=replace)
        assert node_state(out) == before
    assert no_temps(short_dir)


def test_replacing_a_regular_file_never_copies_special_bits(tmp_path: Path) -> None:
    out = tmp_path / "out.bin"
    out.write_bytes(b"old")
    os.chmod(out, 0o4755)  # setuid: never carried to the new file
    atomic_write_bytes(out, b"new")
    mode = os.lstat(out).st_mode
    assert stat.S_ISREG(mode)
    assert stat.S_IMODE(mode) == 0o755
    assert out.read_bytes() == b"new"


# -- races between real processes ------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from faceswap_core.errors import OutputPathError
    from faceswap_core.io.atomic import atomic_write_bytes

    target, gate = Path(sys.argv[1]), Path(sys.argv[2])
    index, replace = int(sys.argv[3]), sys.argv[4] == "1"
    payload = bytes([index]) * (2 * 1024 * 1024)  # big enough that the writes overlap
    while not gate.exists():
        time.sleep(0.001)
    try:
        atomic_write_bytes(target, payload, replace=replace)
    except OutputPathError:
        sys.exit(2)
    """
)


def race(target: Path, writers: int, replace: bool) -> list[int]:
    gate = target.with_name("go")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(target),
                str(gate),
                str(index),
                "1" if replace else "0",
            ]
        )
        for index in range(writers)
    ]
    time.sleep(1.0)  # every writer imports and waits at the gate
    gate.touch()
    return [proc.wait(timeout=120) for proc in procs]


def test_without_overwrite_exactly_one_of_many_writers_wins(tmp_path: Path) -> None:
    target = tmp_path / "same.bin"
    codes = race(target, 6, replace=False)
    assert sorted(codes) == [0, 2, 2, 2, 2, 2]
    winner = codes.index(0)
    assert target.read_bytes() == bytes([winner]) * (2 * 1024 * 1024)
    assert no_temps(tmp_path)


def test_with_overwrite_every_writer_succeeds_and_one_complete_file_remains(
    tmp_path: Path,
) -> None:
    target = tmp_path / "same.bin"
    codes = race(target, 6, replace=True)
    assert codes == [0] * 6
    data = target.read_bytes()
    assert len(data) == 2 * 1024 * 1024
    assert data == bytes([data[0]]) * len(data)  # one writer's payload, whole
    assert no_temps(tmp_path)


def test_parallel_swaps_to_one_output_leave_one_winner(
    tom_hanks_path: Path, tmp_path: Path
) -> None:
    """Issue 17: four ``faceswap swap -o same.png`` all exited 0, each replacing the last."""
    out = tmp_path / "same.png"
    target = tmp_path / "target.png"
    PILImage.open(tom_hanks_path).save(target)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "faceswap_core", "swap", "-s", str(tom_hanks_path)]
    procs = [
        subprocess.Popen(
            [*args, "-t", str(target), "-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    results = [(proc.wait(timeout=300), proc.communicate()[1]) for proc in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2, 2], results
    for code, stderr in results:
        if code == 2:
            (line,) = [line for line in stderr.splitlines() if line.strip()]
            assert line.startswith(f"Error: output {str(out)!r} exists")
    with PILImage.open(out) as image:
        image.load()
    assert no_temps(tmp_path)


def test_a_file_that_appears_while_a_video_is_written_is_kept(
    tmp_path: Path, data: dict[str, Path]
) -> None:
    """The exists-check at planning is not enough: the rename itself must not replace."""
    from tests.video.clips import encode

    clip = encode(tmp_path / "clip.mp4", [np.full((64, 64, 3), 80, np.uint8)] * 4)
    out = tmp_path / "out.mp4"

    def someone_else_writes(done: int, total: int | None) -> None:
        if done == 1:
            out.write_bytes(b"another process's result")

    with pytest.raises(OutputPathError, match="exists"):
        faceswap.swap_video(clip, data["source"], out, on_progress=someone_else_writes)
    assert out.read_bytes() == b"another process's result"
    assert no_temps(tmp_path)
