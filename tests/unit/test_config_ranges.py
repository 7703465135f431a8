"""Every size that drives an allocation, and every threshold, has a validated range.

A bad value is a :class:`ConfigError` (exit 2) naming its path, raised when the
pipeline is made, before any model loads.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import CountingDetector

from faceswap_core.cli.main import make_cli
from faceswap_core.config.loader import load_pipeline_config
from faceswap_core.errors import ConfigError
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def pipeline_error(plugins: FaceswapPlugins, *overrides: str) -> str:
    with pytest.raises(ConfigError) as info:
        Pipeline(load_pipeline_config(overrides), plugins)
    assert info.value.exit_code == 2
    return str(info.value)


outside_crop = st.integers(-(10**6), 63) | st.integers(1025, 10**6)


@settings(max_examples=25, deadline=None)
@given(size=outside_crop)
def test_crop_size_outside_64_to_1024_is_refused_with_its_path(
    plugins: FaceswapPlugins, size: int
) -> None:
    message = pipeline_error(plugins, f"pipeline.swapper.crop_size={size}")
    assert message == f"$.pipeline.swapper.crop_size: must be between 64 and 1024, got {size}"


@settings(max_examples=15, deadline=None)
@given(size=st.integers(64, 1024))
def test_crop_size_inside_the_range_is_accepted(plugins: FaceswapPlugins, size: int) -> None:
    pipeline = Pipeline(load_pipeline_config([f"pipeline.swapper.crop_size={size}"]), plugins)
    assert pipeline.config.swapper == {"type": "classic", "crop_size": size}
    assert pipeline.built == ()  # checked without building anything


@settings(max_examples=20, deadline=None)
@given(field=st.sampled_from(["max_pixels", "max_bytes"]), value=st.integers(-(10**9), 0))
def test_limits_must_be_positive(plugins: FaceswapPlugins, field: str, value: int) -> None:
    message = pipeline_error(plugins, f"pipeline.limits.{field}={value}")
    assert message == f"$.pipeline.limits.{field}: must be positive, got {value}"


bad_thresholds = (
    st.floats(max_value=0.0)
    | st.floats(min_value=2.0, exclude_min=True)
    | st.sampled_from([math.nan, math.inf, -math.inf])
)


@settings(max_examples=25, deadline=None)
@given(value=bad_thresholds)
def test_threshold_must_be_finite_above_0_and_at_most_2(
    plugins: FaceswapPlugins, value: float
) -> None:
    with pytest.raises(ConfigError) as info:
        Pipeline.from_config({"pipeline": {"threshold": value}}, plugins)
    message = str(info.value)
    assert message.startswith("$.pipeline.threshold: must be ")
    assert ("finite" in message) == (not math.isfinite(value))


@settings(max_examples=15, deadline=None)
@given(value=st.floats(min_value=0.0, max_value=2.0, exclude_min=True))
def test_threshold_in_range_is_accepted(plugins: FaceswapPlugins, value: float) -> None:
    pipeline = Pipeline.from_config({"pipeline": {"threshold": value}}, plugins)
    assert pipeline.config.threshold == value


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("pipeline.paste.erode=65", "$.pipeline.paste.erode: must be between 0 and 64, got 65"),
        ("pipeline.paste.blur=-1", "$.pipeline.paste.blur: must be between 0 and 64, got -1"),
        (
            "pipeline.runtime.threads=100000",
            "$.pipeline.runtime.threads: must be between 0 and 1024, got 100000",
        ),
        (
            "pipeline.detector.score_threshold=.nan",
            "$.pipeline.detector.score_threshold: must be a finite number, got nan",
        ),
        (
            "pipeline.detector.det_size=100000",
            "$.pipeline.detector.det_size: must be a multiple of 32 between 32 and 4096, "
            "got 100000",
        ),
        (
            "pipeline.swapper.feather=65",
            "$.pipeline.swapper.feather: must be between 0 and 64, got 65",
        ),
    ],
)
def test_other_ranges_name_their_path(
    plugins: FaceswapPlugins, override: str, message: str
) -> None:
    assert pipeline_error(plugins, override) == message


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "pipeline.swapper.crop_size=16000",
            "Error: $.pipeline.swapper.crop_size: must be between 64 and 1024, got 16000",
        ),
        (
            "pipeline.limits.max_pixels=-5",
            "Error: $.pipeline.limits.max_pixels: must be positive, got -5",
        ),
    ],
)
def test_cli_refuses_bad_ranges_with_exit_2_before_loading_models(
    tmp_path: Any,
    t1_path: Any,
    counting: tuple[FaceswapPlugins, CountingDetector],
    override: str,
    message: str,
) -> None:
    manager, counter = counting
    out = tmp_path / "out.png"
    args = ["swap", "-s", str(t1_path), "-t", str(t1_path), "-o", str(out)]
    args += ["--set", "pipeline.detector=counting", "--set", override]
    result = CliRunner().invoke(make_cli(manager), args)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [message]
    assert counter.built == []
    assert not out.exists()


def test_set_swapper_param_without_config_keeps_the_default_swapper() -> None:
    pipeline = load_pipeline_config(["pipeline.swapper.crop_size=300", "paste.erode=2"])
    assert pipeline.swapper == {"type": "classic", "crop_size": 300}
    assert pipeline.detector == {"type": "retinaface"}
    assert pipeline.paste.erode == 2


# -- one range rule: every float of every config class refuses NaN and infinity -------------

CONFIG_MODULES = ("config", "configs", "schema", "limits")
"""Module names config classes live in, by convention, in core and every plugin."""


def _config_modules() -> list[Any]:
    import importlib
    import pkgutil

    import faceswap_core

    packages = [faceswap_core]
    for name in (
        "faceswap_retinaface",
        "faceswap_unet",
        "faceswap_trt",
        "faceswap_rest",
        "faceswap_ray",
    ):
        try:
            packages.append(importlib.import_module(name))
        except ImportError:
            continue
    modules = []
    for package in packages:
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name.rsplit(".", 1)[-1] in CONFIG_MODULES:
                modules.append(importlib.import_module(info.name))
    return modules


def _nested(cls: type, seen: set[type]) -> None:
    import typing

    import attrs

    if cls in seen or not attrs.has(cls):
        return
    seen.add(cls)
    for field_type in typing.get_type_hints(cls).values():
        for candidate in (field_type, *typing.get_args(field_type)):
            if isinstance(candidate, type) and attrs.has(candidate):
                _nested(candidate, seen)


def config_classes() -> list[type]:
    """Every config class: registered components', the experiment schema's, config modules'."""
    import attrs

    from faceswap_core.config.schema import ExperimentConfig
    from faceswap_core.plugin.kinds import KINDS

    manager = FaceswapPlugins(strict=True)
    roots: list[type] = [ExperimentConfig]
    for kind in KINDS:
        roots += [c.config for c in manager.registry(kind) if c.config is not None]
    for module in _config_modules():
        roots += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and attrs.has(value) and value.__module__ == module.__name__
        ]
    seen: set[type] = set()
    for cls in roots:
        _nested(cls, seen)
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _float_kind(field_type: Any) -> str | None:
    """``scalar`` for float / float | None, ``sequence`` for tuple[float, ...] / list[float]."""
    import typing

    args = [a for a in typing.get_args(field_type) if a not in (type(None), Ellipsis)]
    if field_type is float or (typing.get_origin(field_type) is not None and args == [float]):
        origin = typing.get_origin(field_type)
        return "sequence" if origin in (tuple, list) else "scalar"
    return None


def float_fields() -> list[tuple[type, str, str]]:
    import typing

    fields = []
    for cls in config_classes():
        for name, field_type in typing.get_type_hints(cls).items():
            kind = _float_kind(field_type)
            if kind is not None:
                fields.append((cls, name, kind))
    return fields


FLOAT_FIELDS = float_fields()


def _placeholder(field_type: Any) -> Any:
    return {str: "x", int: 1, float: 1.0, bool: False}.get(field_type, "x")


def valid_data(cls: type) -> dict[str, Any]:
    """A mapping ``structure`` accepts for ``cls``: its defaults, required fields filled in."""
    import typing

    import attrs

    from faceswap_core.config.convert import unstructure

    hints = typing.get_type_hints(cls)
    required = {
        f.name: _placeholder(hints[f.name])
        for f in attrs.fields(cls)
        if f.default is attrs.NOTHING and f.init
    }
    return dict(unstructure(cls(**required)))


def test_the_walk_finds_the_float_options_of_core_and_plugins() -> None:
    import importlib.util

    names = {f"{cls.__name__}.{name}" for cls, name, _ in FLOAT_FIELDS}
    expected = {"VideoConfig.beta", "VideoConfig.alpha", "PipelineConfig.threshold"}
    by_plugin = {
        "faceswap_unet": {
            "OptimizerConfig.lr",
            "OptimizerConfig.betas",
            "WeightedLossConfig.weight",
            "LfwConfig.val_fraction",
        },
        "faceswap_rest": {"ServeLimits.request_timeout_s"},
        "faceswap_retinaface": {"RetinaFaceExportConfig.atol"},
    }
    for plugin, fields in by_plugin.items():
        if importlib.util.find_spec(plugin) is not None:
            expected |= fields
    assert expected <= names


@pytest.mark.parametrize(
    ("cls", "name", "kind"),
    FLOAT_FIELDS,
    ids=[f"{cls.__name__}.{name}" for cls, name, _ in FLOAT_FIELDS],
)
@settings(max_examples=6, deadline=None)
@given(value=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_every_float_option_refuses_nan_and_infinity(
    cls: type, name: str, kind: str, value: float
) -> None:
    from faceswap_core.config.convert import structure

    data = valid_data(cls)
    if kind == "sequence":
        current = list(data[name] or [0.5])
        data[name] = [value, *current[1:]]
    else:
        data[name] = value
    with pytest.raises(ConfigError) as info:
        structure(data, cls, path="$.section")
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"$.section.{name}")
    assert "finite" in str(info.value)


@pytest.mark.parametrize("override", ["video.beta=.nan", "video.alpha=.NaN", "video.alpha=-.inf"])
def test_video_smoothing_nan_is_exit_2_with_its_path(override: str, tmp_path: Any) -> None:
    """The config is checked before any input is read: exit 2 and the path, nothing written."""
    args = ["video", "-s", str(tmp_path / "a.png"), "-t", str(tmp_path / "b.mp4")]
    args += ["-o", str(tmp_path / "out.mp4"), "--set", override]
    result = CliRunner().invoke(make_cli(), args)
    assert result.exit_code == 2, result.output
    assert f"$.pipeline.{override.split('=')[0]}: must be a finite number" in result.output
    assert list(tmp_path.iterdir()) == []


def test_named_numbers_parse_known_names_once_as_finite_numbers() -> None:
    from faceswap_core.config.convert import FieldValueError
    from faceswap_core.config.ranges import named_numbers

    names = {"ssim", "psnr"}
    assert named_numbers(["ssim=0.05", " psnr = 30 "], names, field="f") == {
        "ssim": 0.05,
        "psnr": 30,
    }
    assert named_numbers([], names, field="f") == {}
    for bad, reason in (
        (["ssim"], "NAME=NUMBER"),
        (["=1"], "NAME=NUMBER"),
        (["lpips=0.1"], "unknown name 'lpips'"),
        (["ssim=0.1", "ssim=0.2"], "twice"),
        (["ssim=x"], "not a number"),
        (["ssim=nan"], "finite"),
        (["ssim=inf"], "finite"),
        (["ssim=-1"], ">= 0"),
    ):
        with pytest.raises(FieldValueError, match=reason):
            named_numbers(bad, names, field="max_delta")
