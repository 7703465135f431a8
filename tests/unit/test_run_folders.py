"""Run folders appear complete or not at all, and a full disk still marks a run failed."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.errors import DiskFullError
from faceswap_core.experiment.workdir import (
    WorkDir,
    create_work_dir,
    discard_work_dir,
    reveal_work_dir,
)
from faceswap_core.io.atomic import atomic_write_json, is_temp_path
from faceswap_core.plugin.manager import FaceswapPlugins

NOW = dt.datetime(2024, 5, 1, 12, 30, 5)


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def make(root: Path, plugins: FaceswapPlugins, **options: Any) -> WorkDir:
    return create_work_dir(
        ExperimentConfig(name="exp"),
        argv=["faceswap", "train", "exp.yaml"],
        root=root,
        now=NOW,
        plugins=plugins,
        env={"python": "3"},
        **options,
    )


def test_a_failure_while_creating_leaves_nothing(tmp_path: Path, plugins: FaceswapPlugins) -> None:
    def broken_env() -> dict[str, Any]:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        create_work_dir(
            ExperimentConfig(name="exp"),
            argv=[],
            root=tmp_path,
            now=NOW,
            plugins=plugins,
            env_factory=broken_env,
        )
    assert list(tmp_path.iterdir()) == []


def test_the_folder_appears_with_every_file_and_its_status(
    tmp_path: Path, plugins: FaceswapPlugins
) -> None:
    folder = make(tmp_path, plugins, status={"status": "running"})
    assert folder.path == tmp_path / "exp-20240501-123005"
    names = sorted(p.name for p in folder.path.iterdir())
    assert names == ["README.md", "config.yaml", "env.json", "logs", "plugins.json", "status.json"]
    assert json.loads(folder.status.read_text()) == {"status": "running"}
    assert [p for p in tmp_path.iterdir() if is_temp_path(p)] == []


def test_a_taken_name_gets_a_suffix_and_the_readme_says_where(
    tmp_path: Path, plugins: FaceswapPlugins
) -> None:
    first = make(tmp_path, plugins)
    second = make(tmp_path, plugins)
    assert second.path == first.path.with_name(first.path.name + "-1")
    assert f"Work dir: `{second.path}`" in second.readme.read_text()
    assert f"Work dir: `{first.path}`" in first.readme.read_text()


def test_an_empty_folder_made_ahead_is_used(tmp_path: Path, plugins: FaceswapPlugins) -> None:
    ahead = tmp_path / "prepared"
    ahead.mkdir()
    folder = make(tmp_path, plugins, work_dir=ahead)
    assert folder.path == ahead
    assert folder.config.is_file()


def test_a_staged_folder_is_hidden_until_revealed(tmp_path: Path, plugins: FaceswapPlugins) -> None:
    staged = make(tmp_path, plugins, publish=False)
    assert is_temp_path(staged.path)
    assert [p.name for p in tmp_path.iterdir()] == [staged.path.name]
    final = reveal_work_dir(staged)
    assert final.path == tmp_path / "exp-20240501-123005"
    assert [p.name for p in tmp_path.iterdir()] == [final.path.name]
    discarded = make(tmp_path, plugins, publish=False)
    discard_work_dir(discarded)
    assert [p.name for p in tmp_path.iterdir()] == [final.path.name]


def fill(path: Path) -> None:
    """Take every block that is left on ``path``'s file system."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                os.write(fd, b"x" * 4096)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return
    finally:
        os.close(fd)


def test_status_is_marked_failed_even_on_a_full_disk(
    small_disk: Callable[[str], Path], plugins: FaceswapPlugins
) -> None:
    disk = small_disk("64k")
    folder = make(disk, plugins, status={"status": "running", "world_size": 1})
    fill(disk / "filler")
    with pytest.raises(DiskFullError):  # not even a temporary file fits now
        atomic_write_json(folder.path / "probe.json", {"status": "probe"})
    folder.set_status("failed", error="no space", error_type="DiskFullError")
    assert json.loads(folder.status.read_text()) == {
        "status": "failed",
        "error": "no space",
        "error_type": "DiskFullError",
    }
