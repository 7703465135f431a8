"""The one table of user-facing operations: core's, the exporters', and plugins'.

:data:`OPERATIONS` lists core's operations. :func:`operations_of` adds one
``export NAME`` operation per registered exporter (its spec is the
exporter's config class) and the operations plugins declare through the
``register_operations`` hook (``serve`` from faceswap-rest). The contract
test walks this table and checks every surface against every spec.
"""

from __future__ import annotations

from faceswap_core.errors import PluginError
from faceswap_core.operations.bench import BenchSpec
from faceswap_core.operations.compare import CompareSpec
from faceswap_core.operations.demo import DemoSpec
from faceswap_core.operations.detect import DetectSpec
from faceswap_core.operations.evaluate import EvalSpec
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.prepare import PrepareSpec
from faceswap_core.operations.report import ReportSpec
from faceswap_core.operations.swap import SwapSpec
from faceswap_core.operations.train import TrainSpec
from faceswap_core.operations.video import StreamSpec, VideoSpec
from faceswap_core.plugin.kinds import EXPORTER
from faceswap_core.plugin.manager import FaceswapPlugins

SWAP = Operation(
    "swap",
    SwapSpec,
    cli=("swap",),
    api="swap",
    rest=("POST /v1/swap",),
    api_summary="Swap the identity of the largest face in source into the faces of target; "
    "returns the image (RGB uint8, target's shape; unchanged without a face).",
    api_returns="Image",
    api_var_keyword="params",
    api_var_keyword_help="deprecated: swapper parameters as keywords; pass "
    "overrides=['pipeline.swapper.NAME=VALUE'].",
)
DETECT = Operation(
    "detect",
    DetectSpec,
    cli=("detect",),
    api="detect",
    api_summary="Faces in image with boxes, scores and five keypoints.",
    api_returns="list[Face]",
)
VIDEO = Operation(
    "video",
    VideoSpec,
    cli=("video",),
    api="swap_video",
    rest=("POST /v1/jobs/video",),
    api_summary="Swap the identity of the largest face in source through the video target into "
    "output; returns the job's report (frames, frames/s, per-stage milliseconds, streams).",
    api_returns="VideoReport",
    api_var_keyword="options",
    api_var_keyword_help="deprecated: pipeline.video settings as keywords (beta=0.5); pass "
    "smooth_params or overrides=['pipeline.video.NAME=VALUE'].",
)
STREAM = Operation(
    "stream",
    StreamSpec,
    api="stream",
    rest=("GET /v1/stream",),
    api_summary="Swapped Frame objects, in order, for any iterable of RGB frames (detection "
    "every N frames, tracking in between).",
    api_returns="Iterator[Frame]",
    api_var_keyword="options",
    api_var_keyword_help="deprecated: pipeline.video settings as keywords (beta=0.5); pass "
    "smooth_params or overrides=['pipeline.video.NAME=VALUE'].",
)
EVAL = Operation(
    "eval",
    EvalSpec,
    cli=("eval",),
    api="evaluate",
    api_summary="Evaluate a swapper like faceswap eval: same options, same outputs, same errors "
    "(RegressionError, exit code 6, when the baseline gate fails).",
    api_returns="EvalResult",
)
TRAIN = Operation(
    "train",
    TrainSpec,
    cli=("train",),
    api="train",
    api_summary="Train from a config file, like faceswap train --config CONFIG; returns the "
    "run's summary.",
    api_returns="RunResult",
    api_var_keyword="settings",
    api_var_keyword_help="deprecated: --set overrides as keywords, __ for the dots "
    "(train__steps=10); pass overrides=['train.steps=10'].",
)
BENCH = Operation("bench", BenchSpec, cli=("bench",))
REPORT = Operation(
    "report",
    ReportSpec,
    cli=("report",),
    api="report",
    api_summary="Regenerate a run's report.html (faceswap report); with other, compare two runs.",
    api_returns="Path",
)
COMPARE = Operation(
    "compare",
    CompareSpec,
    cli=("compare",),
    api="compare",
    api_summary="Compare two run folders like faceswap compare; with baseline or tolerance, "
    "raise RegressionError when a gated metric got worse beyond its tolerance.",
    api_returns="CompareReport",
)
PREPARE = Operation(
    "prepare",
    PrepareSpec,
    cli=("data", "DATASET", "prepare"),
    api="prepare_lfw",
    api_summary="Prepare an LFW tree, .tgz or Kaggle zip into output, like faceswap data lfw "
    "prepare (needs faceswap-unet; torch is not needed to prepare).",
    api_returns="Mapping[str, Any]",
    api_var_keyword="params",
    api_var_keyword_help="deprecated: the dataset's options as keywords (crop_size=112); pass "
    "overrides=['data.crop_size=112'].",
)
DEMO = Operation("demo", DemoSpec, cli=("demo",))

OPERATIONS: tuple[Operation, ...] = (
    SWAP, DETECT, VIDEO, STREAM, EVAL, TRAIN, BENCH, REPORT, COMPARE, PREPARE, DEMO,
)  # fmt: skip
"""Core's operations; :func:`operations_of` adds exporters' and plugins'."""

EXPORT_API = "export"
"""``faceswap.export(format, **options)`` runs every exporter."""


def export_operation(name: str, config: type, plugin: str) -> Operation:
    """``faceswap export NAME``: the options are the fields of the exporter's config class."""
    return Operation(
        f"export {name}",
        config,
        cli=("export", name),
        api=EXPORT_API,
        distribution=plugin,
        derived=True,
    )


def operations_of(plugins: FaceswapPlugins) -> list[Operation]:
    """Every operation: core's, one per exporter with a config class, and plugins'."""
    found = list(OPERATIONS)
    for component in plugins.registry(EXPORTER):
        if component.config is not None:
            found.append(export_operation(component.name, component.config, component.plugin))
    for operation, plugin in plugins.operations():
        if not isinstance(operation, Operation):
            raise PluginError(
                f"plugin {plugin} registered {operation!r} as an operation; register a "
                "faceswap_core.operations.Operation"
            )
        found.append(operation)
    names = [operation.name for operation in found]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise PluginError(f"operation {', '.join(clashes)} is declared twice")
    return found


def operation_named(name: str, plugins: FaceswapPlugins | None = None) -> Operation:
    """Core's operation ``name`` (or a plugin's, given the plugin manager)."""
    candidates = OPERATIONS if plugins is None else tuple(operations_of(plugins))
    for operation in candidates:
        if operation.name == name:
            return operation
    raise KeyError(name)


__all__ = [
    "BENCH",
    "COMPARE",
    "DEMO",
    "DETECT",
    "EVAL",
    "EXPORT_API",
    "OPERATIONS",
    "PREPARE",
    "REPORT",
    "STREAM",
    "SWAP",
    "TRAIN",
    "VIDEO",
    "export_operation",
    "operation_named",
    "operations_of",
]
