"""``eval``: a swapper on held-out pairs, with an optional regression gate (CLI,
``faceswap.evaluate``)."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.eval.gate import parse_tolerances
from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError


@attrs.frozen(kw_only=True)
class EvalSpec:
    """Swap held-out pairs and write metrics, plots, galleries and report.html.

    With --baseline, the metrics are gated against another eval folder: exit 6
    (after every output is written) when one regressed by more than its
    --tolerance (zero by default for identity, pose, expression, SSIM, PSNR,
    LPIPS and failures; FPS and latency only when named).
    """

    config: str | None = fields.option(
        "Config file or shipped config name: its eval and pipeline sections.",
        default=None,
        metavar="CONFIG",
        api_positional=True,
        api_type="str | Path | None",
    )
    model: str | None = fields.model("Swapper: classic, inswapper, onnx, or a plugin's.")
    model_path: str | None = fields.model_path("Model file (or model-store name) for the swapper.")
    pixel_boost: int | None = fields.pixel_boost()
    mask: tuple[str, ...] = fields.mask()
    areas: tuple[str, ...] = fields.areas()
    regions: tuple[str, ...] = fields.regions()
    occluder: str | None = fields.occluder()
    parser: str | None = fields.parser()
    enhancer: str | None = fields.enhancer()
    enhance_blend: float | None = fields.enhance_blend()
    run: str | None = fields.option(
        "Training run folder: its best checkpoint, with the swapper that loads it.",
        default=None,
        metavar="RUN_DIR",
        api_type="str | Path | None",
    )
    data: str | None = fields.option(
        "Prepared dataset (manifest.json; eval.split is used) or LFW-layout folder.",
        default=None,
        metavar="DIR",
        api_type="str | Path | None",
    )
    pairs: str | None = fields.option(
        "CSV of source,target pairs.", default=None, metavar="CSV", api_type="str | Path | None"
    )
    videos: str | None = fields.option(
        "Folder of videos (N evenly spaced frames each).",
        default=None,
        metavar="DIR",
        api_type="str | Path | None",
    )
    output: str | None = fields.output(
        "Output folder (new or empty; default work_dirs/eval-<timestamp>).",
        aliases=("--out",),
        api_aliases=("out",),
    )
    baseline: str | None = fields.baseline(
        "Eval folder to gate against: exit 6 when a metric regressed."
    )
    tolerance: tuple[str, ...] = fields.tolerance(
        "Allowed slack for --baseline, e.g. identity_top1=0.02, or DELTA for every gated "
        "metric (repeatable)."
    )
    overrides: tuple[str, ...] = fields.overrides(
        "Override a config value, e.g. eval.cross_pairs=20 (repeatable)."
    )
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()
    cluster: str | None = fields.cluster()
    workers: int | None = fields.workers()
    gpus_per_worker: float | None = fields.gpus_per_worker()
    json: bool = fields.json_lines(
        'Print only JSON Lines: one object per metric, then {"summary": {"out", "metrics", '
        '"gate"}}.'
    )

    def __attrs_post_init__(self) -> None:
        fields.check_cluster(self.cluster, self.workers, self.gpus_per_worker)
        fields.check_mask_options(self)
        parse_tolerances(self.tolerance)
        if self.tolerance and self.baseline is None:
            raise RuleError("{tolerance} needs {baseline} RUN_DIR to compare against")


EVAL = Operation(
    "eval",
    EvalSpec,
    cli=("eval",),
    api="evaluate",
    api_summary="Evaluate a swapper like faceswap eval: same options, same outputs, same errors "
    "(RegressionError, exit code 6, when the baseline gate fails).",
    api_returns="EvalResult",
)


__all__ = ["EVAL", "EvalSpec"]
