"""Per-stage wall time of the pipeline, and the percentiles reports print.

The pipeline times its own stages (:data:`STAGES`); the benchmark, the
evaluator and the video path add decode and encode around it and summarise
samples with :func:`percentiles`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

STAGES: tuple[str, ...] = ("detect", "landmarks", "align", "swap", "mask", "paste", "enhance")
"""Stages the image pipeline times, in order."""


class StageTimer:
    """Milliseconds per stage, summed over repeated entries of the same stage."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - start) * 1000.0)

    def add(self, name: str, ms: float) -> None:
        """Count ``ms`` to ``name`` (a share of work timed for several frames at once)."""
        self.ms[name] = self.ms.get(name, 0.0) + ms


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean of a list of milliseconds, rounded to microseconds."""
    values = np.asarray(samples_ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 3),
        "p95_ms": round(float(p95), 3),
        "p99_ms": round(float(p99), 3),
        "mean_ms": round(float(values.mean()), 3),
    }


__all__ = ["STAGES", "StageTimer", "percentiles"]
