"""``report``: a run's self-contained report.html, or a comparison of two runs (CLI,
``faceswap.report``)."""

from __future__ import annotations

import attrs

from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation


@attrs.frozen(kw_only=True)
class ReportSpec:
    """Regenerate RUN_DIR's self-contained report.html (an eval or a training run).

    With a second run, render a comparison instead: metric deltas, overlaid
    distributions or curves, and side-by-side galleries of the same pairs.
    """

    run_dir: str | None = fields.option(
        "An eval or training run folder.",
        default=None,
        required=True,
        positional=True,
        api_positional=True,
        metavar="RUN_DIR",
        api_type="str | Path",
    )
    other: str | None = fields.option(
        "A second run to compare RUN_DIR with.",
        default=None,
        positional=True,
        api_positional=True,
        metavar="[RUN_B]",
        api_type="str | Path | None",
    )
    output: str | None = fields.output(
        "HTML file to write (default RUN_DIR/report.html, or RUN_DIR/compare-<B>.html)."
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: {"report": PATH}, then {"summary": ...}.'
    )


REPORT = Operation(
    "report",
    ReportSpec,
    cli=("report",),
    api="report",
    api_summary="Regenerate a run's report.html (faceswap report); with other, compare two runs.",
    api_returns="Path",
)


__all__ = ["REPORT", "ReportSpec"]
