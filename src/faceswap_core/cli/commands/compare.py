"""``faceswap compare RUN_A RUN_B``: metric deltas of two runs, an overlay of their curves,
and the regression gate (RUN_A is the baseline; exit 6)."""

from __future__ import annotations

import sys

import click

from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.experiment.compare import check_regressions, compare_runs
from faceswap_core.operations.compare import COMPARE, CompareSpec


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def run(ctx: click.Context, spec: CompareSpec) -> None:
    """Compare, print a table (or JSON Lines), then gate."""
    run_a, run_b = spec.runs
    report = compare_runs(
        run_a, run_b, metrics=spec.metrics, tolerance=spec.tolerance if spec.gated else None
    )
    if spec.json:
        for row in report.metrics:
            emit(row.to_dict())
        summary = report.to_dict()
        summary.pop("metrics")
        emit_summary(summary)
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


command = spec_command(COMPARE, run)
