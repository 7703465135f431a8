"""Typed configs: files, inheritance, overrides, strict errors with paths, seeds, plugin checks."""

from __future__ import annotations

import random
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.config.convert import structure, unstructure
from faceswap_core.config.loader import deep_merge, dump_config, load_config, load_raw
from faceswap_core.config.overrides import apply_overrides
from faceswap_core.config.requirements import check_plugin_requirements
from faceswap_core.config.schema import ExperimentConfig, PasteConfig, PipelineConfig
from faceswap_core.errors import ConfigError, MissingPluginError
from faceswap_core.experiment.seeding import apply_seed
from faceswap_core.io.limits import LimitsConfig
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.plugin.references import validate_components

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- files and inheritance -------------------------------------------------------


def test_base_inheritance_deep_merges_relative_to_the_file(tmp_path: Path) -> None:
    write(
        tmp_path / "bases" / "root.yaml",
        "seed: 5\npipeline:\n  faces: largest\n  paste: {blur: 3}\n",
    )
    child = write(
        tmp_path / "exp" / "child.yaml",
        "_base_: ../bases/root.yaml\npipeline:\n  paste: {erode: 2}\n",
    )
    config, raw = load_config(child)
    assert config.seed == 5
    assert config.pipeline.faces == "largest"
    assert config.pipeline.paste == PasteConfig(erode=2, blur=3)
    assert "_base_" not in raw


def test_list_of_bases_later_wins_and_file_wins_over_bases(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "seed: 1\nname: a\npipeline: {faces: largest}\n")
    write(tmp_path / "b.yaml", "seed: 2\npipeline: {threshold: 0.4}\n")
    child = write(tmp_path / "c.yaml", "_base_: [a.yaml, b.yaml]\nname: c\n")
    config, _ = load_config(child)
    assert (config.name, config.seed) == ("c", 2)
    assert config.pipeline.faces == "largest"
    assert config.pipeline.threshold == 0.4


def test_inheritance_cycle_is_detected(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "_base_: b.yaml\n")
    write(tmp_path / "b.yaml", "_base_: [a.yaml]\n")
    with pytest.raises(ConfigError, match="cycle") as info:
        load_raw(tmp_path / "a.yaml")
    assert "a.yaml" in str(info.value)
    assert "b.yaml" in str(info.value)


def test_missing_base_names_the_referring_file(tmp_path: Path) -> None:
    child = write(tmp_path / "c.yaml", "_base_: nowhere.yaml\n")
    with pytest.raises(ConfigError, match=r"c\.yaml: base config not found: nowhere\.yaml"):
        load_raw(child)


def test_delete_key_replaces_instead_of_merging() -> None:
    base = {"pipeline": {"detector": {"type": "retinaface", "score": 0.5}}}
    override = {"pipeline": {"detector": {"_delete_": True, "type": "insightface"}}}
    assert deep_merge(base, override)["pipeline"]["detector"] == {"type": "insightface"}


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("seed: 1\npipeline:\n  faces: [all\n", r"line \d+, column \d+"),
        ("- a\n- b\n", "must contain a mapping at the top level, got list"),
        ("just text\n", "must contain a mapping at the top level, got str"),
        ("seed: 1\nseed: 2\n", "duplicate key 'seed'"),
    ],
)
def test_bad_files_are_config_errors(tmp_path: Path, text: str, pattern: str) -> None:
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError, match=pattern) as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_yaml_syntax_error_reports_the_right_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "name: x\nseed: 1\npipeline: {faces: all\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: line 4"):
        load_config(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="not a file"):
        load_config(tmp_path)


# -- strict structuring ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seed": "fast"}, "$.seed: expected int, got 'fast'"),
        ({"seed": 1.5}, "$.seed: expected int, got 1.5"),
        ({"pipeline": {"threshold": "fast"}}, "$.pipeline.threshold: expected float, got 'fast'"),
        (
            {"pipeline": {"faces": "some"}},
            "$.pipeline.faces: expected one of 'all', 'largest', 'reference', got 'some'",
        ),
        ({"pipeline": {"provenance": "yes"}}, "$.pipeline.provenance: expected bool, got 'yes'"),
        ({"pipeline": {"facez": "all"}}, "$.pipeline.facez: unknown key (did you mean 'faces'?)"),
        ({"pipeline": {"paste": {"blur": 1, "bogus": 2}}}, "$.pipeline.paste.bogus: unknown key"),
        ({"pipeline": {"limits": 3}}, "$.pipeline.limits: expected a mapping, got 3"),
        ({"pipeline": {"detector": "retinaface"}}, "$.pipeline.detector: expected a mapping"),
        ({"plugins": "faceswap-unet"}, "$.plugins: expected a list, got 'faceswap-unet'"),
        ({"plugins": ["ok>=1", 3]}, "$.plugins[1]: expected str, got 3"),
        ({"plugins": ["faceswap unet"]}, "$.plugins[0]: expected pip requirements"),
        ({"seed": -1}, "$.seed: must be between 0 and 4294967295, got -1"),
        ({"name": "a/b"}, "$.name: expected a folder-safe name"),
        ({"trainer": {"lr": 0.1}}, "$.trainer: unknown key (did you mean 'train'?)"),
    ],
)
def test_errors_carry_path_and_expected_type(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        structure(data, ExperimentConfig)
    assert message in str(info.value)


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        structure(
            {"seed": "x", "pipeline": {"faces": 1, "paste": {"erode": "a"}}}, ExperimentConfig
        )
    text = str(info.value)
    for path in ("$.seed", "$.pipeline.faces", "$.pipeline.paste.erode"):
        assert path in text


# -- overrides -------------------------------------------------------------------------


def test_overrides_are_typed_by_the_target_field(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "name: base\npipeline: {paste: {blur: 3}}\n")
    config, raw = load_config(
        path,
        [
            "seed=7",
            "name=2024",
            "pipeline.faces=largest",
            "pipeline.threshold=0.25",
            "pipeline.paste.erode=1",
            "pipeline.detector=insightface",
            "plugins=[faceswap-retinaface>=0.1]",
        ],
    )
    assert config.seed == 7
    assert config.name == "2024"  # a str field keeps the text
    assert config.pipeline.faces == "largest"
    assert config.pipeline.threshold == 0.25
    assert config.pipeline.paste == PasteConfig(erode=1, blur=3)
    assert config.pipeline.detector == {"type": "insightface"}
    assert config.plugins == ["faceswap-retinaface>=0.1"]
    assert raw["pipeline"]["paste"] == {"blur": 3, "erode": 1}


def test_override_type_mismatch_is_caught_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "seed: 1\n")
    with pytest.raises(ConfigError, match=r"\$\.seed: expected int, got 'fast'"):
        load_config(path, ["seed=fast"])
    with pytest.raises(ConfigError, match=r"\$\.pipeline\.paste\.blur: expected int, got 2\.5"):
        load_config(path, ["pipeline.paste.blur=2.5"])


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        ("pipeline.facez=all", r"unknown key \$\.pipeline\.facez \(did you mean 'faces'\?\)"),
        ("trian.lr=0.1", r"unknown key \$\.trian"),
        ("seed.x=1", r"\$\.seed is a value of type int"),
        ("seed", "expected KEY.PATH=VALUE"),
        ("=3", "expected KEY.PATH=VALUE"),
        ("pipeline..faces=all", "expected KEY.PATH=VALUE"),
        ("pipeline.faces=[a", "cannot parse --set"),
    ],
)
def test_bad_override_paths(override: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        apply_overrides({}, [override], ExperimentConfig)


def test_component_params_are_free_form_until_validated() -> None:
    raw = apply_overrides(
        {"pipeline": {"detector": {"type": "retinaface"}}},
        ["pipeline.detector.score_threshold=0.6"],
        ExperimentConfig,
    )
    assert raw["pipeline"]["detector"] == {"type": "retinaface", "score_threshold": 0.6}


# -- seeds ---------------------------------------------------------------------------------


def _draw() -> tuple[list[float], list[float]]:
    return [random.random() for _ in range(5)], np.random.rand(5).tolist()


def test_seed_makes_random_and_numpy_reproducible() -> None:
    assert apply_seed(123)[:2] == ["random", "numpy"]
    first = _draw()
    apply_seed(123)
    assert _draw() == first
    apply_seed(124)
    assert _draw() != first


def test_seed_never_imports_torch_on_its_own() -> None:
    had_torch = "torch" in sys.modules
    seeded = apply_seed(1)
    assert ("torch" in sys.modules) == had_torch
    assert ("torch" in seeded) == had_torch


def test_seed_reaches_an_already_imported_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    fake = types.SimpleNamespace(manual_seed=calls.append, cuda=None)
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert "torch" in apply_seed(9)
    assert calls == [9]


@pytest.mark.parametrize("seed", [-1, 2**32, True])
def test_bad_seed(seed: int) -> None:
    with pytest.raises(ConfigError, match=r"\$\.seed"):
        apply_seed(seed)


# -- plugin requirements -------------------------------------------------------------------


def test_installed_plugin_requirement_passes() -> None:
    check_plugin_requirements(["faceswap-core>=0.1", "faceswap-retinaface"])


def test_missing_plugin_requirement_says_what_to_install() -> None:
    with pytest.raises(MissingPluginError) as info:
        check_plugin_requirements(["faceswap-core>=99", "faceswap-nonexistent>=0.1", "pluggy"])
    text = str(info.value)
    assert text.startswith("Missing required plugins: ")
    assert "faceswap-nonexistent>=0.1 (not installed)" in text
    assert "faceswap-core>=99 (0.1.0 installed)" in text
    assert "pip install 'faceswap-core>=99' 'faceswap-nonexistent>=0.1'" in text
    assert "pluggy" not in text.split("Install")[0]


def test_missing_plugin_fails_load_config(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "plugins: ['faceswap-nonexistent>=0.1']\n")
    with pytest.raises(MissingPluginError, match="faceswap-nonexistent"):
        load_config(path)
    config, _ = load_config(path, check_plugins=False)
    assert config.plugins == ["faceswap-nonexistent>=0.1"]


# -- second-phase component validation ---------------------------------------------------


def test_validate_components_reports_unknown_names_and_bad_params_with_paths() -> None:
    plugins = FaceswapPlugins(load_entry_points=False, strict=True)
    config = structure(
        {
            "pipeline": {
                "swapper": {"type": "classic", "crop_size": "big", "blendd": "feather"},
                "runtime": {"type": "onnxruntime", "threads": 2},
            }
        },
        ExperimentConfig,
    )
    with pytest.raises(ConfigError) as info:
        validate_components(config, plugins)
    text = str(info.value)
    assert "$.pipeline.swapper.crop_size: expected int, got 'big'" in text
    assert "$.pipeline.swapper.blendd: unknown key" in text
    assert "$.pipeline.detector: unknown detector 'retinaface'" in text
    # The test's manager loads no entry points, so the installed plugin is named as unloaded.
    assert "It comes from faceswap-retinaface, which is installed but not loaded" in text
    assert "$.pipeline.runtime" not in text


def test_validate_components_structures_params_without_building() -> None:
    from faceswap_core.runtime.config import OnnxRuntimeConfig
    from faceswap_core.swappers.configs import ClassicConfig

    plugins = FaceswapPlugins(load_entry_points=False, strict=True)
    pipeline = structure(
        {"swapper": {"type": "classic", "crop_size": 128}, "runtime": {"type": "onnxruntime"}},
        PipelineConfig,
    )
    resolved = validate_components_for(pipeline, plugins)
    assert resolved["$.pipeline.swapper"] == ClassicConfig(crop_size=128)
    assert resolved["$.pipeline.runtime"] == OnnxRuntimeConfig()


def validate_components_for(pipeline: PipelineConfig, plugins: FaceswapPlugins) -> dict[str, Any]:
    """Validate only core's own components (detector etc. come from a plugin)."""
    from faceswap_core.plugin.references import component_refs

    config = ExperimentConfig(pipeline=pipeline)
    out = {}
    for where, kind, ref in component_refs(config):
        if kind in ("swapper", "runtime"):
            out[where] = plugins.resolve(kind, ref, path=where)[1]
    return out


# -- shipped configs ---------------------------------------------------------------------


SHIPPED = sorted(CONFIGS.rglob("*.yaml"))


def test_configs_are_shipped() -> None:
    names = {p.relative_to(CONFIGS).as_posix() for p in SHIPPED}
    assert {"face_swap/baseline.yaml", "face_swap/smoke.yaml"} <= names


@pytest.fixture(scope="module")
def installed_plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(CONFIGS).as_posix())
def test_every_shipped_config_is_valid(path: Path, installed_plugins: FaceswapPlugins) -> None:
    config, _ = load_config(path)
    validate_components(config, installed_plugins)
    assert structure(yaml.safe_load(dump_config(config)), type(config)) == config


def test_smoke_inherits_from_baseline() -> None:
    baseline, _ = load_config(CONFIGS / "face_swap" / "baseline.yaml")
    smoke, _ = load_config(CONFIGS / "face_swap" / "smoke.yaml")
    assert baseline.pipeline.detector == {"type": "retinaface"}
    assert smoke.pipeline.detector == baseline.pipeline.detector
    assert smoke.plugins == baseline.plugins == ["faceswap-retinaface>=0.1"]
    assert smoke.pipeline.faces == "largest"
    assert smoke.name == "smoke"


# -- round trips ------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.text(max_size=8),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
_params = st.dictionaries(
    st.text(st.characters(categories=["Ll"]), min_size=1, max_size=6).filter(lambda k: k != "type"),
    _scalars,
    max_size=3,
)
_ref = st.builds(
    lambda name, params: {"type": name, **params}, st.sampled_from(["a", "b2"]), _params
)

pipelines = st.builds(
    PipelineConfig,
    detector=_ref,
    recognizer=_ref,
    landmarker=_ref,
    swapper=_ref,
    runtime=_ref,
    faces=st.sampled_from(["all", "largest", "reference"]),
    threshold=st.none() | st.floats(0, 2, exclude_min=True, allow_nan=False),
    paste=st.builds(
        PasteConfig,
        mask=st.sampled_from(["auto", "model", "hull", "box"]),
        erode=st.integers(0, 64),
        blur=st.integers(0, 64),
        color_match=st.booleans(),
    ),
    limits=st.builds(
        LimitsConfig, max_pixels=st.integers(1, 10**9), max_bytes=st.integers(1, 10**9)
    ),
    provenance=st.booleans(),
)
experiments = st.builds(
    ExperimentConfig,
    name=st.none() | st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=10),
    seed=st.integers(0, 2**32 - 1),
    plugins=st.lists(st.sampled_from(["faceswap-unet>=0.1", "faceswap-trt", "x==1.0"]), max_size=3),
    work_dir=st.none() | st.text(min_size=1, max_size=10),
    pipeline=pipelines,
)


@settings(max_examples=60, deadline=None)
@given(pipeline=pipelines)
def test_pipeline_config_round_trips(pipeline: PipelineConfig) -> None:
    assert structure(unstructure(pipeline), PipelineConfig) == pipeline


@settings(max_examples=60, deadline=None)
@given(config=experiments)
def test_experiment_config_round_trips_through_yaml(config: ExperimentConfig) -> None:
    assert structure(unstructure(config), ExperimentConfig) == config
    assert structure(yaml.safe_load(dump_config(config)), type(config)) == config


def test_pipeline_defaults_with_overrides_without_a_file() -> None:
    from faceswap_core.config.loader import load_pipeline_config

    assert load_pipeline_config() == PipelineConfig()
    pipeline = load_pipeline_config(["pipeline.faces=largest", "threshold=0.3", "paste.blur=1"])
    assert (pipeline.faces, pipeline.threshold, pipeline.paste.blur) == ("largest", 0.3, 1)
    with pytest.raises(ConfigError, match=r"\$\.pipeline\.faces: expected one of"):
        load_pipeline_config(["faces=some"])


def test_nested_component_references_are_checked_with_their_path() -> None:
    """A runner's params naming losses: each loss name and its params are checked too."""
    import attrs

    from faceswap_core import Register, hookimpl

    @attrs.frozen
    class LossConfig:
        weight: float = 1.0

    @attrs.frozen
    class RunnerConfig:
        losses: list[dict[str, Any]] = attrs.field(factory=list, metadata={"component": "loss"})

    class Plugin:
        @hookimpl
        def register_runners(self, register: Register[Any]) -> None:
            register("fit", lambda config, context: None, config=RunnerConfig)

        @hookimpl
        def register_losses(self, register: Register[Any]) -> None:
            register("l1", lambda config, context: None, config=LossConfig)

    plugins = FaceswapPlugins(load_entry_points=False, strict=True)
    plugins.register(Plugin(), name="fit-plugin")
    config = structure(
        {
            "train": {
                "type": "fit",
                "losses": [{"type": "l1"}, {"type": "l2"}, {"type": "l1", "weigth": 2}],
            }
        },
        ExperimentConfig,
    )
    with pytest.raises(ConfigError) as caught:
        validate_components(config, plugins)
    message = str(caught.value)
    assert "$.train.losses[1]: unknown loss 'l2'" in message
    assert "$.train.losses[2].weigth: unknown key (did you mean 'weight'?)" in message
