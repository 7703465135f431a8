"""``faceswap config show``: resolved YAML on success, one ``Error:`` line and exit 2 otherwise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from click.testing import CliRunner

from faceswap_core import hookimpl
from faceswap_core.cli.main import make_cli
from faceswap_core.config.convert import structure
from faceswap_core.config.schema import ExperimentConfig
from faceswap_core.plugin.manager import FaceswapPlugins, set_plugins

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@attrs.frozen
class ProbeConfig:
    score: float = 0.5


class ProbePlugin:
    """An in-test plugin providing a detector, recognizer and landmarker."""

    @hookimpl
    def register_detectors(self, register: Callable[..., None]) -> None:
        register("probe-det", lambda config, context: None, config=ProbeConfig)

    @hookimpl
    def register_recognizers(self, register: Callable[..., None]) -> None:
        register("probe-rec", lambda config, context: None, config=ProbeConfig)

    @hookimpl
    def register_landmarkers(self, register: Callable[..., None]) -> None:
        register("probe-lm", lambda config, context: None)


@pytest.fixture
def cli() -> Any:
    manager = FaceswapPlugins(load_entry_points=False, strict=True)
    manager.register(ProbePlugin(), name="probe")
    previous = set_plugins(None)
    yield make_cli(manager)
    set_plugins(previous)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(
        "seed: 4\npipeline:\n  detector: {type: probe-det, score: 0.7}\n"
        "  recognizer: {type: probe-rec}\n  landmarker: {type: probe-lm}\n"
    )
    path = tmp_path / "exp.yaml"
    path.write_text("_base_: base.yaml\nname: probe\npipeline: {faces: largest}\n")
    return path


def invoke(cli: Any, *args: str) -> Any:
    return CliRunner().invoke(cli, ["config", "show", *args])


def test_show_prints_the_resolved_config(cli: Any, config_file: Path) -> None:
    result = invoke(cli, str(config_file))
    assert result.exit_code == 0, result.output
    config = structure(yaml.safe_load(result.stdout), ExperimentConfig)
    assert config.name == "probe"
    assert config.seed == 4
    assert config.pipeline.faces == "largest"
    assert config.pipeline.detector == {"type": "probe-det", "score": 0.7}
    assert "_base_" not in result.stdout


def test_set_overrides(cli: Any, config_file: Path) -> None:
    result = invoke(
        cli, str(config_file), "--set", "seed=11", "--set", "pipeline.detector.score=0.9"
    )
    assert result.exit_code == 0, result.output
    config = structure(yaml.safe_load(result.stdout), ExperimentConfig)
    assert config.seed == 11
    assert config.pipeline.detector["score"] == 0.9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "pipeline.facez=all"], "unknown key $.pipeline.facez"),
        (["--set", "seed=fast"], "$.seed: expected int, got 'fast'"),
        (["--set", "pipeline.faces=some"], "expected one of 'all', 'largest', 'reference'"),
        (["--set", "pipeline.detector.scor=0.9"], "$.pipeline.detector.scor: unknown key"),
        (["--set", "pipeline.detector=nope"], "$.pipeline.detector: unknown detector 'nope'"),
        (["--set", "plugins=[faceswap-nonexistent>=1]"], "Missing required plugins"),
        (["--set", "novalue"], "expected KEY.PATH=VALUE"),
    ],
)
def test_bad_values_exit_2_with_one_line(
    cli: Any, config_file: Path, args: list[str], message: str
) -> None:
    result = invoke(cli, str(config_file), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert message in lines[0]


def test_bad_key_in_file_exits_2(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("seed: 1\npipline: {faces: all}\n")
    result = invoke(cli, str(path))
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: $.pipline: unknown key (did you mean 'pipeline'?)"


def test_missing_file_exits_2(cli: Any, tmp_path: Path) -> None:
    result = invoke(cli, str(tmp_path / "absent.yaml"))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "config file not found" in result.stderr


def test_shipped_smoke_config_with_installed_plugins() -> None:
    manager = FaceswapPlugins(strict=True)
    previous = set_plugins(None)
    try:
        result = CliRunner().invoke(
            make_cli(manager),
            ["config", "show", str(CONFIGS / "face_swap" / "smoke.yaml"), "--set", "seed=2"],
        )
    finally:
        set_plugins(previous)
    assert result.exit_code == 0, result.output
    config = structure(yaml.safe_load(result.stdout), ExperimentConfig)
    assert (config.name, config.seed) == ("smoke", 2)
    assert config.pipeline.detector == {"type": "retinaface"}
