"""Self-contained HTML reports of an eval or training run, and of two runs compared.

One file, no external resource: images are inlined as ``data:`` URIs and the
style sheet is embedded, so ``report.html`` opens from disk, survives being
mailed or attached to a CI job, and a browser test can check that every
image decodes. Two kinds of run folder are read:

- an eval folder (``metrics.json`` with schema ``faceswap.eval/1``,
  ``metrics.csv``, ``plots/``, ``gallery/``);
- a training run (``work_dirs/<exp>-<ts>/``: ``metrics.jsonl`` and/or
  ``metrics.csv`` with one record per logged step, ``plots/``, ``samples/``,
  ``config.yaml``, ``env.json``).

A comparison of two runs of the same kind shows metric deltas, overlaid
distributions or curves, and side-by-side galleries of the same pairs.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs

from faceswap_core.errors import InputError
from faceswap_core.eval import gallery as galleries
from faceswap_core.eval.plots import HISTOGRAMS, curves_png, histogram_png, scatter_png
from faceswap_core.eval.results import (
    GALLERY_DIR,
    PAIR_STRIPS_DIR,
    PLOTS_DIR,
    REPORT_HTML,
    column,
    is_eval_folder,
    read_metrics_csv,
    read_metrics_json,
)
from faceswap_core.experiment.metrics import read_records
from faceswap_core.io.atomic import atomic_write_text
from faceswap_core.io.encode import encode
from faceswap_core.version import __version__

RunKind = Literal["eval", "train"]

TRAIN_JSONL = "metrics.jsonl"
TRAIN_CSV = "metrics.csv"
STEP_KEYS: tuple[str, ...] = ("step", "iteration", "iter", "epoch")
"""The x axis of a training curve: the first of these a record has (else its line number)."""
PHASE_KEYS: tuple[str, ...] = ("split", "phase", "mode", "event")
"""A text field that names which curve family a record belongs to (``train``, ``val``)."""
IGNORED_KEYS: frozenset[str] = frozenset({"time", "timestamp", "level", "code", "lr_step"})
MAX_IMAGES = 24
MAX_CURVES = 16

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.better { color: #0a6b2d; } .worse { color: #a11; } .muted { color: #777; }
figure { display: inline-block; margin: 0.5rem; } figcaption { font-size: 0.85rem; color: #555; }
img { max-width: 100%; } pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; }
.fail { color: #a11; font-weight: bold; } .pass { color: #0a6b2d; font-weight: bold; }
"""


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


# -- reading runs ------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def training_records(folder: Path) -> list[dict[str, Any]]:
    """The logged records of a training run: ``metrics.jsonl``, else ``metrics.csv``.

    Read by :func:`~faceswap_core.experiment.metrics.read_records`, as ``faceswap
    compare`` reads them: a truncated last line (a run killed mid-write) is skipped.
    """
    jsonl = folder / TRAIN_JSONL
    return read_records(jsonl if jsonl.is_file() else folder / TRAIN_CSV)


def training_series(
    records: Sequence[Mapping[str, Any]],
) -> dict[str, tuple[list[float], list[float]]]:
    """``{name: (x, y)}`` of each numeric field, named ``phase/field`` when records have a phase."""
    series: dict[str, tuple[list[float], list[float]]] = {}
    for index, record in enumerate(records):
        x_key = next((key for key in STEP_KEYS if _number(record.get(key)) is not None), None)
        x = _number(record[x_key]) if x_key is not None else float(index)
        assert x is not None
        phase = next(
            (str(record[key]) for key in PHASE_KEYS if isinstance(record.get(key), str)), None
        )
        for key, raw in record.items():
            value = _number(raw)
            if value is None or key in STEP_KEYS or key in IGNORED_KEYS:
                continue
            name = f"{phase}/{key}" if phase else key
            xs, ys = series.setdefault(name, ([], []))
            xs.append(x)
            ys.append(value)
    return series


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _read_env(folder: Path) -> dict[str, Any] | None:
    text = _read_text(folder / "env.json")
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def load_run(path: str | Path) -> RunView:
    """Read an eval folder or a training run folder."""
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"run folder not found: {folder}")
    config_text = _read_text(folder / "config.yaml")
    env = _read_env(folder)
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
    if (folder / TRAIN_JSONL).is_file() or (folder / TRAIN_CSV).is_file():
        series = training_series(training_records(folder))
        metrics: dict[str, dict[str, Any]] = {}
        for name, (xs, ys) in series.items():
            lower = any(word in name.lower() for word in ("loss", "error", "lpips", "fid"))
            best = min(ys) if lower else max(ys)
            metrics[name] = {
                "value": ys[-1],
                "best": best,
                "step": xs[-1],
                "higher_is_better": not lower if name.split("/")[-1] != "lr" else None,
                "unit": None,
                "definition": f"last logged value of {name} (step {xs[-1]:g}); best {best:.4g}",
            }
        return RunView(
            folder, "train", folder.name, metrics, series=series, config_text=config_text, env=env
        )
    raise InputError(
        f"{folder} is neither an eval output (metrics.json from `faceswap eval`) nor a training "
        f"run ({TRAIN_JSONL} or {TRAIN_CSV})"
    )


# -- HTML pieces -------------------------------------------------------------------------------


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _mime(path: Path) -> str | None:
    return {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}.get(
        path.suffix.lower()
    )


def _figure(src: str, caption: str) -> str:
    text = html.escape(caption)
    return f'<figure><img src="{src}" alt="{text}"><figcaption>{text}</figcaption></figure>'


def _file_figure(path: Path, caption: str) -> str:
    mime = _mime(path)
    if mime is None or not path.is_file():
        return ""
    return _figure(data_uri(path.read_bytes(), mime), caption)


def _png_figure(png: bytes, caption: str) -> str:
    return _figure(data_uri(png, "image/png"), caption)


def _image_figure(image: Any, caption: str) -> str:
    return _figure(
        data_uri(encode(image, "jpg", quality=90, provenance=False), "image/jpeg"), caption
    )


def _format(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "—" if value is None else html.escape(str(value))
    if number != 0 and (abs(number) >= 1e5 or abs(number) < 1e-3):
        return f"{number:.3e}"
    return f"{number:.4f}".rstrip("0").rstrip(".") if not number.is_integer() else f"{number:.0f}"


def _metrics_table(metrics: Mapping[str, Mapping[str, Any]]) -> str:
    rows = []
    for name, entry in metrics.items():
        value = _format(entry.get("value"))
        definition = html.escape(str(entry.get("definition") or ""))
        if entry.get("unavailable"):
            value = '<span class="muted">unavailable</span>'
            definition += f'<br><span class="muted">{html.escape(str(entry["unavailable"]))}</span>'
        direction = {True: "higher", False: "lower", None: ""}[entry.get("higher_is_better")]
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td class='num'>{value}</td>"
            f"<td>{html.escape(str(entry.get('unit') or ''))}</td>"
            f"<td>{direction}</td><td>{html.escape(str(entry.get('count', '')))}</td>"
            f"<td>{definition}</td></tr>"
        )
    return (
        '<table id="metrics"><thead><tr><th>metric</th><th>value</th><th>unit</th>'
        "<th>better</th><th>n</th><th>definition</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _facts(items: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(_plain(v))}</td></tr>"
        for k, v in items
        if v not in (None, "", {}, [])
    )
    return f'<table class="facts">{rows}</table>'


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _env_section(env: Mapping[str, Any] | None) -> str:
    if not env:
        return ""
    packages = env.get("packages") or {}
    wanted = ("numpy", "opencv-python", "onnxruntime", "scikit-image", "torch", "dlib-bin", "lpips")
    versions = {name: packages[name] for name in wanted if name in packages}
    return "<h2>Environment</h2>" + _facts(
        [
            ("python", (env.get("python") or {}).get("version")),
            ("platform", (env.get("platform") or {}).get("platform")),
            ("cpu", env.get("cpu")),
            ("gpu", env.get("gpu")),
            ("env_hash", env.get("env_hash")),
            ("git", env.get("git")),
            ("packages", f"{len(packages)} installed; " + _plain(versions)),
            ("command", " ".join(env.get("argv") or [])),
        ]
    )


def _config_section(text: str | None) -> str:
    if not text:
        return ""
    return f"<h2>Config</h2><pre>{html.escape(text)}</pre>"


def _page(title: str, body: str) -> str:
    stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        f'<p class="muted">faceswap {__version__}, generated {stamp}</p></body></html>\n'
    )


# -- one run -----------------------------------------------------------------------------------


def _gate_section(gate: Mapping[str, Any] | None) -> str:
    if not gate:
        return ""
    verdict = (
        '<span class="pass">passed</span>'
        if gate.get("passed")
        else '<span class="fail">failed</span>'
    )
    lines = "".join(
        f"<li>{html.escape(str(item.get('message')))}</li>" for item in gate.get("regressions", [])
    )
    skipped = _plain(gate.get("skipped") or {})
    return (
        f"<h2>Regression gate</h2><p>Against {html.escape(str(gate.get('baseline')))}: {verdict}; "
        f"checked {html.escape(', '.join(gate.get('checked', [])) or 'nothing')}.</p>"
        + (f"<ul>{lines}</ul>" if lines else "")
        + (f'<p class="muted">skipped: {html.escape(skipped)}</p>' if skipped else "")
    )


def _mos_section(mos: Mapping[str, Any] | None) -> str:
    if not mos:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(method)}</td><td class='num'>{_format(entry.get('mos'))}</td>"
        f"<td class='num'>{_format((entry.get('ci95') or [None, None])[0])} – "
        f"{_format((entry.get('ci95') or [None, None])[1])}</td>"
        f"<td class='num'>{entry.get('ratings')}</td></tr>"
        for method, entry in (mos.get("methods") or {}).items()
    )
    return (
        "<h2>Mean opinion score</h2>"
        f"<p>{html.escape(str(mos.get('scale', '')))}; {mos.get('raters')} rater(s).</p>"
        '<table id="mos"><tr><th>method</th><th>MOS</th><th>95% CI</th><th>ratings</th></tr>'
        f"{rows}</table>"
    )


def _failures_section(rows: Sequence[Mapping[str, str]]) -> str:
    failed = [row for row in rows if row.get("status") not in (None, "", "ok")]
    if not failed:
        return ""
    items = "".join(
        f"<tr><td>{html.escape(r['pair_id'])}</td><td>{html.escape(r['status'])}</td>"
        f"<td>{html.escape(r.get('source', ''))} → {html.escape(r.get('target', ''))}</td>"
        f"<td>{html.escape(r.get('error', ''))}</td></tr>"
        for r in failed[:100]
    )
    more = f"<p class='muted'>and {len(failed) - 100} more</p>" if len(failed) > 100 else ""
    return (
        f"<h2>Failed pairs ({len(failed)})</h2>"
        f'<table id="failures"><tr><th>pair</th><th>reason</th><th>images</th><th>detail</th></tr>'
        f"{items}</table>{more}"
    )


def _images_in(folder: Path, limit: int = MAX_IMAGES) -> list[Path]:
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.rglob("*") if p.is_file() and _mime(p) is not None)
    return found[:limit]


def render_eval(run: RunView) -> str:
    document = run.document or {}
    model = document.get("model") or {}
    dataset = document.get("dataset") or {}
    pairs = document.get("pairs") or {}
    body = [
        _facts(
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
        "<h2>Metrics</h2>",
        _metrics_table(run.metrics),
        _gate_section(document.get("gate")),
        _mos_section(document.get("mos")),
    ]
    plots = _images_in(run.path / PLOTS_DIR)
    if plots:
        body.append("<h2>Plots</h2>" + "".join(_file_figure(p, p.stem) for p in plots))
    by = (document.get("gallery") or {}).get("by")
    grids = [run.path / GALLERY_DIR / f"{group}.jpg" for group in galleries.GROUPS]
    shown = [_file_figure(p, f"{p.stem} pairs by {by} (source | target | result)") for p in grids]
    if any(shown):
        body.append("<h2>Gallery</h2>" + "".join(shown))
    body += [_failures_section(run.rows), _config_section(run.config_text), _env_section(run.env)]
    return _page(f"faceswap eval: {run.name}", "".join(body))


def _curve_groups(series: Mapping[str, tuple[list[float], list[float]]]) -> dict[str, list[str]]:
    """Series grouped by their field name, so ``train/loss`` and ``val/loss`` share a plot."""
    groups: dict[str, list[str]] = {}
    for name in series:
        groups.setdefault(name.split("/")[-1], []).append(name)
    return dict(list(groups.items())[:MAX_CURVES])


def render_training(run: RunView) -> str:
    body = ["<h2>Metrics</h2>", _metrics_table(run.metrics)]
    figures = [
        _png_figure(
            curves_png({name: run.series[name] for name in names}, title=field, xlabel="step"),
            field,
        )
        for field, names in _curve_groups(run.series).items()
        if field != "lr" or len(names) > 0
    ]
    if figures:
        body.append("<h2>Curves</h2>" + "".join(figures))
    plots = _images_in(run.path / PLOTS_DIR)
    if plots:
        body.append("<h2>Plots</h2>" + "".join(_file_figure(p, p.stem) for p in plots))
    samples = _images_in(run.path / "samples")
    if samples:
        body.append(
            "<h2>Samples</h2>"
            + "".join(_file_figure(p, str(p.relative_to(run.path / "samples"))) for p in samples)
        )
    readme = _read_text(run.path / "README.md")
    if readme:
        body.append(f"<h2>README</h2><pre>{html.escape(readme)}</pre>")
    body += [_config_section(run.config_text), _env_section(run.env)]
    return _page(f"faceswap training run: {run.name}", "".join(body))


def render_run(path: str | Path) -> str:
    run = load_run(path)
    return render_eval(run) if run.kind == "eval" else render_training(run)


def write_report(path: str | Path, output: str | Path | None = None) -> Path:
    """Render a run's report to ``output`` (default ``RUN_DIR/report.html``), atomically."""
    folder = Path(path)
    text = render_run(folder)
    return atomic_write_text(Path(output) if output is not None else folder / REPORT_HTML, text)


# -- two runs ----------------------------------------------------------------------------------


def _delta_table(a: RunView, b: RunView) -> str:
    rows = []
    for name in [*a.metrics, *(n for n in b.metrics if n not in a.metrics)]:
        va, vb = (
            _number(a.metrics.get(name, {}).get("value")),
            _number(b.metrics.get(name, {}).get("value")),
        )
        entry = a.metrics.get(name) or b.metrics.get(name) or {}
        direction = entry.get("higher_is_better")
        delta, verdict = "—", ""
        if va is not None and vb is not None:
            delta = _format(vb - va)
            if direction is not None and vb != va:
                better = (vb > va) == bool(direction)
                verdict = (
                    '<span class="better">better</span>'
                    if better
                    else '<span class="worse">worse</span>'
                )
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td class='num'>{_format(va)}</td>"
            f"<td class='num'>{_format(vb)}</td><td class='num'>{delta}</td><td>{verdict}</td>"
            f"<td>{html.escape(str(entry.get('unit') or ''))}</td></tr>"
        )
    return (
        '<table id="metrics"><thead><tr><th>metric</th>'
        f"<th>A: {html.escape(a.name)}</th><th>B: {html.escape(b.name)}</th>"
        "<th>B − A</th><th>B is</th><th>unit</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


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
        strip_a = galleries.read_strip(a.path / PAIR_STRIPS_DIR, pair_id)
        strip_b = galleries.read_strip(b.path / PAIR_STRIPS_DIR, pair_id)
        if strip_a is None or strip_b is None:
            continue
        images.append((pair_id, galleries.strip([strip_a, strip_b[:, -galleries.DISPLAY_CROP :]])))
    return images


def _comparison_pairs(a: RunView, b: RunView, rows: int = 3) -> list[str]:
    common = same_pairs(a, b)
    wanted: list[str] = []
    for run in (a, b):
        chosen = (run.document or {}).get("gallery") or {}
        for group in galleries.GROUPS:
            wanted += [pid for pid in chosen.get(group, [])[:rows] if pid in common]
    ordered = list(dict.fromkeys(wanted)) or common[: rows * 3]
    return ordered[: rows * 4]


def render_comparison(path_a: str | Path, path_b: str | Path) -> str:
    a, b = load_run(path_a), load_run(path_b)
    if a.kind != b.kind:
        kinds = {"eval": "eval output", "train": "training run"}
        raise InputError(
            f"cannot compare the {kinds[a.kind]} {a.path} with the {kinds[b.kind]} {b.path}; "
            f"compare two eval outputs or two training runs"
        )
    body = [
        _facts([("A", a.path), ("B", b.path)]),
        "<h2>Metric deltas</h2>",
        _delta_table(a, b),
    ]
    if a.kind == "eval":
        figures = []
        for name, label in HISTOGRAMS.items():
            va, vb = column(a.rows, name), column(b.rows, name)
            if va and vb:
                png = histogram_png(
                    {f"A {a.name}": va, f"B {b.name}": vb}, title=label, xlabel=label
                )
                figures.append(_png_figure(png, label))
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
            figures.append(_png_figure(png, "identity cosine: source vs target"))
        if figures:
            body.append("<h2>Distributions</h2>" + "".join(figures))
        pairs = side_by_side(a, b, _comparison_pairs(a, b))
        if pairs:
            body.append(
                "<h2>Same pairs side by side</h2><p>source | target | A result | B result</p>"
                + "".join(_image_figure(image, pair_id) for pair_id, image in pairs)
            )
    else:
        figures = []
        for field in sorted(set(_curve_groups(a.series)) & set(_curve_groups(b.series))):
            series = {}
            for tag, run in (("A", a), ("B", b)):
                for name in _curve_groups(run.series)[field]:
                    series[f"{tag} {name}"] = run.series[name]
            figures.append(_png_figure(curves_png(series, title=field, xlabel="step"), field))
        if figures:
            body.append("<h2>Curves</h2>" + "".join(figures))
        samples_a = {p.relative_to(a.path): p for p in _images_in(a.path / "samples")}
        samples_b = {p.relative_to(b.path): p for p in _images_in(b.path / "samples")}
        common = sorted(set(samples_a) & set(samples_b))
        if common:
            body.append(
                "<h2>Samples side by side</h2>"
                + "".join(
                    _file_figure(samples_a[k], f"A {k}") + _file_figure(samples_b[k], f"B {k}")
                    for k in common[: MAX_IMAGES // 2]
                )
            )
    return _page(f"faceswap comparison: {a.name} vs {b.name}", "".join(body))


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
    "RunView",
    "data_uri",
    "load_run",
    "render_comparison",
    "render_run",
    "same_pairs",
    "side_by_side",
    "training_records",
    "training_series",
    "write_comparison",
    "write_report",
]
