"""``faceswap eval``: evaluate a swapper on held-out pairs; optionally gate on a baseline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from faceswap_core.cli.context import plugins_from
from faceswap_core.errors import RegressionError
from faceswap_core.eval.evaluator import EvalOptions, EvalResult, evaluate


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


@click.command("eval")
@click.option("--config", default=None, help="YAML config (its eval and pipeline sections).")
@click.option("--model", default=None, help="Swapper: classic, inswapper, onnx, or a plugin's.")
@click.option(
    "--model-path", default=None, help="Model file (or model-store name) for the swapper."
)
@click.option(
    "--run",
    "run_dir",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Training run folder: its best checkpoint, with the swapper that loads it.",
)
@click.option(
    "--data",
    default=None,
    help="Prepared dataset (manifest.json; eval.split is used) or LFW-layout folder.",
)
@click.option("--pairs", "pairs_csv", default=None, help="CSV of source,target pairs.")
@click.option("--videos", default=None, help="Folder of videos (N evenly spaced frames each).")
@click.option("--out", default=None, help="Output folder (new or empty).")
@click.option(
    "--baseline",
    default=None,
    type=click.Path(path_type=Path),
    help="Eval folder to gate against: exit 6 when a metric regressed.",
)
@click.option(
    "--tolerance",
    multiple=True,
    metavar="METRIC=DELTA",
    help="Allowed slack for --baseline, e.g. identity_top1=0.02; repeatable.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a config value, e.g. eval.cross_pairs=20.",
)
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line: out and metrics.")
@click.pass_context
def command(
    ctx: click.Context,
    config: str | None,
    model: str | None,
    model_path: str | None,
    run_dir: Path | None,
    data: str | None,
    pairs_csv: str | None,
    videos: str | None,
    out: str | None,
    baseline: Path | None,
    tolerance: tuple[str, ...],
    overrides: tuple[str, ...],
    as_json: bool,
) -> None:
    """Swap held-out pairs and write metrics, plots, galleries and report.html."""
    options = EvalOptions(
        config=config,
        model=model,
        model_path=model_path,
        run=run_dir,
        data=data,
        pairs=pairs_csv,
        videos=videos,
        out=out,
        baseline=baseline,
        tolerance=tolerance,
        overrides=overrides,
    )
    bar = None
    progress = None
    if not as_json and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="eval", unit="pair", file=sys.stderr, leave=False)

        def progress(done: int, total: int) -> None:
            assert bar is not None
            bar.total = total
            bar.update(done - bar.n)

    try:
        result = evaluate(options, plugins=plugins_from(ctx), progress=progress)
    except RegressionError as exc:
        if as_json and exc.result is not None:
            click.echo(json.dumps(exc.result))
        raise
    finally:
        if bar is not None:
            bar.close()
    click.echo(json.dumps(result.summary()) if as_json else _summary(result))
