"""Compare two runs: final and best value of each metric, deltas, regressions, an overlay plot.

Reads only the run folders' ``metrics.jsonl`` (or ``metrics.csv``) and
``metrics.json``, so it needs no torch and works on runs copied from another
machine. Whether higher is better is what the run declares in its
``metrics.json`` (``higher_is_better``), never a guess from the name: a
discriminator loss or a learning rate has no better direction, and moving
is not regressing. The regression gate checks only metrics with a declared
direction: by default the validation metrics (``val/...``), or exactly the
ones named with ``--metric``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from faceswap_core.config.ranges import at_least, check_value
from faceswap_core.errors import ConfigError, InputError, RegressionError
from faceswap_core.experiment.metrics import read_metrics, series
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
    run_a: Path
    run_b: Path
    metrics: list[MetricDelta]
    tolerance: float | None
    plot: Path | None
    report: Path | None

    @property
    def regressions(self) -> list[MetricDelta]:
        """Gated metrics whose final value got worse by more than ``tolerance``."""
        if self.tolerance is None:
            return []
        return [m for m in self.metrics if m.gated and (m.worsening() or 0.0) > self.tolerance]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_a": str(self.run_a),
            "run_b": str(self.run_b),
            "tolerance": self.tolerance,
            "metrics": [m.to_dict() for m in self.metrics],
            "gated": [m.name for m in self.metrics if m.gated],
            "regressions": [m.name for m in self.regressions],
            "plot": None if self.plot is None else str(self.plot),
        }


def higher_is_better(name: str, declared: Mapping[str, bool] | None = None) -> bool | None:
    """Direction of a metric as the run declares it (``None``: no declared direction)."""
    base = name.split("/", 1)[-1]
    for key in (name, base):
        if declared and key in declared:
            return bool(declared[key])
    return None


def _metrics_file(run: Path) -> Path:
    for name in ("metrics.jsonl", "metrics.csv"):
        if (run / name).is_file():
            return run / name
    if run.is_file() and run.suffix in (".jsonl", ".csv"):
        return run
    raise InputError(
        f"{run} is not a run folder with metrics.jsonl or metrics.csv; "
        "pass the work_dir a training run wrote"
    )


def _declared(run: Path) -> dict[str, bool]:
    file = run / "metrics.json"
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    declared = data.get("higher_is_better") if isinstance(data, dict) else None
    return {str(k): bool(v) for k, v in declared.items()} if isinstance(declared, dict) else {}


def _wanted(name: str, selected: Sequence[str]) -> bool:
    return not selected or name in selected or name.split("/", 1)[-1] in selected


def _final_and_best(
    points: Sequence[tuple[int, float]], up: bool | None
) -> tuple[float, float | None]:
    values = [v for _, v in points if math.isfinite(v)]
    best = None if up is None or not values else (max(values) if up else min(values))
    return points[-1][1], best


def compare_runs(
    run_a: str | os.PathLike[str],
    run_b: str | os.PathLike[str],
    *,
    metrics: Iterable[str] = (),
    fail_on_regression: float | None = None,
    plot: bool = True,
) -> CompareReport:
    """Compare two run folders; writes ``compare-<A>.png`` and ``.json`` next to RUN_B.

    :param metrics: names to compare and gate (``ssim`` or ``val/ssim``); by
        default every metric is compared and the validation metrics are gated.
    :param fail_on_regression: with :func:`check_regressions`, fail when a gated
        final value of B is worse than A's by more than this (in the metric's
        units). Only metrics with a declared direction are gated; naming one
        without a direction is a :class:`ConfigError`.
    """
    a, b = Path(run_a), Path(run_b)
    check_value("fail_on_regression", fail_on_regression, at_least(0))
    curves_a = series(read_metrics(_metrics_file(a)))
    curves_b = series(read_metrics(_metrics_file(b)))
    selected = list(metrics)
    names = sorted(n for n in set(curves_a) | set(curves_b) if _wanted(n, selected))
    if selected and not names:
        available = ", ".join(sorted(set(curves_a) | set(curves_b))) or "none"
        raise ConfigError(f"no metric named {', '.join(selected)} in either run; have: {available}")
    declared = {**_declared(a), **_declared(b)}
    rows = []
    for name in names:
        up = higher_is_better(name, declared)
        gated = up is not None and (bool(selected) or name.startswith(GATED_PREFIX))
        fa = _final_and_best(curves_a[name], up) if name in curves_a else (None, None)
        fb = _final_and_best(curves_b[name], up) if name in curves_b else (None, None)
        rows.append(MetricDelta(name, up, fa[0], fb[0], fa[1], fb[1], gated))
    if fail_on_regression is not None:
        _check_gateable(rows, selected, a, b)
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
    report = CompareReport(a, b, rows, fail_on_regression, picture, None)
    if plot:
        written = atomic_write_json(b / f"compare-{safe_name(a.name)}.json", report.to_dict())
        report = attrs.evolve(report, report=written)
    return report


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
            f"{len(bad)} metric(s) regressed beyond {report.tolerance}: {'; '.join(parts)}"
        )


__all__ = [
    "CompareReport",
    "MetricDelta",
    "check_regressions",
    "compare_runs",
    "higher_is_better",
]
