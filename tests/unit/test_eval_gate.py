"""The regression gate: directions, tolerances, defaults, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faceswap_core.errors import ConfigError
from faceswap_core.eval.gate import check_regressions, parse_tolerances


def entry(value: float | None, higher: bool | None, gate: bool = True) -> dict[str, Any]:
    return {"value": value, "higher_is_better": higher, "gate_by_default": gate}


BASELINE = {
    "identity_top1": entry(0.80, True),
    "pose_error_deg": entry(3.0, False),
    "fps": entry(10.0, True, gate=False),
    "pairs": entry(12.0, None, gate=False),
    "lpips": entry(0.2, False),
}


def test_worse_in_either_direction_is_a_regression() -> None:
    current = {**BASELINE, "identity_top1": entry(0.70, True), "pose_error_deg": entry(3.5, False)}
    result = check_regressions(current, BASELINE, {})
    assert not result.passed
    assert [r.metric for r in result.regressions] == ["identity_top1", "pose_error_deg"]
    assert result.regressions[0].describe() == ("identity_top1 0.7 < baseline 0.8 - tolerance 0")
    assert "2 metrics regressed" in result.message()


def test_tolerance_allows_that_much_slack_and_no_more() -> None:
    current = {**BASELINE, "identity_top1": entry(0.75, True)}
    assert check_regressions(current, BASELINE, {"identity_top1": 0.05}).passed
    assert not check_regressions(current, BASELINE, {"identity_top1": 0.04}).passed


def test_better_is_never_a_regression() -> None:
    current = {**BASELINE, "identity_top1": entry(0.9, True), "pose_error_deg": entry(1.0, False)}
    result = check_regressions(current, BASELINE, {})
    assert result.passed
    assert set(result.checked) == {"identity_top1", "pose_error_deg", "lpips"}


def test_machine_dependent_metrics_are_gated_only_when_named() -> None:
    current = {**BASELINE, "fps": entry(2.0, True, gate=False)}
    assert check_regressions(current, BASELINE, {}).passed
    assert not check_regressions(current, BASELINE, {"fps": 1.0}).passed


def test_a_missing_value_is_skipped_with_the_reason() -> None:
    current = {**BASELINE, "lpips": entry(None, False)}
    result = check_regressions(current, BASELINE, {})
    assert result.skipped == {"lpips": "no value in this run"}
    assert "lpips" not in result.checked


def test_unknown_or_directionless_tolerances_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"unknown metric.*identity_top9"):
        check_regressions(BASELINE, BASELINE, {"identity_top9": 0.1})
    with pytest.raises(ConfigError, match="pairs has no better direction"):
        check_regressions(BASELINE, BASELINE, {"pairs": 1.0})


def test_tolerances_parse_from_the_command_line_form() -> None:
    assert parse_tolerances(["identity_top1=0.02", " fps = 3 "]) == {
        "identity_top1": 0.02,
        "fps": 3.0,
    }
    assert parse_tolerances({"psnr": 1}) == {"psnr": 1.0}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@given(st.text(max_size=20).filter(lambda t: "=" not in t and not _is_number(t)))
def test_a_tolerance_without_equals_that_is_no_number_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="METRIC=DELTA"):
        parse_tolerances([text])


def test_a_bare_delta_is_the_slack_of_every_gated_metric() -> None:
    tolerances = parse_tolerances(["0.05", "identity_top1=0.01"])
    assert tolerances == {"*": 0.05, "identity_top1": 0.01}
    current = {
        "ssim": {"value": 0.66, "higher_is_better": True, "gate_by_default": True},
        "identity_top1": {"value": 0.77, "higher_is_better": True, "gate_by_default": True},
    }
    baseline = {
        "ssim": {"value": 0.70, "higher_is_better": True, "gate_by_default": True},
        "identity_top1": {"value": 0.80, "higher_is_better": True, "gate_by_default": True},
    }
    result = check_regressions(current, baseline, tolerances)
    # ssim lost 0.04 (within the bare 0.05); identity lost 0.03 (beyond its own 0.01)
    assert [r.metric for r in result.regressions] == ["identity_top1"]
    assert result.regressions[0].tolerance == 0.01
    with pytest.raises(ConfigError, match="must be a finite number"):
        parse_tolerances(["inf"])


@pytest.mark.parametrize("item", ["psnr=-1", "psnr=nan", "psnr=abc", "psnr=inf"])
def test_a_tolerance_must_be_a_finite_non_negative_number(item: str) -> None:
    with pytest.raises(ConfigError, match="psnr"):
        parse_tolerances([item])


def test_a_tolerance_named_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="twice"):
        parse_tolerances(["psnr=1", "psnr=2"])
