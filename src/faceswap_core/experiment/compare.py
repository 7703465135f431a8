"""Compare two runs: final and best value of each metric, deltas, regressions, an overlay plot.

Reads only the run folders' ``metrics.jsonl`` (or ``metrics.csv``) and
``metrics.json``, so it needs no torch and works on runs copied from another
machine. Whether higher is better is what the run declares in its
``metrics.json`` (``higher_is_better``), never a guess from the name: a
discriminator loss or a learning rate has no better direction, and moving
is not regressing. The regression gate (the one of :mod:`faceswap_core.eval.gate`,
RUN_A as the baseline) checks only metrics with a declared direction: by
default the validation metrics (``val/...``), or exactly the ones named with
``--metric``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.ranges import at_least, check_value
from faceswap_core.errors import ConfigError, InputError, RegressionError
from faceswap_core.eval.gate import EVERY, GateResult, parse_tolerances
from faceswap_core.eval.gate import check_regressions as gate_check
from faceswap_core.experiment.metrics import (
    declared_directions,
    read_metrics,
    run_metrics_file,
    series,
)
from faceswap_core.experiment.plots import plot_overlay, safe_name
from faceswap_core.io.atomic import atomic_write_json

GATED_PREFIX = "val/"
"""Metrics gated by default: validation numbers, not training-time losses or schedules."""


@attrs.frozen
class MetricDelta:
    """One metric of both runs; ``delta`` is B minus A (final values)."""

    name: str
    higher_is_better: bool | None
    final_a: float | None
    final_b: float | None
    best_a: float | None
    best_b: float | None
    gated: bool = False

    @property
    def delta(self) -> float | None:
        if self.final_a is None or self.final_b is None:
            return None
        return self.final_b - self.final_a

    @property
    def best_delta(self) -> float | None:
        if self.best_a is None or self.best_b is None:
            return None
        return self.best_b - self.best_a

    def worsening(self) -> float | None:
        """How much worse B's final value is than A's (positive = worse), in metric units.

        ``None`` when a value is missing or the metric has no declared direction.
        """
        delta = self.delta
        if delta is None or self.higher_is_better is None:
            return None
        return -delta if self.higher_is_better else delta

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "higher_is_better": self.higher_is_better,
            "final_a": self.final_a,
            "final_b": self.final_b,
            "delta": self.delta,
            "best_a": self.best_a,
            "best_b": self.best_b,
            "best_delta": self.best_delta,
            "gated": self.gated,
        }


@attrs.frozen
class CompareReport:
    """Both runs' metrics; with a gate, which gated metrics regressed (RUN_A is the baseline).

    :ivar tolerance: the gate's slack per metric (``"*"``: every gated metric not
        named); ``None`` when the gate did not run.
    """

    run_a: Path
    run_b: Path
    metrics: list[MetricDelta]
    tolerance: Mapping[str, float] | None
    plot: Path | None
    report: Path | None
    gate: GateResult | None = None

    @property
    def regressions(self) -> list[MetricDelta]:
        """Gated metrics whose final value got worse by more than their tolerance."""
        if self.gate is None:
            return []
        names = {regression.metric for regression in self.gate.regressions}
        return [m for m in self.metrics if m.name in names]

    def tolerance_text(self) -> str:
        """``0.01`` for one slack for all, else ``val/ssim=0.01, *=0``."""
        tolerances = dict(self.tolerance or {})
        if set(tolerances) <= {EVERY}:
            return f"{tolerances.get(EVERY, 0.0):g}"
        return ", ".join(f"{name}={value:g}" for name, value in tolerances.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_a": str(self.run_a),
            "run_b": str(self.run_b),
            "tolerance": None if self.tolerance is None else dict(self.tolerance),
            "metrics": [m.to_dict() for m in self.metrics],
            "gated": [m.name for m in self.metrics if m.gated],
            "regressions": [m.name for m in self.regressions],
            "gate": None if self.gate is None else self.gate.to_dict(),
            "plot": None if self.plot is None else str(self.plot),
        }


def higher_is_better(name: str, declared: Mapping[str, bool] | None = None) -> bool | None:
    """Direction of a metric as the run declares it (``None``: no declared direction)."""
    base = name.split("/", 1)[-1]
    for key in (name, base):
        if declared and key in declared:
            return bool(declared[key])
    return None


def _wanted(name: str, selected: Sequence[str]) -> bool:
    return not selected or name in selected or name.split("/", 1)[-1] in selected


def _final_and_best(
    points: Sequence[tuple[float, float]], up: bool | None
) -> tuple[float, float | None]:
    values = [v for _, v in points if math.isfinite(v)]
    best = None if up is None or not values else (max(values) if up else min(values))
    return points[-1][1], best


def compare_runs(
    run_a: str | os.PathLike[str],
    run_b: str | os.PathLike[str],
    *,
    metrics: Iterable[str] = (),
    tolerance: Iterable[str] | Mapping[str, float] | None = None,
    fail_on_regression: float | None = None,
    plot: bool = True,
) -> CompareReport:
    """Compare two run folders; writes ``compare-<A>.png`` and ``.json`` next to RUN_B.

    :param metrics: names to compare and gate (``ssim`` or ``val/ssim``); by
        default every metric is compared and the validation metrics are gated.
    :param tolerance: turn the regression gate on (RUN_A is the baseline), with
        this slack: ``METRIC=DELTA`` strings (or a mapping), ``DELTA`` for every
        gated metric; an empty sequence gates with zero slack. With
        :func:`check_regressions`, a gated final value of B worse than A's by more
        than its slack fails. Only metrics with a declared direction are gated;
        naming one without a direction is a :class:`ConfigError`.
    :param fail_on_regression: the older spelling of ``tolerance=[DELTA]``.
    """
    a, b = Path(run_a), Path(run_b)
    check_value("fail_on_regression", fail_on_regression, at_least(0))
    if fail_on_regression is not None and tolerance is None:
        tolerance = {EVERY: fail_on_regression}
    tolerances = None if tolerance is None else parse_tolerances(tolerance)
    curves_a = series(read_metrics(run_metrics_file(a)))
    curves_b = series(read_metrics(run_metrics_file(b)))
    selected = list(metrics)
    names = sorted(n for n in set(curves_a) | set(curves_b) if _wanted(n, selected))
    if selected and not names:
        available = ", ".join(sorted(set(curves_a) | set(curves_b))) or "none"
        raise ConfigError(f"no metric named {', '.join(selected)} in either run; have: {available}")
    declared = {**declared_directions(a), **declared_directions(b)}
    rows = []
    for name in names:
        up = higher_is_better(name, declared)
        gated = up is not None and (bool(selected) or name.startswith(GATED_PREFIX))
        fa = _final_and_best(curves_a[name], up) if name in curves_a else (None, None)
        fb = _final_and_best(curves_b[name], up) if name in curves_b else (None, None)
        rows.append(MetricDelta(name, up, fa[0], fb[0], fa[1], fb[1], gated))
    gate = None
    if tolerances is not None:
        _check_gateable(rows, selected, a, b)
        tolerances = _full_names(tolerances, [row.name for row in rows])
        gate = gate_check(
            _section(rows, "final_b"), _section(rows, "final_a"), tolerances, baseline_name=str(a)
        )
    picture = None
    written = None
    if plot and rows:
        panels = {
            name: {f"A {a.name}": curves_a.get(name, []), f"B {b.name}": curves_b.get(name, [])}
            for name in names
        }
        picture = plot_overlay(
            b / f"compare-{safe_name(a.name)}.png", panels, title=f"{a.name} vs {b.name}"
        )
    report = CompareReport(a, b, rows, tolerances, picture, None, gate)
    if plot:
        written = atomic_write_json(b / f"compare-{safe_name(a.name)}.json", report.to_dict())
        report = attrs.evolve(report, report=written)
    return report


def _section(rows: Sequence[MetricDelta], which: str) -> dict[str, dict[str, Any]]:
    """One run's final values as the gate reads a ``metrics`` section."""
    return {
        row.name: {
            "value": getattr(row, which),
            "higher_is_better": row.higher_is_better,
            "gate_by_default": row.gated,
        }
        for row in rows
    }


def _full_names(tolerances: Mapping[str, float], names: Sequence[str]) -> dict[str, float]:
    """Tolerances keyed by full metric names: ``ssim`` means ``val/ssim`` when only that fits."""
    resolved: dict[str, float] = {}
    for key, value in tolerances.items():
        matches = [n for n in names if n.split("/", 1)[-1] == key]
        resolved[key if key in names or len(matches) != 1 else matches[0]] = value
    return resolved


def _check_gateable(rows: Sequence[MetricDelta], selected: Sequence[str], a: Path, b: Path) -> None:
    """A gate must gate something, and only what has a direction."""
    undirected = [row.name for row in rows if row.higher_is_better is None]
    if selected and undirected:
        raise ConfigError(
            f"cannot gate {', '.join(undirected)}: no declared direction (higher or lower is "
            "better) in either run's metrics.json; choose other --metric names"
        )
    if not any(row.gated for row in rows):
        raise InputError(
            f"nothing to gate: neither {a} nor {b} declares the direction of a validation "
            "metric (metrics.json missing: did the run finish?); name metrics with --metric"
        )


def check_regressions(report: CompareReport) -> None:
    """Raise :class:`RegressionError` naming every metric that regressed beyond the tolerance."""
    bad = report.regressions
    if bad:
        parts = [
            f"{m.name} {m.final_a:.6g} -> {m.final_b:.6g}"
            f" ({'higher' if m.higher_is_better else 'lower'} is better)"
            for m in bad
        ]
        raise RegressionError(
            f"{len(bad)} metric(s) regressed beyond {report.tolerance_text()}: {'; '.join(parts)}"
        )


__all__ = [
    "CompareReport",
    "MetricDelta",
    "check_regressions",
    "compare_runs",
    "higher_is_better",
]
