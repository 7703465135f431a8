"""``faceswap report RUN_DIR [RUN_B]``: a run's report.html, or a comparison of two runs."""

from __future__ import annotations

from pathlib import Path

import click

from faceswap_core.cli.jsonlines import emit, emit_summary
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.eval.report import write_comparison, write_report
from faceswap_core.io.atomic import refuse_special
from faceswap_core.operations.report import REPORT, ReportSpec


def run(ctx: click.Context, spec: ReportSpec) -> None:
    """Write the page; print its path (or JSON Lines)."""
    output = None if spec.output is None else Path(spec.output)
    if output is not None:
        refuse_special(output)  # a device, FIFO, socket or symlink: refused before any work
    run_dir = Path(str(spec.run_dir))
    if spec.other is None:
        path = write_report(run_dir, output)
    else:
        path = write_comparison(run_dir, Path(spec.other), output)
    if spec.json:
        emit({"report": str(path)})
        emit_summary({"reports": 1, "report": str(path)})
        return
    click.echo(f"report: {path}")


command = spec_command(REPORT, run)
