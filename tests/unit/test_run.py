"""``faceswap train`` / ``faceswap.train`` and ``faceswap data`` in core, with in-test plugins.

Core builds whatever runner or dataset the registry holds; these tests use
small torch-free ones, so they check core's part (config, work_dir, status,
resume rules, error messages, the torchrun hand-off) on their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
import yaml

import faceswap
from faceswap_core import Register, hookimpl
from faceswap_core.errors import ConfigError, InputError
from faceswap_core.experiment import run as run_module
from faceswap_core.experiment.run import (
    config_differences,
    find_resume_dir,
    run_training,
)
from faceswap_core.plugin import directory
from faceswap_core.plugin.manager import FaceswapPlugins


@attrs.frozen
class CountConfig:
    steps: int = 3
    fail: bool = False
    bad_input: bool = False


class CountRunner:
    calls: ClassVar[list[tuple[str, Path, bool]]] = []

    def __init__(self, config: CountConfig) -> None:
        self.config = config

    def check(self, experiment: Any) -> None:
        if self.config.bad_input:
            raise InputError("data folder has no manifest.json")

    def run(self, experiment: Any, work_dir: Path, *, resume: bool = False) -> Mapping[str, Any]:
        CountRunner.calls.append((str(experiment.name), work_dir, resume))
        if self.config.fail:
            raise RuntimeError("diverged")
        pointer = work_dir / "checkpoints"
        pointer.mkdir(exist_ok=True)
        (pointer / "last_checkpoint").write_text(json.dumps({"checkpoint": "c"}))
        return {
            "best_checkpoint": None,
            "last_checkpoint": str(pointer / "c"),
            "steps": self.config.steps,
            "metrics": {"val/ssim": 0.5},
            "extra": "kept",
        }


class CountPlugin:
    @hookimpl
    def register_runners(self, register: Register[Any]) -> None:
        register("count", lambda config, context: CountRunner(config), config=CountConfig)


@pytest.fixture
def plugins(
    faceswap_plugins: FaceswapPlugins, register_plugin: Callable[..., str]
) -> FaceswapPlugins:
    register_plugin(CountPlugin(), name="count-plugin")
    CountRunner.calls.clear()
    return faceswap_plugins


def config_file(tmp_path: Path, **train: Any) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"name": "exp", "seed": 4, "train": {"type": "count", **train}}))
    return path


def test_runs_the_registered_runner_in_a_new_work_dir(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    result = run_training(
        config_file(tmp_path, steps=2), plugins=plugins, root=tmp_path / "work_dirs"
    )
    assert result.work_dir.parent == tmp_path / "work_dirs"
    assert result.work_dir.name.startswith("exp-")
    assert (result.steps, result.metrics, result.summary) == (
        2,
        {"val/ssim": 0.5},
        {"extra": "kept"},
    )
    assert CountRunner.calls == [("exp", result.work_dir, False)]
    saved = yaml.safe_load((result.work_dir / "config.yaml").read_text())
    assert saved["train"] == {"type": "count", "steps": 2, "fail": False, "bad_input": False}
    assert json.loads((result.work_dir / "status.json").read_text()) == {"status": "finished"}
    assert "## Rerun from the saved config" in (result.work_dir / "README.md").read_text()


def test_cli_train_json_is_the_last_line(
    plugins: FaceswapPlugins, tmp_path: Path, faceswap_cli: Callable[..., Any]
) -> None:
    result = faceswap_cli(
        "train",
        "--config",
        str(config_file(tmp_path)),
        "-o",
        str(tmp_path / "run"),
        "--json",
        "--set",
        "train.steps=5",
    )
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()  # JSON Lines: only the summary
    summary = json.loads(line)["summary"]
    assert summary["work_dir"] == str(tmp_path / "run")
    assert (summary["steps"], summary["best_checkpoint"]) == (5, None)
    assert set(summary) >= {"work_dir", "best_checkpoint", "last_checkpoint", "steps", "metrics"}


def test_facade_overrides_are_set_overrides(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    result = faceswap.train(
        config_file(tmp_path), output=tmp_path / "run", overrides=["seed=9", "train.steps=7"]
    )
    assert result.steps == 7
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["seed"] == 9


def test_old_facade_keywords_still_work_and_warn(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    """``work_dir=`` and ``--set`` keywords (``train__steps=7``) are the old spellings."""
    with pytest.warns(faceswap.errors.FaceswapWarning) as caught:
        result = faceswap.train(
            config_file(tmp_path), work_dir=tmp_path / "run", seed=9, train__steps=7
        )
    assert [str(w.message) for w in caught] == [
        "work_dir= is deprecated; use output=",
        "train(seed=, train__steps=) is deprecated; pass overrides=['KEY.PATH=VALUE']",
    ]
    assert all(w.filename == __file__ for w in caught)  # pointed at the caller
    assert result.steps == 7
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["seed"] == 9


def test_old_cli_spellings_still_work_and_warn_once_each(
    plugins: FaceswapPlugins, tmp_path: Path, faceswap_cli: Callable[..., Any]
) -> None:
    """``train CONFIG`` (positional) and ``--work-dir`` keep working, one Warning line each."""
    result = faceswap_cli("train", str(config_file(tmp_path)), "--work-dir", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == [
        "Warning: the positional CONFIG is deprecated; use --config",
        "Warning: --work-dir is deprecated; use -o/--output",
    ]
    assert (tmp_path / "r" / "config.yaml").is_file()
    both = faceswap_cli("train", "--config", "a.yaml", "--work-dir", "x", "-o", "y")
    assert both.exit_code == 2
    assert "--work-dir and -o/--output name the same thing; pass only -o/--output" in both.stderr
    missing = faceswap_cli("train")
    assert missing.exit_code == 2
    assert "Missing option '--config'" in missing.stderr


def test_config_errors_leave_no_run_folder(
    plugins: FaceswapPlugins, tmp_path: Path, faceswap_cli: Callable[..., Any]
) -> None:
    root = tmp_path / "work_dirs"
    bad_key = faceswap_cli(
        "train", "--config", str(config_file(tmp_path, stepz=3)), "-o", str(root / "a")
    )
    assert bad_key.exit_code == 2
    assert "$.train.stepz: unknown key (did you mean 'steps'?)" in bad_key.stderr
    no_data = faceswap_cli(
        "train", "--config", str(config_file(tmp_path, bad_input=True)), "-o", str(root / "b")
    )
    assert no_data.exit_code == 3
    assert no_data.stderr == "Error: data folder has no manifest.json\n"
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\n")
    missing = faceswap_cli("train", "--config", str(plain))
    assert missing.exit_code == 2
    assert "no train: section" in missing.stderr
    assert not root.exists()


def test_a_failing_runner_marks_the_run_failed(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="diverged"):
        run_training(config_file(tmp_path, fail=True), plugins=plugins, work_dir=tmp_path / "run")
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status == {"status": "failed", "error": "diverged", "error_type": "RuntimeError"}
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_without_the_training_plugin_the_error_says_what_to_install(
    faceswap_plugins: FaceswapPlugins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a machine where faceswap-unet is not installed: no installed declarations.
    monkeypatch.setattr(directory, "installed_declarations", dict)
    path = tmp_path / "exp.yaml"
    path.write_text("train: {type: train}\n")
    with pytest.raises(ConfigError, match="Install it with: pip install faceswap-unet") as caught:
        run_training(path, plugins=faceswap_plugins, work_dir=tmp_path / "run")
    assert str(caught.value).startswith("$.train: unknown runner 'train'")
    assert not (tmp_path / "run").exists()


def test_resume_continues_in_the_same_folder(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    root = tmp_path / "work_dirs"
    first = run_training(config_file(tmp_path, steps=2), plugins=plugins, root=root)
    assert find_resume_dir(root, "exp") == first.work_dir
    again = run_training(config_file(tmp_path, steps=4), plugins=plugins, root=root, resume=True)
    assert again.work_dir == first.work_dir
    assert again.steps == 4
    assert CountRunner.calls[-1] == ("exp", first.work_dir, True)
    assert yaml.safe_load((first.work_dir / "config.yaml").read_text())["train"]["steps"] == 4
    with pytest.raises(ConfigError, match="differs from the run's in seed"):
        run_training(config_file(tmp_path), ["seed=5"], plugins=plugins, resume=first.work_dir)
    with pytest.raises(InputError, match="not a run folder"):
        run_training(config_file(tmp_path), plugins=plugins, resume=tmp_path)
    with pytest.raises(InputError, match="nothing to resume"):
        find_resume_dir(root, "other")


def test_config_differences_ignore_only_resumable_keys() -> None:
    old = {"seed": 1, "train": {"steps": 2, "model": {"width": 8}}, "work_dir": None}
    new = {"seed": 1, "train": {"steps": 9, "model": {"width": 16}}, "work_dir": "x"}
    assert config_differences(old, new) == ["train.model.width"]


def test_torchrun_ranks_share_the_folder_rank_0_created(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(run_module.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "abc")
    monkeypatch.setenv("MASTER_PORT", "29500")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert run_module.launcher_rank() == (1, 2)
    with pytest.raises(InputError, match="rank 0 did not create a run folder"):
        run_module.await_work_dir(timeout_s=0.2)
    run_module.publish_work_dir(tmp_path / "run")
    assert run_module.await_work_dir(timeout_s=1) == (tmp_path / "run").resolve()
    # On another node the hand-off file is not visible: --work-dir names the shared folder.
    run_module._handoff_file().unlink()
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    shared = tmp_path / "shared"
    with pytest.raises(InputError):
        run_module.await_work_dir(shared, timeout_s=0.2)
    shared.mkdir()
    (shared / "config.yaml").write_text("name: x\n")
    assert run_module.await_work_dir(shared, timeout_s=1) == shared


# -- faceswap data -------------------------------------------------------------------------


@attrs.frozen
class ToyDataConfig:
    size: int = 8


class ToyDataset:
    calls: ClassVar[list[tuple[str, Any]]] = []

    def __init__(self, config: ToyDataConfig) -> None:
        self.config = config

    def prepare(self, source: Path, out: Path, *, progress: Any = None) -> dict[str, Any]:
        ToyDataset.calls.append(("prepare", (source, out, self.config.size)))
        return {"out": str(out), "crops": 2}

    def download(self, out: Path, *, name: str | None = None) -> dict[str, Any]:
        ToyDataset.calls.append(("download", (out, name)))
        return {"out": str(out)}

    def update(self, root: Path) -> dict[str, Any]:
        ToyDataset.calls.append(("update", root))
        return {"version": "1.1.0"}

    def split(self, root: Path, name: str) -> list[dict[str, Any]]:
        return []


class ToyDataPlugin:
    @hookimpl
    def register_datasets(self, register: Register[Any]) -> None:
        register("toy", lambda config, context: ToyDataset(config), config=ToyDataConfig)


def test_data_commands_dispatch_to_the_named_dataset(
    faceswap_plugins: FaceswapPlugins,
    register_plugin: Callable[..., str],
    faceswap_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    register_plugin(ToyDataPlugin(), name="toy-data")
    ToyDataset.calls.clear()
    prepared = faceswap_cli(
        "data", "toy", "prepare", "--src", str(tmp_path), "-o", str(tmp_path / "o"), "--json"
    )
    assert prepared.exit_code == 0, prepared.output
    assert json.loads(prepared.stdout) == {"summary": {"out": str(tmp_path / "o"), "crops": 2}}
    downloaded = faceswap_cli(
        "data", "toy", "download", "-o", str(tmp_path / "d"), "--dataset", "me/toy"
    )
    assert downloaded.exit_code == 0, downloaded.output
    # --out is the old spelling of both: it works, with one warning
    old = faceswap_cli(
        "data", "toy", "prepare", "--src", str(tmp_path), "--out", str(tmp_path / "p")
    )
    assert old.exit_code == 0, old.output
    assert old.stderr.splitlines() == ["Warning: --out is deprecated; use -o/--output"]
    old = faceswap_cli("data", "toy", "download", "--out", str(tmp_path / "e"))
    assert old.exit_code == 0, old.output
    assert old.stderr.splitlines() == ["Warning: --out is deprecated; use -o/--output"]
    old_folders = {tmp_path / "p", tmp_path / "e"}
    ToyDataset.calls[:] = [call for call in ToyDataset.calls if not set(call[1]) & old_folders]
    (tmp_path / "o").mkdir()
    manifest = {
        "schema": "faceswap.dataset-manifest/1",
        "version": "1.0.0",
        "name": "toy",
        "files": [],
    }
    (tmp_path / "o" / "manifest.json").write_text(json.dumps(manifest))
    updated = faceswap_cli("data", "update", str(tmp_path / "o"), "--json")
    assert updated.exit_code == 0, updated.output
    assert ToyDataset.calls == [
        ("prepare", (tmp_path, tmp_path / "o", 8)),
        ("download", (tmp_path / "d", "me/toy")),
        ("update", tmp_path / "o"),
    ]
    listing = faceswap_cli("data", "--help")
    assert "toy" in listing.stdout
    assert "update" in listing.stdout


def test_data_for_an_unknown_dataset_names_the_plugin(
    faceswap_plugins: FaceswapPlugins,
    faceswap_cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(directory, "installed_declarations", dict)
    lfw = faceswap_cli(
        "data", "lfw", "prepare", "--src", str(tmp_path), "--out", str(tmp_path / "o")
    )
    assert lfw.exit_code == 2
    assert "unknown dataset 'lfw'" in lfw.stderr
    assert "pip install faceswap-unet" in lfw.stderr
    update = faceswap_cli("data", "update", str(tmp_path))
    assert update.exit_code == 3
    assert "no manifest.json" in update.stderr
