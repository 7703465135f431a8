"""SIGINT, SIGTERM and SIGHUP stop a command cleanly; SIGKILL leftovers are swept (issue 17).

Real signals to real processes. On main, SIGTERM during ``faceswap video``
left ``.OUT.tmp-*.mp4`` behind, Ctrl-C printed ``Aborted!`` with exit 1, and a
training run killed with SIGKILL left ``.step-*.ckpt.tmp-*`` folders that no
resume ever removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from tests.video.clips import encode, pan_zoom

from faceswap_core.cli.main import make_cli
from faceswap_core.io.atomic import is_temp_path
from faceswap_core.plugin.manager import FaceswapPlugins


def default_signals() -> None:  # in the child: the test runner may ignore some signals
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


def temps(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if is_temp_path(path)]


def wait_for(condition: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the child")


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory, astronaut_image: np.ndarray) -> Path:
    frames, _ = pan_zoom(
        astronaut_image, (160, 120), 200, centre=(225, 120), travel=(30, 0), scale=0.4, zoom=0.05
    )
    return encode(tmp_path_factory.mktemp("signals") / "long.mp4", frames)


@pytest.mark.parametrize(("name", "code"), [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_signal_during_video_removes_the_temporary_file(
    long_clip: Path, tom_hanks_path: Path, tmp_path: Path, name: str, code: int
) -> None:
    out = tmp_path / "out.mp4"
    args = ["video", "-s", str(tom_hanks_path), "-t", str(long_clip), "-o", str(out)]
    child = subprocess.Popen(
        [sys.executable, "-m", "faceswap_core", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        preexec_fn=default_signals,
    )
    wait_for(lambda: bool(temps(tmp_path)) or child.poll() is not None)
    assert child.poll() is None, "the video finished before the signal: make the clip longer"
    child.send_signal(getattr(signal, name))
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == code, stderr
    assert [line for line in stderr.splitlines() if line.strip()] == [
        f"Error: interrupted by {name}"
    ]
    assert list(tmp_path.iterdir()) == []  # no output and no temporary file


def test_help_documents_the_signal_exit_codes() -> None:
    result = CliRunner().invoke(make_cli(FaceswapPlugins(strict=True)), ["--help"])
    text = " ".join(result.output.split())
    for code, name in ((129, "SIGHUP"), (130, "SIGINT"), (143, "SIGTERM")):
        assert f"{code} stopped by" in text
        assert name in text


# -- checkpoints: a killed run's temporary folders -------------------------------------------

LOOP = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from faceswap_core.cli.main import install_signal_handlers
    from faceswap_core.errors import Interrupted
    from faceswap_core.experiment.loop import TrainingLoop

    folder, mode = Path(sys.argv[1]), sys.argv[2]

    def save(temp: Path, step: int) -> None:
        temp.mkdir()
        (temp / "weights.bin").write_bytes(b"half a checkpoint")
        if mode != "finish":
            print("saving", flush=True)
            time.sleep(120)  # killed here
        (temp / "state.json").write_text("{}")

    if mode == "term":
        install_signal_handlers()
    loop = TrainingLoop(
        lambda step: {"loss": 1.0 / step}, max_steps=3, save_fn=save, checkpoint_dir=folder
    )
    try:
        loop.run(resume=mode == "finish")
    except Interrupted as exc:
        sys.exit(exc.exit_code)
    """
)


def start_loop(folder: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LOOP, str(folder), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )


def test_sigkill_leftovers_are_swept_when_training_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    child = start_loop(folder, "kill")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "saving"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    (stale,) = temps(folder)
    assert stale.name.startswith(".step-00000003")
    resumed = start_loop(folder, "finish")
    _, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    assert temps(folder) == []
    assert (folder / "step-00000003.ckpt" / "state.json").is_file()


def test_sigterm_while_a_checkpoint_is_written_removes_it(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    child = start_loop(folder, "term")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "saving"
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=60)
    assert child.returncode == 143
    assert temps(folder) == []
