"""The regression gate: is this run worse than a baseline beyond tolerance? (exit 6)

One gate for ``faceswap eval --baseline``, ``faceswap compare`` and
``faceswap bench --baseline``: ``--tolerance METRIC=DELTA`` allows ``DELTA``
(in the metric's own unit) of slack in the bad direction, and a bare
``--tolerance DELTA`` sets the slack of every gated metric not named. Without
tolerances every metric that has a direction and ``gate_by_default``
(identity, pose, expression, SSIM, PSNR, LPIPS, failures) is checked with
zero slack; machine-dependent numbers (FPS, latency) are checked only when
named. A metric missing from either run, or unavailable in either, is
reported as skipped, never as passed silently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from faceswap_core.config.ranges import check_value, regression_tolerance
from faceswap_core.errors import ConfigError


@attrs.frozen
class Regression:
    """One metric that got worse than the baseline allows."""

    metric: str
    baseline: float
    current: float
    tolerance: float
    higher_is_better: bool

    def describe(self) -> str:
        if self.higher_is_better:
            return (
                f"{self.metric} {self.current:.4g} < baseline {self.baseline:.4g} - "
                f"tolerance {self.tolerance:g}"
            )
        return (
            f"{self.metric} {self.current:.4g} > baseline {self.baseline:.4g} + "
            f"tolerance {self.tolerance:g}"
        )


@attrs.frozen
class GateResult:
    baseline: str
    regressions: tuple[Regression, ...]
    checked: tuple[str, ...]
    skipped: Mapping[str, str]

    @property
    def passed(self) -> bool:
        return not self.regressions

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "passed": self.passed,
            "checked": list(self.checked),
            "regressions": [
                {**attrs.asdict(regression), "message": regression.describe()}
                for regression in self.regressions
            ],
            "skipped": dict(self.skipped),
        }

    def message(self) -> str:
        lines = "; ".join(regression.describe() for regression in self.regressions)
        count = len(self.regressions)
        return (
            f"{count} metric{'s' if count != 1 else ''} regressed against baseline "
            f"{self.baseline}: {lines}"
        )


EVERY = "*"
"""The key of a bare ``--tolerance DELTA``: the slack of every gated metric not named."""


def parse_tolerances(items: Iterable[str] | Mapping[str, float]) -> dict[str, float]:
    """``["identity_top1=0.02", "0.01"]`` (or a mapping) -> ``{"identity_top1": 0.02, "*": 0.01}``.

    A bare ``DELTA`` (key ``"*"``) is the slack of every gated metric not named.
    """
    if isinstance(items, Mapping):
        pairs = [(str(k), v) for k, v in items.items()]
    else:
        pairs = []
        for item in items:
            name, sep, text = str(item).partition("=")
            if not sep:
                name, text = EVERY, str(item)
            if not name.strip():
                raise ConfigError(
                    f"--tolerance {item!r}: expected METRIC=DELTA (e.g. identity_top1=0.02) "
                    "or DELTA for every gated metric"
                )
            pairs.append((name.strip(), text.strip()))
    tolerances: dict[str, float] = {}
    for name, raw in pairs:
        label = "--tolerance" if name == EVERY else f"--tolerance {name}"
        try:
            value = float(raw)
        except (TypeError, ValueError):
            if name == EVERY:
                raise ConfigError(
                    f"--tolerance {raw!r}: expected METRIC=DELTA (e.g. identity_top1=0.02) "
                    "or DELTA for every gated metric"
                ) from None
            raise ConfigError(f"{label}: the delta must be a number, got {raw!r}") from None
        check_value(label, value, regression_tolerance)
        if name in tolerances:
            raise ConfigError(f"--tolerance names {name} twice")
        tolerances[name] = value
    return tolerances


def _number(entry: Mapping[str, Any] | None) -> float | None:
    if not entry:
        return None
    value = entry.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def check_regressions(
    current: Mapping[str, Mapping[str, Any]],
    baseline: Mapping[str, Mapping[str, Any]],
    tolerances: Mapping[str, float],
    *,
    baseline_name: str = "baseline",
) -> GateResult:
    """Compare two ``metrics`` sections of ``metrics.json``.

    :raises ConfigError: a tolerance names a metric neither run reports, or one
        without a direction (a count such as ``pairs``).
    """
    known = set(current) | set(baseline)
    unknown = sorted(set(tolerances) - known - {EVERY})
    if unknown:
        raise ConfigError(
            f"--tolerance names unknown metric(s) {', '.join(unknown)}; "
            f"metrics: {', '.join(sorted(known))}"
        )
    names = [
        name
        for name in sorted(known)
        if name in tolerances
        or (
            (current.get(name) or baseline.get(name) or {}).get("gate_by_default", False)
            and (current.get(name) or baseline.get(name) or {}).get("higher_is_better") is not None
        )
    ]
    regressions: list[Regression] = []
    checked: list[str] = []
    skipped: dict[str, str] = {}
    for name in names:
        entry = current.get(name) or baseline.get(name) or {}
        direction = entry.get("higher_is_better")
        if direction is None:
            raise ConfigError(f"--tolerance {name}: {name} has no better direction to gate on")
        now, before = _number(current.get(name)), _number(baseline.get(name))
        if now is None or before is None:
            which = "this run" if now is None else "the baseline"
            skipped[name] = f"no value in {which}"
            continue
        checked.append(name)
        slack = tolerances.get(name, tolerances.get(EVERY, 0.0))
        worse = now < before - slack if direction else now > before + slack
        if worse:
            regressions.append(Regression(name, before, now, slack, bool(direction)))
    return GateResult(baseline_name, tuple(regressions), tuple(checked), skipped)


__all__ = ["EVERY", "GateResult", "Regression", "check_regressions", "parse_tolerances"]
