"""Core's evaluation metrics, registered through the same hook as any plugin's.

A thin module: the metric classes (and scikit-image, OpenCV) load inside the
factories. LPIPS needs torch, so it comes from faceswap-unet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core.plugin.hookspecs import hookimpl

if TYPE_CHECKING:
    from faceswap_core.interfaces import Metric
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register


def _identity(config: None, context: BuildContext) -> Metric:
    from faceswap_core.eval.metrics import IdentityMetric

    return IdentityMetric()


def _pose_error(config: None, context: BuildContext) -> Metric:
    from faceswap_core.eval.metrics import PoseErrorMetric

    return PoseErrorMetric()


def _expression_error(config: None, context: BuildContext) -> Metric:
    from faceswap_core.eval.metrics import ExpressionErrorMetric

    return ExpressionErrorMetric()


def _ssim(config: None, context: BuildContext) -> Metric:
    from faceswap_core.eval.metrics import SsimMetric

    return SsimMetric()


def _psnr(config: None, context: BuildContext) -> Metric:
    from faceswap_core.eval.metrics import PsnrMetric

    return PsnrMetric()


def _latency(config: None, context: BuildContext) -> Metric:
    from faceswap_core.eval.metrics import LatencyMetric

    return LatencyMetric()


def _failures(config: None, context: BuildContext) -> Metric:
    from faceswap_core.eval.metrics import FailuresMetric

    return FailuresMetric()


@hookimpl
def register_metrics(register: Register[Metric]) -> None:
    register("identity", _identity)
    register("pose_error", _pose_error)
    register("expression_error", _expression_error)
    register("ssim", _ssim)
    register("psnr", _psnr)
    register("latency", _latency)
    register("failures", _failures)
