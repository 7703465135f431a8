"""PNG plots of a run's metrics (matplotlib, headless): one figure per metric.

Training runs draw their loss and validation curves into ``plots/``;
``faceswap compare`` overlays two runs' curves. The Agg backend is selected
explicitly so plotting never needs a display.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from faceswap_core.io.atomic import atomic_path

Series = Sequence[tuple[float, float]]


def _figure_module() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    return Figure


def safe_name(metric: str) -> str:
    """A file-name-safe form of ``phase/name``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", metric).strip("_") or "metric"


def plot_series(
    path: str | os.PathLike[str],
    title: str,
    lines: Mapping[str, Series],
    *,
    ylabel: str | None = None,
) -> Path:
    """Draw ``{label: [(step, value), ...]}`` as lines against step; written atomically."""
    figure_class = _figure_module()
    figure = figure_class(figsize=(6.4, 4.0), dpi=100)
    axes = figure.subplots()
    for label, points in lines.items():
        if not points:
            continue
        steps, values = zip(*points, strict=True)
        axes.plot(steps, values, label=label, marker="o" if len(points) < 30 else None, ms=3)
    axes.set_title(title)
    axes.set_xlabel("step")
    axes.set_ylabel(ylabel or title)
    axes.grid(True, alpha=0.3)
    if len(lines) > 1:
        axes.legend()
    figure.tight_layout()
    target = Path(path)
    with atomic_path(target) as temp:
        figure.savefig(temp, format="png")
    return target


def plot_run(folder: str | os.PathLike[str], curves: Mapping[str, Series]) -> list[Path]:
    """One PNG per metric under ``folder`` (``train_loss_total.png``...)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [
        plot_series(out / f"{safe_name(name)}.png", name, {name: points})
        for name, points in sorted(curves.items())
        if points
    ]


def plot_overlay(
    path: str | os.PathLike[str], panels: Mapping[str, Mapping[str, Series]], *, title: str
) -> Path:
    """One figure with a panel per metric, each overlaying ``{run label: series}``."""
    figure_class = _figure_module()
    names = sorted(panels)
    columns = min(3, max(1, len(names)))
    rows = max(1, -(-len(names) // columns))
    figure = figure_class(figsize=(4.2 * columns, 3.2 * rows), dpi=100)
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, axes in enumerate(grid.flat):
        if index >= len(names):
            axes.set_visible(False)
            continue
        name = names[index]
        for label, points in panels[name].items():
            if points:
                steps, values = zip(*points, strict=True)
                axes.plot(
                    steps, values, label=label, marker="o" if len(points) < 30 else None, ms=3
                )
        axes.set_title(name, fontsize=9)
        axes.set_xlabel("step", fontsize=8)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    target = Path(path)
    with atomic_path(target) as temp:
        figure.savefig(temp, format="png")
    return target


__all__ = ["plot_overlay", "plot_run", "plot_series", "safe_name"]
