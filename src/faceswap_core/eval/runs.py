"""What a report reads from a run folder, an evaluation or a training run, as one view.

Nothing here parses a file itself: an evaluation folder is read with
:mod:`faceswap_core.eval.results` (``metrics.json``, ``metrics.csv``), a
training run with :mod:`faceswap_core.experiment`'s readers (the per-step
records of ``metrics.jsonl`` / ``metrics.csv``, the directions a finished
run declares, ``env.json``), and the folder layout is
:class:`~faceswap_core.experiment.workdir.WorkDir`'s. ``faceswap report``,
MOS sheets and the REST service's ``/v1/reports`` all read runs here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import attrs

from faceswap_core.errors import InputError
from faceswap_core.eval.results import is_eval_folder, read_metrics_csv, read_metrics_json
from faceswap_core.experiment.compare import higher_is_better
from faceswap_core.experiment.env import read_env
from faceswap_core.experiment.metrics import (
    CSV_NAME,
    JSONL_NAME,
    declared_directions,
    has_metrics,
    read_records,
    run_metrics_file,
    series,
)
from faceswap_core.experiment.workdir import WorkDir

RunKind = Literal["eval", "train"]

LOWER_IS_BETTER_WORDS: tuple[str, ...] = ("loss", "error", "lpips", "fid")
"""A training metric the run declares no direction for is lower-is-better when its name has
one of these words (the report's better / worse colours only; ``compare`` never gates it)."""


@attrs.frozen(eq=False)
class RunView:
    """What a report needs from a run folder, whichever kind it is.

    :ivar metrics: ``{name: entry}`` with at least ``value`` (eval: the
        ``metrics.json`` entries; training: the last logged value, plus
        ``best`` and ``unit`` when known).
    :ivar series: training curves ``{name: (steps, values)}``.
    :ivar rows: eval per-pair rows (``metrics.csv``).
    """

    path: Path
    kind: RunKind
    name: str
    metrics: dict[str, dict[str, Any]]
    document: dict[str, Any] | None = None
    series: dict[str, tuple[list[float], list[float]]] = attrs.field(factory=dict)
    rows: list[dict[str, str]] = attrs.field(factory=list)
    config_text: str | None = None
    env: dict[str, Any] | None = None
    readme: str | None = None


def read_text(path: Path) -> str | None:
    """A run's text file (``config.yaml``, ``README.md``); ``None`` when missing or not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def training_curves(folder: Path) -> dict[str, tuple[list[float], list[float]]]:
    """``{name: (steps, values)}`` of a training run, by :func:`~faceswap_core.experiment.
    metrics.series` over :func:`~faceswap_core.experiment.metrics.read_records` (a
    truncated last line, a run killed mid-write, is skipped as ``faceswap compare`` skips it).
    """
    curves = series(read_records(run_metrics_file(folder)), default_phase=None)
    return {
        name: ([float(x) for x, _ in points], [y for _, y in points])
        for name, points in curves.items()
    }


def _direction(name: str, declared: dict[str, bool]) -> bool | None:
    found = higher_is_better(name, declared)
    if found is not None:
        return found
    if name.split("/")[-1] == "lr":
        return None
    return not any(word in name.lower() for word in LOWER_IS_BETTER_WORDS)


def load_run(path: str | Path) -> RunView:
    """Read an eval folder or a training run folder."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"run folder not found: {folder}")
    work = WorkDir(folder)
    config_text = read_text(work.config)
    env = read_env(work.env)
    if is_eval_folder(folder):
        document = read_metrics_json(folder)
        return RunView(
            folder,
            "eval",
            str(document.get("name") or folder.name),
            {name: dict(entry) for name, entry in document["metrics"].items()},
            document=document,
            rows=read_metrics_csv(folder),
            config_text=config_text,
            env=env,
        )
    if has_metrics(folder):
        curves = training_curves(folder)
        declared = declared_directions(folder)
        metrics: dict[str, dict[str, Any]] = {}
        for name, (xs, ys) in curves.items():
            up = _direction(name, declared)
            best = max(ys) if up or up is None else min(ys)
            metrics[name] = {
                "value": ys[-1],
                "best": best,
                "step": xs[-1],
                "higher_is_better": up,
                "unit": None,
                "definition": f"last logged value of {name} (step {xs[-1]:g}); best {best:.4g}",
            }
        return RunView(
            folder,
            "train",
            folder.name,
            metrics,
            series=curves,
            config_text=config_text,
            env=env,
            readme=read_text(work.readme),
        )
    raise InputError(
        f"{folder} is neither an eval output (metrics.json from `faceswap eval`) nor a training "
        f"run ({JSONL_NAME} or {CSV_NAME})"
    )


__all__ = [
    "LOWER_IS_BETTER_WORDS",
    "RunKind",
    "RunView",
    "load_run",
    "read_text",
    "training_curves",
]
