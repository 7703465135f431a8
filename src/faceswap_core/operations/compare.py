"""``compare``: metric deltas of two runs and the regression gate (CLI, ``faceswap.compare``)."""

from __future__ import annotations

import attrs

from faceswap_core.eval.gate import parse_tolerances
from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError


@attrs.frozen(kw_only=True)
class CompareSpec:
    """Final and best value of each metric in both runs, B - A, and a plot next to RUN_B.

    RUN_A is the baseline. The regression gate (exit 6) runs with --baseline
    RUN_A and one run (RUN_B), zero slack unless --tolerance says otherwise, or
    with two runs and --tolerance. Directions (higher or lower is better) come
    from the runs' metrics.json; the gate checks the validation metrics
    (val/...) with a declared direction, or exactly those named with --metric.
    """

    run_a: str | None = fields.option(
        "The first run folder (the baseline), or the run to check with --baseline.",
        default=None,
        required=True,
        positional=True,
        api_positional=True,
        metavar="RUN_A",
        api_type="str | Path",
    )
    run_b: str | None = fields.option(
        "The second run folder, compared with RUN_A.",
        default=None,
        positional=True,
        api_positional=True,
        metavar="[RUN_B]",
        api_type="str | Path | None",
    )
    baseline: str | None = fields.baseline(
        "The baseline run: compare the one run given with it and gate (exit 6 on a regression)."
    )
    metrics: tuple[str, ...] = fields.option(
        "Compare and gate only this metric (repeatable); default: show all, gate val/*.",
        factory=tuple,
        flag="--metric",
        repeatable=True,
        api_type="Sequence[str]",
    )
    tolerance: tuple[str, ...] = fields.option(
        "Allowed worsening, METRIC=DELTA or DELTA for every gated metric (repeatable); "
        "with two runs it turns the gate on.",
        factory=tuple,
        metavar="METRIC=DELTA",
        repeatable=True,
        aliases=("--fail-on-regression",),
        api_aliases=("fail_on_regression",),
        api_type="Mapping[str, float] | Sequence[str]",
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: one object per metric, then {"summary": ...}.'
    )

    def __attrs_post_init__(self) -> None:
        parse_tolerances(self.tolerance)
        if self.baseline is not None and self.run_b is not None:
            raise RuleError(
                "{baseline} names the first run; give it two runs (RUN_A RUN_B) or one run "
                "and {baseline}"
            )
        if self.baseline is None and self.run_b is None:
            raise RuleError("compare needs two runs (RUN_A RUN_B), or one run and {baseline}")

    @property
    def runs(self) -> tuple[str, str]:
        """``(baseline run, compared run)``."""
        if self.baseline is not None:
            return str(self.baseline), str(self.run_a)
        return str(self.run_a), str(self.run_b)

    @property
    def gated(self) -> bool:
        """Whether the gate runs: with ``baseline``, or with a ``tolerance``."""
        return self.baseline is not None or bool(self.tolerance)


COMPARE = Operation(
    "compare",
    CompareSpec,
    cli=("compare",),
    api="compare",
    api_summary="Compare two run folders like faceswap compare; with baseline or tolerance, "
    "raise RegressionError when a gated metric got worse beyond its tolerance.",
    api_returns="CompareReport",
)


__all__ = ["COMPARE", "CompareSpec"]
