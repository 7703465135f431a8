"""Plots for reports: per-pair metric histograms, the identity scatter, training curves.

matplotlib's object API (``Figure`` + Agg canvas) draws off-screen without
pyplot's global state, so plotting works headless and from any thread. Each
function returns PNG bytes; callers write them atomically or inline them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from faceswap_core.eval.results import PLOTS_DIR, column
from faceswap_core.io.atomic import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 100
SIZE = (6.0, 4.0)

HISTOGRAMS: Mapping[str, str] = {
    "identity_cos_source": "identity cosine to source",
    "identity_cos_target": "identity cosine to target",
    "pose_error_deg": "pose error (degrees)",
    "expression_error": "expression error (inter-ocular distances)",
    "ssim": "SSIM (self pairs)",
    "psnr": "PSNR dB (self pairs)",
    "lpips": "LPIPS (self pairs)",
    "latency_ms": "latency per image (ms)",
}
"""Per-pair columns of ``metrics.csv`` that get a histogram, with their axis labels."""


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    axes = figure.add_subplot(1, 1, 1)
    axes.grid(True, alpha=0.3)
    return figure, axes


def histogram_png(series: Mapping[str, Sequence[float]], *, title: str, xlabel: str) -> bytes:
    """One histogram per labelled series, overlaid on shared bins."""
    import numpy as np

    figure, axes = _figure()
    values = [v for vs in series.values() for v in vs]
    count = min(max(len(values) // 2, 5), 30)
    bins = [float(edge) for edge in np.histogram_bin_edges(values, bins=count)] if values else 10
    for label, data in series.items():
        axes.hist(list(data), bins=bins, alpha=0.55 if len(series) > 1 else 0.85, label=label)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("pairs")
    if len(series) > 1:
        axes.legend()
    return _png(figure)


def scatter_png(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
) -> bytes:
    """Labelled point clouds with the diagonal drawn for reference."""
    figure, axes = _figure()
    everything: list[float] = []
    for label, (xs, ys) in series.items():
        axes.scatter(list(xs), list(ys), s=18, alpha=0.7, label=label)
        everything += [*xs, *ys]
    if everything:
        low, high = min(everything), max(everything)
        axes.plot([low, high], [low, high], color="grey", linewidth=0.8, linestyle="--")
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if len(series) > 1:
        axes.legend()
    return _png(figure)


def curves_png(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, title: str, xlabel: str
) -> bytes:
    """Line plots of ``(x, y)`` series on one axis (training curves, overlaid runs)."""
    figure, axes = _figure()
    for label, (xs, ys) in series.items():
        axes.plot(list(xs), list(ys), label=label, linewidth=1.2)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.legend()
    return _png(figure)


def write_eval_plots(folder: Path, rows: Sequence[Mapping[str, str]]) -> list[Path]:
    """``plots/<metric>.png`` histograms and ``plots/identity_scatter.png`` of an eval run."""
    written: list[Path] = []
    plots = folder / PLOTS_DIR
    for name, label in HISTOGRAMS.items():
        values = column(rows, name)
        if values:
            png = histogram_png({name: values}, title=label, xlabel=label)
            written.append(atomic_write_bytes(plots / f"{name}.png", png))
    pairs = [
        (float(row["identity_cos_source"]), float(row["identity_cos_target"]))
        for row in rows
        if row.get("identity_cos_source") and row.get("identity_cos_target")
    ]
    if pairs:
        xs, ys = zip(*pairs, strict=True)
        png = scatter_png(
            {"pairs": (xs, ys)},
            title="identity cosine: source vs target",
            xlabel="cosine to source",
            ylabel="cosine to target",
        )
        written.append(atomic_write_bytes(plots / "identity_scatter.png", png))
    return written


__all__ = ["HISTOGRAMS", "curves_png", "histogram_png", "scatter_png", "write_eval_plots"]
