"""``faceswap report RUN_DIR [RUN_B]``: a run's report.html, or a comparison of two runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from faceswap_core.cli.options import checked_output
from faceswap_core.eval.report import write_comparison, write_report


@click.command("report")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("other", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    callback=checked_output,
    help="HTML file to write (default RUN_DIR/report.html, or RUN_DIR/compare-<B>.html).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"report": PATH} as JSON.')
def command(run_dir: Path, other: Path | None, output: Path | None, as_json: bool) -> None:
    """Regenerate RUN_DIR's self-contained report.html (an eval or a training run).

    With a second run, render a comparison instead: metric deltas, overlaid
    distributions or curves, and side-by-side galleries of the same pairs.
    """
    path = (
        write_report(run_dir, output) if other is None else write_comparison(run_dir, other, output)
    )
    click.echo(json.dumps({"report": str(path)}) if as_json else f"report: {path}")
