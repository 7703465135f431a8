"""Core's evaluation metrics, registered through the same hook as any plugin's.

A thin module: the metric classes (and scikit-image, OpenCV) load inside the
factories. LPIPS needs torch, so it comes from faceswap-unet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from faceswap_core.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from faceswap_core.interfaces import Metric
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register

METRICS: dict[str, str] = {
    "identity": "IdentityMetric",
    "pose_error": "PoseErrorMetric",
    "expression_error": "ExpressionErrorMetric",
    "ssim": "SsimMetric",
    "psnr": "PsnrMetric",
    "latency": "LatencyMetric",
    "failures": "FailuresMetric",
}
"""Component name -> class in :mod:`faceswap_core.eval.metrics` (none takes parameters)."""


def _factory(class_name: str) -> Callable[[None, BuildContext], Metric]:
    def build(config: None, context: BuildContext) -> Metric:
        from faceswap_core.eval import metrics

        return cast("Metric", getattr(metrics, class_name)())

    return build


@hookimpl
def register_metrics(register: Register[Metric]) -> None:
    for name, class_name in METRICS.items():
        register(name, _factory(class_name))
