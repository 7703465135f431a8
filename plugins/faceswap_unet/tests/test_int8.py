"""``faceswap export onnx --int8``: static quantization on real crops, gated by its delta.

The run is a real run folder layout (seeded checkpoints, the pointer, a
``config.yaml`` naming the prepared ``tiny`` dataset), so calibration reads
that dataset's validation split through the same code a trained run uses.
The int8 graph is checked independently of the exporter: read back with
``onnx``, run with ``onnxruntime`` against the fp32 export, and swapped
through core's ``onnx`` swapper. Speed is only recorded, never asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from faceswap_core.eval.metrics import ssim
from faceswap_core.interfaces import Face
from faceswap_core.io.atomic import atomic_write_json
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.swappers.blobs import from_blob
from faceswap_core.swappers.configs import OnnxSwapperConfig
from faceswap_core.swappers.export_recognizer import companion_paths
from faceswap_core.swappers.onnx import OnnxSwapper
from faceswap_core.testing import run_cli
from faceswap_unet.configs import INT8_MAX_DELTA
from faceswap_unet.export import record_path
from faceswap_unet.testing import random_checkpoint

from .conftest import last_json


@pytest.fixture(scope="module")
def int8_run(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder whose config.yaml names the prepared tiny dataset (5 validation crops)."""
    run = tmp_path_factory.mktemp("int8-run")
    random_checkpoint(run / "checkpoints" / "step-00000001.ckpt", seed=5)
    atomic_write_json(
        run / "checkpoints" / "last_checkpoint",
        {"checkpoint": "step-00000001.ckpt", "step": 1, "state": {"step": 1}},
    )
    (run / "config.yaml").write_text(
        f"name: int8\ndata:\n  type: lfw\n  root: {tiny}\n", encoding="utf-8"
    )
    return run


@pytest.fixture(scope="module")
def exports(int8_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The run exported fp32 and int8 (``--json``), side by side."""
    folder = tmp_path_factory.mktemp("int8-export")
    out: dict[str, Any] = {}
    for name, extra in (("fp32", []), ("int8", ["--int8"])):
        path = folder / name / "swapper.onnx"
        result = run_cli(
            "export", "onnx", "--run", str(int8_run), "-o", str(path), "--json", *extra
        )
        assert result.exit_code == 0, result.output
        out[name] = (path, last_json(result.stdout))
    return out


def feeds(batch: int = 4, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    source = rng.standard_normal((batch, 128)).astype(np.float32)
    return {
        "target": rng.random((batch, 3, 64, 64), dtype=np.float32),
        "source": source / np.linalg.norm(source, axis=1, keepdims=True),
    }


def test_the_int8_record_has_its_speedup_and_delta_against_fp32(exports: dict[str, Any]) -> None:
    path, summary = exports["int8"]
    int8 = summary["int8"]
    assert summary["precision"] == "int8"
    assert isinstance(int8["speedup"], float)
    assert int8["speedup"] > 0
    assert int8["timing"]["speedup"] == int8["speedup"]
    assert int8["timing"]["fp32_ms"] > 0
    assert int8["timing"]["int8_ms"] > 0
    assert isinstance(int8["timing"]["vnni"], bool)
    delta = int8["delta"]
    assert delta["pairs"] == 5  # every crop of the tiny validation split
    assert int8["calibration"]["crops"] == 5
    assert "val split of" in int8["calibration"]["source"]
    assert -1.0 <= delta["identity_cos_min"] <= delta["identity_cos"] <= 1.0
    assert delta["ssim_min"] <= delta["ssim"] <= 1.0
    assert 0 < delta["psnr_min"] <= delta["psnr"]
    assert delta["deltas"]["ssim"] == pytest.approx(1 - delta["ssim"], abs=1e-5)
    assert int8["max_delta"] == INT8_MAX_DELTA
    # The record beside the graph holds the same object as the --json line.
    record = json.loads(record_path(path).read_text(encoding="utf-8"))
    assert record["int8"] == int8


def test_the_int8_graph_quantizes_convolutions_and_keeps_the_thin_ones_float(
    exports: dict[str, Any],
) -> None:
    path, summary = exports["int8"]
    model = onnx.load(str(path))
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("QuantizeLinear") > 0
    assert ops.count("DequantizeLinear") > 0
    weights = {init.name for init in model.graph.initializer}
    convs = [node for node in model.graph.node if node.op_type == "Conv"]
    # QDQ: a quantized convolution reads its weights through a DequantizeLinear; those left
    # float read them directly, and they are exactly the thin ones the record names.
    floats = [node for node in convs if node.input[1] in weights]
    assert len(convs) - len(floats) == summary["int8"]["quantized_convolutions"] > 10
    assert sorted(node.name for node in floats) == sorted(summary["int8"]["float_convolutions"])
    assert len(floats) == 3
    props = {prop.key: prop.value for prop in model.metadata_props}
    assert props["faceswap.precision"] == "int8"
    assert [i.type.tensor_type.elem_type for i in model.graph.input] == [onnx.TensorProto.FLOAT] * 2


def test_the_int8_graph_stays_close_to_fp32_and_is_not_the_same_graph(
    exports: dict[str, Any],
) -> None:
    runs = {}
    for name in ("fp32", "int8"):
        session = ort.InferenceSession(str(exports[name][0]), providers=["CPUExecutionProvider"])
        runs[name] = session.run(["output"], feeds())[0]
    assert not np.array_equal(runs["fp32"], runs["int8"])
    for index in range(4):
        near = ssim(
            from_blob(runs["fp32"][index : index + 1]), from_blob(runs["int8"][index : index + 1])
        )
        assert near > 1 - INT8_MAX_DELTA["ssim"]


def test_the_onnx_swapper_runs_the_int8_export_with_its_own_recognizer(
    exports: dict[str, Any],
) -> None:
    path, _ = exports["int8"]
    context = build_context(FaceswapPlugins(strict=True))
    swapper = OnnxSwapper(OnnxSwapperConfig(model=str(path)), context)
    crop = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    face = Face(bbox=np.array([0, 0, 64, 64], float), score=1.0, kps=np.zeros((5, 2)))
    source = swapper.prepare_source(crop, face)
    single = swapper.swap(crop, face, source)
    batched = swapper.swap_batch([crop, crop[::-1].copy()], [face, face], source)
    assert swapper.max_batch == 0  # a dynamic-batch export runs any batch
    assert np.array_equal(batched[0].image, single.image)
    assert single.mask is not None
    assert batched[0].mask is not None
    assert np.array_equal(batched[0].mask, single.mask)


def test_an_int8_export_beyond_max_delta_exits_5_and_writes_nothing(
    int8_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "refused.onnx"
    result = run_cli(
        "export", "onnx", "--run", str(int8_run), "-o", str(out), "--int8",
        "--max-delta", "ssim=0",
    )  # fmt: skip
    assert result.exit_code == 5, result.output
    assert "--max-delta" in result.output
    assert "ssim" in result.output
    assert not any(p.exists() for p in (out, record_path(out), *companion_paths(out)))
    assert list(tmp_path.iterdir()) == []


def test_int8_calibrates_on_a_folder_of_crops(tiny: Path, int8_run: Path, tmp_path: Path) -> None:
    crops = sorted((tiny / "crops").rglob("*.png"))[:12]
    folder = tmp_path / "crops"
    folder.mkdir()
    for crop in crops:
        (folder / crop.name).write_bytes(crop.read_bytes())
    out = tmp_path / "m.onnx"
    result = run_cli(
        "export", "onnx", "--checkpoint",
        str(int8_run / "checkpoints" / "step-00000001.ckpt"), "-o", str(out), "--int8",
        "--calibration", str(folder), "--calibration-crops", "8", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    calibration = last_json(result.stdout)["int8"]["calibration"]
    # 8 crops calibrate, and a quarter more (2, every fifth) measure the departure from fp32.
    assert (calibration["crops"], calibration["held_out"]) == (8, 2)
    assert str(folder) in calibration["source"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--int8", "--fp16"], "pick one"),
        (["--calibration", "x"], "add --int8"),
        (["--max-delta", "ssim=0.1"], "add --int8"),
        (["--int8", "--max-delta", "sharpness=0.1"], "unknown name 'sharpness'"),
        (["--int8", "--max-delta", "ssim=nan"], "finite"),
        (["--int8", "--max-delta", "ssim"], "NAME=NUMBER"),
        (["--int8", "--calibration-crops", "2"], "calibration_crops"),
    ],
)
def test_bad_int8_options_exit_2_before_any_work(
    int8_run: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "m.onnx"
    result = run_cli("export", "onnx", "--run", str(int8_run), "-o", str(out), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_outside_a_run_needs_a_calibration_folder(tmp_path: Path) -> None:
    checkpoint = random_checkpoint(tmp_path / "lone.ckpt", seed=2)
    out = tmp_path / "out" / "m.onnx"
    result = run_cli("export", "onnx", "--checkpoint", str(checkpoint), "-o", str(out), "--int8")
    assert result.exit_code == 2, result.output
    assert "--calibration DIR" in result.output
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_too_few_calibration_images_is_an_input_error(int8_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "few"
    folder.mkdir()
    out = tmp_path / "m.onnx"
    result = run_cli(
        "export", "onnx", "--run", str(int8_run), "-o", str(out), "--int8",
        "--calibration", str(folder),
    )  # fmt: skip
    assert result.exit_code != 0
    assert "at least 4" in result.output
    assert not out.exists()
