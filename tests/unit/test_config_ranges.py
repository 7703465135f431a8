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
