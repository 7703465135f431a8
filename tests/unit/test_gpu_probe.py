"""The one GPU probe (runtime/gpu.py) and what reads it: env.json, the bench, TensorRT.

This machine may have no NVIDIA GPU; where one is present the same tests
check what it reports. The ``nvidia-smi`` parser is checked on the lines a
real ``nvidia-smi --query-gpu`` prints (a stand-in executable on ``PATH``),
since the tool itself only exists next to a driver.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceswap_core.experiment.env import gpu_info
from faceswap_core.runtime.gpu import METHODS, Gpu, find_gpus
from faceswap_core.tools.gpu import MEMORY_METHODS, find_probe

SMI_LINES = (
    "0, NVIDIA H100 80GB HBM3, 81559, 550.54.15\n1, NVIDIA H100 80GB HBM3, 81559, 550.54.15\n"
)


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    find_gpus.cache_clear()
    yield
    find_gpus.cache_clear()


def test_every_reader_sees_the_same_gpus(fresh_probe: None) -> None:
    inventory = find_gpus()
    env = gpu_info()
    if inventory.first is None:
        # no GPU: every method said why, in order, and nothing claims a GPU
        assert inventory.method is None
        assert inventory.reason is not None
        assert len(inventory.reason.split("; ")) == len(METHODS)
        assert env is None
    else:
        assert inventory.method in METHODS
        assert env == [
            {"name": gpu.name, "memory_mib": gpu.memory_mib, "driver": gpu.driver}
            for gpu in inventory.gpus
        ]
    memory = find_probe()
    readable = find_gpus(MEMORY_METHODS)
    if readable.first is None:
        assert memory == readable.reason
    else:
        assert not isinstance(memory, str)
        assert memory.device == readable.first.name


def test_nvidia_smi_lines_become_gpus(
    fresh_probe: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = tmp_path / "nvidia-smi"
    tool.write_text(f"#!/bin/sh\nprintf '{SMI_LINES}'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = find_gpus(("nvidia-smi",))
    assert found.method == "nvidia-smi"
    assert found.gpus == (
        Gpu(0, "NVIDIA H100 80GB HBM3", 81559, "550.54.15"),
        Gpu(1, "NVIDIA H100 80GB HBM3", 81559, "550.54.15"),
    )


def test_a_failing_nvidia_smi_is_a_reason_not_a_crash(
    fresh_probe: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = tmp_path / "nvidia-smi"
    tool.write_text("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = find_gpus(("nvidia-smi",))
    assert found.gpus == ()
    assert found.reason == "nvidia-smi failed (exit 9)"
    with pytest.raises(ValueError, match="unknown GPU probe 'opencl'"):
        find_gpus(("opencl",))
