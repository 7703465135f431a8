"""Self-contained HTML reports of an eval or training run, and of two runs compared.

One file, no external resource: images are inlined as ``data:`` URIs and the
style sheet is embedded, so ``report.html`` opens from disk, survives being
mailed or attached to a CI job, and a browser test can check that every
image decodes. The pages are Jinja2 templates (``eval/templates/``, package
data) rendered with autoescape on: a dataset's folder and file names, a
config's text and a run's name are user input and always shown as text. Runs
are read by :mod:`faceswap_core.eval.runs` (through the readers of
:mod:`~faceswap_core.eval.results` and :mod:`faceswap_core.experiment`);
this module only chooses what each page shows.

A comparison of two runs of the same kind shows metric deltas, overlaid
distributions or curves, and the same pairs (or samples) side by side.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import jinja2

from faceswap_core.errors import InputError
from faceswap_core.eval import contact_sheets as sheets
from faceswap_core.eval.plots import HISTOGRAMS, curves_png, histogram_png, scatter_png
from faceswap_core.eval.results import (
    CONTACT_SHEETS_DIR,
    PAIR_STRIPS_DIR,
    PLOTS_DIR,
    REPORT_HTML,
    column,
)
from faceswap_core.eval.runs import RunView, load_run
from faceswap_core.experiment.workdir import WorkDir
from faceswap_core.io.atomic import atomic_write_text
from faceswap_core.io.encode import encode
from faceswap_core.version import __version__

MAX_IMAGES = 24
"""Most plot or sample images one section inlines (a report stays a few MB)."""
MAX_CURVES = 16
"""Most curve plots of a training run."""
MAX_FAILURES = 100
"""Failed pairs listed by name; the rest are counted."""
ENV_PACKAGES: tuple[str, ...] = (
    "numpy", "opencv-python", "onnxruntime", "scikit-image", "torch", "dlib-bin", "lpips",
)  # fmt: skip
"""Packages whose versions the environment section names (all are counted)."""


@attrs.frozen
class Figure:
    """One image of a page: its ``data:`` URI and caption."""

    src: str
    caption: str


@functools.cache
def templates() -> jinja2.Environment:
    """The report templates (package data), autoescaped, failing on an undefined name."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("faceswap_core.eval", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_page(template: str, **context: Any) -> str:
    """Render ``template`` with the page frame's title stamp and version."""
    stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    return templates().get_template(template).render(version=__version__, stamp=stamp, **context)


# -- values as the pages show them ---------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def shown(value: Any) -> str:
    """A metric value as text: ``—`` for none, 4 significant decimals, scientific when tiny."""
    number = _number(value)
    if number is None:
        return "—" if value is None else str(value)
    if number != 0 and (abs(number) >= 1e5 or abs(number) < 1e-3):
        return f"{number:.3e}"
    return f"{number:.4f}".rstrip("0").rstrip(".") if not number.is_integer() else f"{number:.0f}"


def plain(value: Any) -> str:
    """Nested mappings and lists as one line of ``key: value`` text."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {plain(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value)
    return str(value)


def facts(items: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """``(label, text)`` rows of a facts table; empty values are left out."""
    return [(key, plain(value)) for key, value in items if value not in (None, "", {}, [])]


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _mime(path: Path) -> str | None:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(
        path.suffix.lower()
    )


def file_figure(path: Path, caption: str) -> Figure | None:
    mime = _mime(path)
    if mime is None or not path.is_file():
        return None
    return Figure(data_uri(path.read_bytes(), mime), caption)


def png_figure(png: bytes, caption: str) -> Figure:
    return Figure(data_uri(png, "image/png"), caption)


def image_figure(image: Any, caption: str) -> Figure:
    jpeg = encode(image, "jpg", quality=90, provenance=False)
    return Figure(data_uri(jpeg, "image/jpeg"), caption)


def images_in(folder: Path, limit: int = MAX_IMAGES) -> list[Path]:
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.rglob("*") if p.is_file() and _mime(p) is not None)
    return found[:limit]


def _folder_figures(folder: Path, caption: Any = None) -> list[Figure]:
    found = (file_figure(p, p.stem if caption is None else caption(p)) for p in images_in(folder))
    return [figure for figure in found if figure is not None]


def metric_rows(metrics: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    direction = {True: "higher", False: "lower", None: ""}
    return [
        {
            "name": name,
            "value": shown(entry.get("value")),
            "unit": str(entry.get("unit") or ""),
            "direction": direction[entry.get("higher_is_better")],
            "count": str(entry.get("count", "")),
            "definition": str(entry.get("definition") or ""),
            "unavailable": str(entry["unavailable"]) if entry.get("unavailable") else None,
        }
        for name, entry in metrics.items()
    ]


def env_facts(env: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if not env:
        return []
    packages = env.get("packages") or {}
    versions = {name: packages[name] for name in ENV_PACKAGES if name in packages}
    return facts(
        [
            ("python", (env.get("python") or {}).get("version")),
            ("platform", (env.get("platform") or {}).get("platform")),
            ("cpu", env.get("cpu")),
            ("gpu", env.get("gpu")),
            ("env_hash", env.get("env_hash")),
            ("git", env.get("git")),
            ("packages", f"{len(packages)} installed; " + plain(versions)),
            ("command", " ".join(env.get("argv") or [])),
        ]
    )


# -- one run -----------------------------------------------------------------------------------


def _gate(gate: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not gate:
        return None
    return {
        "baseline": str(gate.get("baseline")),
        "passed": bool(gate.get("passed")),
        "checked": ", ".join(gate.get("checked", [])) or "nothing",
        "regressions": [str(item.get("message")) for item in gate.get("regressions", [])],
        "skipped": plain(gate.get("skipped") or {}),
    }


def _mos(mos: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not mos:
        return None
    rows = []
    for method, entry in (mos.get("methods") or {}).items():
        low, high = entry.get("ci95") or [None, None]
        rows.append(
            {
                "method": method,
                "mos": shown(entry.get("mos")),
                "low": shown(low),
                "high": shown(high),
                "ratings": str(entry.get("ratings")),
            }
        )
    return {"scale": str(mos.get("scale", "")), "raters": str(mos.get("raters")), "rows": rows}


def _failures(rows: Sequence[Mapping[str, str]]) -> dict[str, Any] | None:
    failed = [row for row in rows if row.get("status") not in (None, "", "ok")]
    if not failed:
        return None
    listed = [
        {
            "pair_id": row["pair_id"],
            "status": row["status"],
            "source": row.get("source", ""),
            "target": row.get("target", ""),
            "error": row.get("error", ""),
        }
        for row in failed[:MAX_FAILURES]
    ]
    return {"count": len(failed), "rows": listed, "more": max(len(failed) - MAX_FAILURES, 0)}


def render_eval(run: RunView) -> str:
    document = run.document or {}
    model = document.get("model") or {}
    dataset = document.get("dataset") or {}
    pairs = document.get("pairs") or {}
    by = (document.get("gallery") or {}).get("by")
    grids = [run.path / CONTACT_SHEETS_DIR / f"{group}.jpg" for group in sheets.GROUPS]
    contact = [file_figure(p, f"{p.stem} pairs by {by} (source | target | result)") for p in grids]
    return render_page(
        "eval.html.j2",
        title=f"faceswap eval: {run.name}",
        facts=facts(
            [
                ("swapper", model.get("swapper")),
                ("training run", model.get("run")),
                ("checkpoint", model.get("checkpoint")),
                ("dataset", f"{dataset.get('kind')} {dataset.get('path')}"),
                ("dataset version", dataset.get("version")),
                ("manifest sha256", dataset.get("manifest_sha256")),
                ("split", dataset.get("split")),
                ("identities / images", f"{dataset.get('identities')} / {dataset.get('images')}"),
                (
                    "pairs",
                    f"{pairs.get('cross')} cross, {pairs.get('self')} self, "
                    f"seed {pairs.get('seed')}",
                ),
                ("recognizer", document.get("recognizer")),
                ("landmarker", document.get("landmarker")),
                ("created", document.get("created")),
            ]
        ),
        metrics=metric_rows(run.metrics),
        gate=_gate(document.get("gate")),
        mos=_mos(document.get("mos")),
        plots=_folder_figures(run.path / PLOTS_DIR),
        sheets=[figure for figure in contact if figure is not None],
        failures=_failures(run.rows),
        config_text=run.config_text,
        env=env_facts(run.env),
    )


def _curve_groups(series: Mapping[str, tuple[list[float], list[float]]]) -> dict[str, list[str]]:
    """Series grouped by their field name, so ``train/loss`` and ``val/loss`` share a plot."""
    groups: dict[str, list[str]] = {}
    for name in series:
        groups.setdefault(name.split("/")[-1], []).append(name)
    return dict(list(groups.items())[:MAX_CURVES])


def render_training(run: RunView) -> str:
    work = WorkDir(run.path)
    curves = [
        png_figure(
            curves_png({name: run.series[name] for name in names}, title=field, xlabel="step"),
            field,
        )
        for field, names in _curve_groups(run.series).items()
    ]
    samples = _folder_figures(work.samples, lambda p: str(p.relative_to(work.samples)))
    return render_page(
        "training.html.j2",
        title=f"faceswap training run: {run.name}",
        metrics=metric_rows(run.metrics),
        curves=curves,
        plots=_folder_figures(work.plots),
        samples=samples,
        readme=run.readme,
        config_text=run.config_text,
        env=env_facts(run.env),
    )


def render_run(path: str | Path) -> str:
    run = load_run(path)
    return render_eval(run) if run.kind == "eval" else render_training(run)


def write_report(path: str | Path, output: str | Path | None = None) -> Path:
    """Render a run's report to ``output`` (default ``RUN_DIR/report.html``), atomically."""
    folder = Path(path)
    text = render_run(folder)
    return atomic_write_text(Path(output) if output is not None else folder / REPORT_HTML, text)


# -- two runs ----------------------------------------------------------------------------------


def _deltas(a: RunView, b: RunView) -> list[dict[str, str]]:
    rows = []
    for name in [*a.metrics, *(n for n in b.metrics if n not in a.metrics)]:
        va = _number(a.metrics.get(name, {}).get("value"))
        vb = _number(b.metrics.get(name, {}).get("value"))
        entry = a.metrics.get(name) or b.metrics.get(name) or {}
        direction = entry.get("higher_is_better")
        delta, verdict = "—", ""
        if va is not None and vb is not None:
            delta = shown(vb - va)
            if direction is not None and vb != va:
                verdict = "better" if (vb > va) == bool(direction) else "worse"
        rows.append(
            {
                "name": name,
                "a": shown(va),
                "b": shown(vb),
                "delta": delta,
                "verdict": verdict,
                "unit": str(entry.get("unit") or ""),
            }
        )
    return rows


def same_pairs(a: RunView, b: RunView) -> list[str]:
    """Pair ids both runs swapped from the same source and target images."""
    keys_b = {row["pair_id"]: (row.get("source"), row.get("target")) for row in b.rows}
    return [
        row["pair_id"]
        for row in a.rows
        if row.get("status") == "ok"
        and keys_b.get(row["pair_id"]) == (row.get("source"), row.get("target"))
    ]


def side_by_side(a: RunView, b: RunView, ids: Sequence[str]) -> list[tuple[str, Any]]:
    """``(pair_id, image)``: A's strip (source | target | A's result) plus B's result."""
    images = []
    for pair_id in ids:
        strip_a = sheets.read_strip(a.path / PAIR_STRIPS_DIR, pair_id)
        strip_b = sheets.read_strip(b.path / PAIR_STRIPS_DIR, pair_id)
        if strip_a is None or strip_b is None:
            continue
        images.append((pair_id, sheets.strip([strip_a, strip_b[:, -sheets.DISPLAY_CROP :]])))
    return images


def _comparison_pairs(a: RunView, b: RunView, rows: int = 3) -> list[str]:
    common = same_pairs(a, b)
    wanted: list[str] = []
    for run in (a, b):
        chosen = (run.document or {}).get("gallery") or {}
        for group in sheets.GROUPS:
            wanted += [pid for pid in chosen.get(group, [])[:rows] if pid in common]
    ordered = list(dict.fromkeys(wanted)) or common[: rows * 3]
    return ordered[: rows * 4]


def _distributions(a: RunView, b: RunView) -> list[Figure]:
    figures = []
    for name, label in HISTOGRAMS.items():
        va, vb = column(a.rows, name), column(b.rows, name)
        if va and vb:
            png = histogram_png({f"A {a.name}": va, f"B {b.name}": vb}, title=label, xlabel=label)
            figures.append(png_figure(png, label))
    clouds = {
        f"{tag} {run.name}": (
            column(run.rows, "identity_cos_source"),
            column(run.rows, "identity_cos_target"),
        )
        for tag, run in (("A", a), ("B", b))
    }
    if all(xs and len(xs) == len(ys) for xs, ys in clouds.values()):
        png = scatter_png(
            clouds,
            title="identity cosine: source vs target",
            xlabel="cosine to source",
            ylabel="cosine to target",
        )
        figures.append(png_figure(png, "identity cosine: source vs target"))
    return figures


def _overlaid_curves(a: RunView, b: RunView) -> list[Figure]:
    figures = []
    for field in sorted(set(_curve_groups(a.series)) & set(_curve_groups(b.series))):
        series = {}
        for tag, run in (("A", a), ("B", b)):
            for name in _curve_groups(run.series)[field]:
                series[f"{tag} {name}"] = run.series[name]
        figures.append(png_figure(curves_png(series, title=field, xlabel="step"), field))
    return figures


def _samples_side_by_side(a: RunView, b: RunView) -> list[Figure]:
    samples_a = {p.relative_to(a.path): p for p in images_in(WorkDir(a.path).samples)}
    samples_b = {p.relative_to(b.path): p for p in images_in(WorkDir(b.path).samples)}
    figures = []
    for key in sorted(set(samples_a) & set(samples_b))[: MAX_IMAGES // 2]:
        figures += [
            file_figure(samples_a[key], f"A {key}"),
            file_figure(samples_b[key], f"B {key}"),
        ]
    return [figure for figure in figures if figure is not None]


def render_comparison(path_a: str | Path, path_b: str | Path) -> str:
    a, b = load_run(path_a), load_run(path_b)
    if a.kind != b.kind:
        kinds = {"eval": "eval output", "train": "training run"}
        raise InputError(
            f"cannot compare the {kinds[a.kind]} {a.path} with the {kinds[b.kind]} {b.path}; "
            f"compare two eval outputs or two training runs"
        )
    evals = a.kind == "eval"
    return render_page(
        "comparison.html.j2",
        title=f"faceswap comparison: {a.name} vs {b.name}",
        facts=facts([("A", a.path), ("B", b.path)]),
        name_a=a.name,
        name_b=b.name,
        deltas=_deltas(a, b),
        distributions=_distributions(a, b) if evals else [],
        pairs=[
            image_figure(image, pair_id)
            for pair_id, image in side_by_side(a, b, _comparison_pairs(a, b))
        ]
        if evals
        else [],
        curves=[] if evals else _overlaid_curves(a, b),
        samples=[] if evals else _samples_side_by_side(a, b),
    )


def write_comparison(
    path_a: str | Path, path_b: str | Path, output: str | Path | None = None
) -> Path:
    """Render A vs B to ``output`` (default ``RUN_A/compare-<B name>.html``), atomically."""
    text = render_comparison(path_a, path_b)
    target = (
        Path(output) if output is not None else Path(path_a) / f"compare-{Path(path_b).name}.html"
    )
    return atomic_write_text(target, text)


__all__ = [
    "Figure",
    "data_uri",
    "render_comparison",
    "render_page",
    "render_run",
    "same_pairs",
    "side_by_side",
    "templates",
    "write_comparison",
    "write_report",
]
