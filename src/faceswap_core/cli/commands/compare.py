"""``faceswap compare RUN_A RUN_B``: metric deltas of two runs and an overlay of their curves."""

from __future__ import annotations

import json
import sys

import click

from faceswap_core.cli.options import ranged
from faceswap_core.config.ranges import at_least
from faceswap_core.experiment.compare import check_regressions, compare_runs


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


@click.command("compare")
@click.argument("run_a", type=click.Path(exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help="Compare and gate only this metric (repeatable); default: show all, gate val/*.",
)
@click.option(
    "--fail-on-regression",
    "tolerance",
    type=float,
    default=None,
    callback=ranged(at_least(0)),
    metavar="TOL",
    help="Exit 6 when a gated metric of RUN_B ends worse than RUN_A's by more than TOL "
    "(only metrics whose direction the runs declare are gated).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def command(
    run_a: str, run_b: str, metrics: tuple[str, ...], tolerance: float | None, as_json: bool
) -> None:
    """Final and best value of each metric in both runs, B - A, and a plot next to RUN_B.

    Directions (higher or lower is better) come from the runs' metrics.json; the
    regression gate checks the validation metrics (val/...) with a declared
    direction, or exactly those named with --metric.
    """
    report = compare_runs(run_a, run_b, metrics=metrics, fail_on_regression=tolerance)
    if as_json:
        click.echo(json.dumps(report.to_dict(), allow_nan=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"A = {report.run_a}\nB = {report.run_b}")
        table.add_column("metric", no_wrap=True)
        for column in ("final A", "final B", "B - A", "best A", "best B", "better", "gated"):
            table.add_column(column, justify="right")
        regressed = {m.name for m in report.regressions}
        for row in report.metrics:
            name = f"[red]{row.name}[/]" if row.name in regressed else row.name
            table.add_row(
                name,
                _fmt(row.final_a),
                _fmt(row.final_b),
                _fmt(row.delta),
                _fmt(row.best_a),
                _fmt(row.best_b),
                {True: "higher", False: "lower", None: "-"}[row.higher_is_better],
                "yes" if row.gated else "",
            )
        console = Console(width=None if sys.stdout.isatty() else 140)
        console.print(table)
        if report.plot is not None:
            console.print(f"plot: {report.plot}", soft_wrap=True)
    check_regressions(report)
