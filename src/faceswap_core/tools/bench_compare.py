"""Speed regressions made visible: a bench record against a committed baseline of ratios.

Milliseconds depend on the machine, so the baseline stores each stage's p50
divided by a fixed reference workload (:func:`reference_workload`: image
decoding and numpy work, single-threaded) timed between the same run's
iterations. A
faster or slower machine scales both, and the ratio stays. ``nox -s bench``
runs ``faceswap bench --output work_dirs/bench/bench.json`` and then::

    python -m faceswap_core.tools.bench_compare \
        work_dirs/bench/bench.json benchmarks/baseline.json

which prints the change per stage and exits 6 (the regression gate's code,
as ``faceswap bench --baseline`` does) only when a stage is more than
:data:`MAX_SLOWDOWN` times slower than its baseline ratio. Stages whose p50 is
under :data:`NOISE_FLOOR_MS` in both runs are printed but not gated (a 0.2 ms
stage doubles from scheduler noise alone).

It is the one regression gate of :mod:`faceswap_core.eval.gate` (:func:`gate`):
each stage's metric is its slowdown, the current ratio over the baseline's
(lower is better, the baseline's is 1.0), and ``--tolerance STAGE=DELTA``
allows ``DELTA`` of it (a bare ``DELTA`` for every stage). The default,
``MAX_SLOWDOWN - 1`` = 1.0, is the old rule: twice as slow fails.

To accept a new speed deliberately (a slower but better swapper, a new
kind of machine), rerun the bench and write the baseline from that record
(``nox -s bench -- --update-baseline`` does both)::

    python -m faceswap_core.tools.bench_compare \
        work_dirs/bench/bench.json benchmarks/baseline.json --update

then commit ``benchmarks/baseline.json`` with a message that says why.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core.eval.gate import EVERY, GateResult, parse_tolerances
from faceswap_core.eval.gate import check_regressions as gate_check
from faceswap_core.io.atomic import atomic_write_json
from faceswap_core.pipeline.timing import percentiles

MAX_SLOWDOWN = 2.0
"""A stage fails the gate when its ratio is more than this many times its baseline ratio."""

NOISE_FLOOR_MS = 1.0
"""Stages faster than this in both runs are reported but never fail the gate."""

BASELINE_SCHEMA = 1
REFERENCE_NAME = "jpeg-numpy-v1"
"""Names the reference workload; a baseline made with another one is not comparable."""


@functools.cache
def _reference_inputs() -> tuple[bytes, np.ndarray[Any, Any]]:
    """A smooth 720p frame encoded as JPEG, and a million floats (fixed seed)."""
    import cv2
    from PIL import Image as PILImage

    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8), (0, 0), 4.0)
    buffer = io.BytesIO()
    PILImage.fromarray(frame).save(buffer, "JPEG", quality=90)
    return buffer.getvalue(), rng.standard_normal(1_000_000).astype(np.float32)


def reference_workload() -> float:
    """One run of the fixed reference workload; returns its wall time in milliseconds.

    Decoding a 720p JPEG with Pillow, float maths over its pixels and a sort of
    a million floats: work of the kinds the stages do, and single-threaded on
    purpose. Multi-threaded work (BLAS, OpenCV) swings by 10x on a shared
    machine, which would turn the ratios into noise.
    """
    from PIL import Image as PILImage

    data, values = _reference_inputs()
    start = time.perf_counter()
    with PILImage.open(io.BytesIO(data)) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    grey = pixels.mean(axis=2)
    weights = np.sqrt(np.abs(values)) * np.exp(-values * values)
    order = np.sort(weights)
    elapsed = (time.perf_counter() - start) * 1000.0
    del grey, order
    return elapsed


def reference_record(samples_ms: Sequence[float]) -> dict[str, Any]:
    """The ``reference`` entry of a bench record from reference workload timings."""
    return {"name": REFERENCE_NAME, "repeat": len(samples_ms), **percentiles(list(samples_ms))}


@attrs.frozen
class StageChange:
    """One stage of a comparison: baseline and current ratios, and whether it fails the gate."""

    stage: str
    baseline_ratio: float | None
    ratio: float
    p50_ms: float
    gated: bool

    @property
    def change(self) -> float | None:
        """Current ratio over baseline ratio (2.0 = twice as slow); ``None`` for a new stage."""
        if self.baseline_ratio is None or self.baseline_ratio <= 0:
            return None
        return self.ratio / self.baseline_ratio

    @property
    def failed(self) -> bool:
        change = self.change
        return self.gated and change is not None and change > MAX_SLOWDOWN


class BenchCompareError(ValueError):
    """A record or a baseline cannot be compared (wrong schema, other reference workload)."""


def _reference_ms(record: Mapping[str, Any], what: str) -> float:
    reference = record.get("reference")
    if not isinstance(reference, Mapping) or not isinstance(reference.get("p50_ms"), int | float):
        raise BenchCompareError(
            f"{what} has no reference timing; rerun faceswap bench with this version"
        )
    if reference.get("name") != REFERENCE_NAME:
        raise BenchCompareError(
            f"{what} used reference workload {reference.get('name')!r}, this version uses "
            f"{REFERENCE_NAME!r}; update the baseline (see --help)"
        )
    value = float(reference["p50_ms"])
    if value <= 0:
        raise BenchCompareError(f"{what}: reference p50 must be positive, got {value}")
    return value


def ratios(record: Mapping[str, Any]) -> dict[str, float]:
    """Each stage's p50 (and the total's) divided by the record's reference p50."""
    reference = _reference_ms(record, "the bench record")
    rows: dict[str, Any] = {**record.get("stages", {}), "total": record.get("total", {})}
    return {name: float(row["p50_ms"]) / reference for name, row in rows.items() if row}


def make_baseline(record: Mapping[str, Any]) -> dict[str, Any]:
    """The baseline written by ``--update``: ratios plus what they were measured on."""
    reference = _reference_ms(record, "the bench record")
    return {
        "schema": BASELINE_SCHEMA,
        "reference": {"name": REFERENCE_NAME, "p50_ms": reference},
        "ratios": {name: round(value, 6) for name, value in ratios(record).items()},
        "measured": {
            "size": record.get("size"),
            "faces": record.get("faces"),
            "model": record.get("model"),
            "device": record.get("device"),
            "threads": record.get("threads"),
        },
    }


def compare(record: Mapping[str, Any], baseline: Mapping[str, Any]) -> list[StageChange]:
    """Each stage of ``record`` against ``baseline`` (:func:`make_baseline`'s shape)."""
    if baseline.get("schema") != BASELINE_SCHEMA:
        raise BenchCompareError(
            f"baseline schema {baseline.get('schema')!r} is not {BASELINE_SCHEMA}"
        )
    _reference_ms(baseline, "the baseline")
    base_reference = float(baseline["reference"]["p50_ms"])
    base_ratios: Mapping[str, float] = baseline.get("ratios", {})
    reference = _reference_ms(record, "the bench record")
    changes = []
    for stage, ratio in ratios(record).items():
        base = base_ratios.get(stage)
        p50 = ratio * reference
        base_ms = None if base is None else base * base_reference
        gated = p50 >= NOISE_FLOOR_MS or (base_ms is not None and base_ms >= NOISE_FLOOR_MS)
        changes.append(StageChange(stage, base, ratio, p50, gated))
    return changes


DEFAULT_TOLERANCE = MAX_SLOWDOWN - 1.0
"""Allowed slowdown of a gated stage when no tolerance names it: twice as slow fails."""


def as_baseline(data: Mapping[str, Any]) -> dict[str, Any]:
    """A baseline of ratios from a baseline file, or from a bench record (``--output``)."""
    if "ratios" in data:
        return dict(data)
    return make_baseline(data)


def gate(
    record: Mapping[str, Any],
    baseline: Mapping[str, Any],
    tolerances: Sequence[str] | Mapping[str, float] = (),
    *,
    baseline_name: str = "baseline",
) -> tuple[list[StageChange], GateResult]:
    """The bench record against a baseline, through the one regression gate.

    :param tolerances: ``STAGE=DELTA`` (or ``DELTA`` for every stage): the slowdown
        allowed, as a fraction (0.5: 1.5x as slow); default :data:`DEFAULT_TOLERANCE`.
    """
    changes = compare(record, as_baseline(baseline))
    allowed = {EVERY: DEFAULT_TOLERANCE, **parse_tolerances(tolerances)}
    current: dict[str, dict[str, Any]] = {}
    before: dict[str, dict[str, Any]] = {}
    for row in changes:
        direction = {"higher_is_better": False, "gate_by_default": row.gated}
        current[row.stage] = {"value": row.change, **direction}
        if row.change is not None:
            before[row.stage] = {"value": 1.0, **direction}
    return changes, gate_check(current, before, allowed, baseline_name=baseline_name)


def report(changes: Sequence[StageChange]) -> str:
    """The table ``nox -s bench`` prints: ratio, baseline ratio, change, verdict per stage."""
    lines = [f"{'stage':<10} {'p50 ms':>9} {'ratio':>8} {'baseline':>9} {'change':>8}  verdict"]
    for row in changes:
        change = row.change
        if change is None:
            verdict, shown = "new stage", "-"
        else:
            shown = f"{change:.2f}x"
            if row.failed:
                verdict = f"SLOWER than {MAX_SLOWDOWN:g}x baseline"
            elif not row.gated:
                verdict = f"ok (under {NOISE_FLOOR_MS:g} ms, not gated)"
            else:
                verdict = "ok"
        base = "-" if row.baseline_ratio is None else f"{row.baseline_ratio:.4f}"
        lines.append(
            f"{row.stage:<10} {row.p50_ms:>9.2f} {row.ratio:>8.4f} {base:>9} {shown:>8}  {verdict}"
        )
    return "\n".join(lines)


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchCompareError(f"cannot read {what} {path}: {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m faceswap_core.tools.bench_compare RECORD BASELINE [--update]``."""
    parser = argparse.ArgumentParser(
        prog="python -m faceswap_core.tools.bench_compare",
        description="Compare a faceswap bench record with a baseline of ratios.",
    )
    parser.add_argument("record", type=Path, help="JSON written by faceswap bench --output")
    parser.add_argument("baseline", type=Path, help="baseline of ratios (benchmarks/baseline.json)")
    parser.add_argument(
        "--update", action="store_true", help="write the baseline from RECORD instead of comparing"
    )
    args = parser.parse_args(argv)
    try:
        record = _read_json(args.record, "bench record")
        if args.update:
            atomic_write_json(args.baseline, make_baseline(record))
            print(f"wrote {args.baseline} from {args.record}")
            return 0
        changes, result = gate(record, _read_json(args.baseline, "baseline"))
    except BenchCompareError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(report(changes))
    if not result.passed:
        print(f"Error: {regression_message(result)}", file=sys.stderr)
        return REGRESSION_EXIT
    return 0


REGRESSION_EXIT = 6
"""The exit code of every regression gate (``RegressionError``)."""


def regression_message(result: GateResult) -> str:
    """``detect more than 2x slower than the baseline; ...`` for a failed bench gate."""
    parts = [
        f"{regression.metric} more than {1 + regression.tolerance:g}x slower than the baseline "
        f"({regression.current:.2f}x)"
        for regression in result.regressions
    ]
    return (
        "; ".join(parts) + "; fix the regression or update the baseline deliberately "
        "(python -m faceswap_core.tools.bench_compare RECORD BASELINE --update)"
    )


__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_SLOWDOWN",
    "NOISE_FLOOR_MS",
    "REFERENCE_NAME",
    "REGRESSION_EXIT",
    "BenchCompareError",
    "StageChange",
    "as_baseline",
    "compare",
    "gate",
    "main",
    "make_baseline",
    "ratios",
    "reference_record",
    "reference_workload",
    "regression_message",
    "report",
]


if __name__ == "__main__":
    sys.exit(main())
