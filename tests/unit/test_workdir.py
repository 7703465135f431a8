"""Run folders: layout, precedence, env hash, never overwriting an existing run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from faceswap_core.config.convert import structure
from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.experiment.env import capture_env, env_hash, installed_distributions
from faceswap_core.experiment.jsonlog import read_jsonl
from faceswap_core.experiment.workdir import claim_dir, create_work_dir, resolve_work_dir
from faceswap_core.plugin.manager import FaceswapPlugins

NOW = dt.datetime(2024, 5, 1, 12, 30, 5)
ARGV = ["faceswap", "train", "configs/face_swap/smoke.yaml", "--set", "seed=3"]


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(load_entry_points=False, strict=True)


def make(tmp_path: Path, plugins: FaceswapPlugins, **kwargs: object) -> Path:
    config = kwargs.pop("config", ExperimentConfig(name="smoke", seed=3))
    folder = create_work_dir(
        config,  # type: ignore[arg-type]
        argv=ARGV,
        config_path="configs/face_swap/smoke.yaml",
        root=tmp_path / "work_dirs",
        now=NOW,
        plugins=plugins,
        env={"env_hash": "abc", "packages": {}},
        **kwargs,  # type: ignore[arg-type]
    )
    return folder.path


def test_layout(tmp_path: Path, plugins: FaceswapPlugins) -> None:
    path = make(tmp_path, plugins)
    assert path == tmp_path / "work_dirs" / "smoke-20240501-123005"
    assert sorted(p.name for p in path.iterdir()) == [
        "README.md",
        "config.yaml",
        "env.json",
        "logs",
        "plugins.json",
    ]
    config = structure(yaml.safe_load((path / "config.yaml").read_text()), ExperimentConfig)
    assert config == ExperimentConfig(name="smoke", seed=3)
    env = json.loads((path / "env.json").read_text())
    assert env["argv"] == ARGV
    assert env["config_path"] == "configs/face_swap/smoke.yaml"
    listing = json.loads((path / "plugins.json").read_text())
    assert [row["name"] for row in listing] == ["faceswap-core"]
    assert "classic" in listing[0]["components"]["swapper"]
    readme = (path / "README.md").read_text()
    assert "faceswap train configs/face_swap/smoke.yaml --set seed=3" in readme
    assert (path / "logs" / "run.jsonl").read_text() == ""


def test_logger_appends_json_lines_to_run_log(tmp_path: Path) -> None:
    from faceswap_core.experiment.workdir import WorkDir

    folder = WorkDir(tmp_path)
    with folder.logger(run="x") as log:
        log.info("start", step=0)
    assert read_jsonl(folder.run_log)[0]["run"] == "x"


def test_name_clash_in_the_same_second_gets_a_suffix(
    tmp_path: Path, plugins: FaceswapPlugins
) -> None:
    first = make(tmp_path, plugins)
    (first / "config.yaml").write_text("sentinel")
    second = make(tmp_path, plugins)
    third = make(tmp_path, plugins)
    assert second.name == first.name + "-1"
    assert third.name == first.name + "-2"
    assert (first / "config.yaml").read_text() == "sentinel"


def test_explicit_work_dir_wins_and_is_never_overwritten(
    tmp_path: Path, plugins: FaceswapPlugins
) -> None:
    config = ExperimentConfig(name="smoke", work_dir=str(tmp_path / "from_config"))
    chosen = make(tmp_path, plugins, config=config, work_dir=tmp_path / "cli")
    assert chosen == tmp_path / "cli"
    again = make(tmp_path, plugins, config=config, work_dir=tmp_path / "cli")
    assert again == tmp_path / "cli-1"
    from_config = make(tmp_path, plugins, config=config)
    assert from_config == tmp_path / "from_config"


def test_precedence_without_a_name_uses_the_config_stem() -> None:
    args = {"name": "baseline", "now": NOW, "root": "work_dirs"}
    assert resolve_work_dir(cli_work_dir="a", config_work_dir="b", **args) == Path("a")  # type: ignore[arg-type]
    assert resolve_work_dir(cli_work_dir=None, config_work_dir="b", **args) == Path("b")  # type: ignore[arg-type]
    assert resolve_work_dir(cli_work_dir=None, config_work_dir=None, **args) == Path(  # type: ignore[arg-type]
        "work_dirs/baseline-20240501-123005"
    )


def test_unnamed_config_uses_the_file_stem(tmp_path: Path, plugins: FaceswapPlugins) -> None:
    path = make(tmp_path, plugins, config=ExperimentConfig())
    assert path.name == "smoke-20240501-123005"


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    target = tmp_path / "prepared"
    target.mkdir()
    assert claim_dir(target) == target


def test_env_json_hash_is_stable_and_tracks_packages(
    tmp_path: Path, plugins: FaceswapPlugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ExperimentConfig(name="h")

    def run() -> dict[str, object]:
        folder = create_work_dir(
            config,
            argv=ARGV,
            root=tmp_path,
            now=NOW,
            plugins=plugins,
            env_factory=lambda: capture_env(gpu=False),
        )
        return json.loads(folder.env.read_text())  # type: ignore[no-any-return]

    first, second = run(), run()
    assert first["env_hash"] == second["env_hash"] == env_hash(installed_distributions())
    real = installed_distributions()
    monkeypatch.setattr(
        "faceswap_core.experiment.env.installed_distributions",
        lambda: {**real, "numpy": real["numpy"] + ".post1"},
    )
    assert run()["env_hash"] != first["env_hash"]
