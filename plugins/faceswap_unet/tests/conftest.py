"""Fixtures for faceswap-unet: the tiny dataset and one smoke run, each built once per session.

``FACESWAP_HOME`` points at a session folder, so the tiny dataset is built
from the sample faces of installed packages exactly once, through the same
preparation code users run, and nothing touches the user's cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("FACESWAP_STRICT_PLUGINS", "1")

REPO = Path(__file__).resolve().parents[3]
SMOKE = REPO / "configs" / "face_swap" / "smoke.yaml"


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> None:
    """Tiny models gain nothing from a second thread, and on a shared 2-core machine two
    OpenMP threads that wait for each other make a training step many times slower."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def faceswap_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("faceswap-home")
    previous = os.environ.get("FACESWAP_HOME")
    os.environ["FACESWAP_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("FACESWAP_HOME", None)
    else:
        os.environ["FACESWAP_HOME"] = previous


@pytest.fixture(scope="session")
def tiny(faceswap_home: Path) -> Path:
    """The prepared tiny dataset (its raw LFW tree is ``tiny.parent / "raw"``)."""
    from faceswap_unet.data.tiny import build_tiny

    return build_tiny()


def run_faceswap(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``faceswap ARGS`` in a subprocess (the CLI contract), with this session's FACESWAP_HOME."""
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "faceswap_core", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def last_json(stdout: str) -> dict[str, Any]:
    """The summary of a ``--json`` command: stdout is JSON Lines ending in ``{"summary": ...}``."""
    lines = stdout.strip().splitlines()
    rows = [json.loads(line) for line in lines]  # every line is JSON
    data = rows[-1]["summary"]
    assert isinstance(data, dict)
    return data


def train_smoke(
    work_dir: Path, *overrides: str, extra: Sequence[str] = ()
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    args = ["train", "--config", str(SMOKE), "-o", str(work_dir), "--json", *extra]
    for text in overrides:
        args += ["--set", text]
    done = run_faceswap(*args)
    summary = last_json(done.stdout) if done.returncode == 0 else None
    return done, summary


@pytest.fixture(scope="session")
def smoke_run(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``faceswap train configs/face_swap/smoke.yaml --json`` once: its folder and summary."""
    folder = tmp_path_factory.mktemp("runs") / "smoke"
    done, summary = train_smoke(folder)
    assert done.returncode == 0, done.stderr[-3000:]
    assert summary is not None
    return folder, summary
