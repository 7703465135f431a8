"""``faceswap eval``: evaluate a swapper on held-out pairs; optionally gate on a baseline."""

from __future__ import annotations

import sys

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.errors import RegressionError
from faceswap_core.eval.evaluator import EvalOptions, EvalResult, evaluate
from faceswap_core.operations.evaluate import EVAL, EvalSpec
from faceswap_core.pipeline.runner import spec_runner


def _summary(result: EvalResult) -> str:
    lines = [f"eval -> {result.out}"]
    for name, entry in result.document["metrics"].items():
        value = entry.get("value")
        if entry.get("unavailable"):
            shown = f"unavailable ({entry['unavailable']})"
        elif isinstance(value, int | float):
            shown = f"{value:.4g} {entry.get('unit') or ''}".rstrip()
        else:
            shown = "-"
        lines.append(f"  {name:<20} {shown}")
    lines.append(f"report: {result.out / 'report.html'}")
    return "\n".join(lines)


def _emit_metrics(document: dict[str, object], summary: dict[str, object]) -> None:
    metrics = document.get("metrics")
    for name, entry in (metrics if isinstance(metrics, dict) else {}).items():
        emit({"metric": name, **(entry if isinstance(entry, dict) else {"value": entry})})
    emit_summary(summary)


def run(ctx: click.Context, spec: EvalSpec) -> None:
    """Evaluate; print the metrics (or JSON Lines); the gate exits 6 after every output."""
    bar = None
    progress = None
    if not spec.json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="eval", unit="pair", file=sys.stderr, leave=False)

        def progress(done: int, total: int) -> None:
            assert bar is not None
            bar.total = total
            bar.update(done - bar.n)

    try:
        plugins = plugins_from(ctx)
        with spec_runner(spec, plugins) as runner:
            result = evaluate(
                EvalOptions.of(spec),
                plugins=plugins,
                progress=progress,
                runner=None if spec.cluster is None else runner,
            )
    except RegressionError as exc:
        if spec.json and exc.result is not None:  # the outputs exist: report them, then fail
            values = exc.result.get("metrics")
            found = values if isinstance(values, dict) else {}
            _emit_metrics({"metrics": {k: {"value": v} for k, v in found.items()}}, exc.result)
        raise
    finally:
        if bar is not None:
            bar.close()
    if spec.json:
        _emit_metrics(result.document, result.summary())
    else:
        click.echo(_summary(result))


command = spec_command(EVAL, run)
