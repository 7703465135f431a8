"""The tensorrt runtime and exporter: fallback without a GPU, errors, and (on a GPU) engines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from faceswap_core.errors import ModelFileError, RuntimeFallbackWarning, RuntimeUnavailableError
from faceswap_core.models.store import ModelStore
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.runtime.onnxruntime import OnnxRuntime, OnnxSession
from faceswap_core.testing import run_cli
from faceswap_trt.device import Availability

X = np.random.default_rng(3).random((2, 3, 32, 32), dtype=np.float32)


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def _runtime(plugins: FaceswapPlugins, tmp_path: Path, **params: object) -> object:
    context = build_context(plugins, models=ModelStore(tmp_path / "store"))
    return context.runtime_for({"type": "tensorrt", **params}, path="$.pipeline.runtime")


def test_without_tensorrt_models_run_on_onnxruntime_with_one_warning(
    no_gpu: Availability, plugins: FaceswapPlugins, tmp_path: Path, conv_onnx: Path
) -> None:
    runtime = _runtime(plugins, tmp_path)
    with pytest.warns(RuntimeFallbackWarning, match=r"tensorrt runtime falls back to onnxruntime"):
        session = runtime.load(conv_onnx)  # type: ignore[attr-defined]
    assert isinstance(session, OnnxSession)
    expected = OnnxRuntime().load(conv_onnx).run({"input": X})["output"]
    np.testing.assert_array_equal(session.run({"input": X})["output"], expected)
    assert session.metadata["faceswap.crop_size"] == "32"
    facts = runtime.describe()  # type: ignore[attr-defined]
    assert facts["fallback"] is True
    assert facts["fallback_runtime"] == "onnxruntime"
    assert facts["reason"] == no_gpu.reason
    assert facts["fallen_back"] == {str(conv_onnx): no_gpu.reason}


def test_strict_makes_the_fallback_an_error(
    no_gpu: Availability, plugins: FaceswapPlugins, tmp_path: Path, conv_onnx: Path
) -> None:
    runtime = _runtime(plugins, tmp_path, strict=True)
    with pytest.raises(RuntimeUnavailableError, match=r"tensorrt cannot run .*\(strict: true\)"):
        runtime.load(conv_onnx)  # type: ignore[attr-defined]


def test_a_prebuilt_engine_cannot_fall_back(
    no_gpu: Availability, plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"plan")
    with pytest.raises(RuntimeUnavailableError, match="cannot run the TensorRT engine"):
        _runtime(plugins, tmp_path).load(engine)  # type: ignore[attr-defined]
    with pytest.raises(ModelFileError, match="model file missing"):
        _runtime(plugins, tmp_path).load(tmp_path / "absent.onnx")  # type: ignore[attr-defined]


def test_the_fallback_runtime_is_configurable_but_not_itself(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    from faceswap_core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\$\.pipeline\.runtime\.fallback: expected another"):
        _runtime(plugins, tmp_path, fallback={"type": "tensorrt"})


# -- faceswap export tensorrt -----------------------------------------------------------------


def test_export_errors_and_exit_codes(
    plugins: FaceswapPlugins, tmp_path: Path, conv_onnx: Path
) -> None:
    missing = run_cli("export", "tensorrt", "--onnx", str(tmp_path / "no.onnx"), manager=plugins)
    assert missing.exit_code == 5
    assert missing.stderr == (
        f"Error: model file missing: {tmp_path / 'no.onnx'}; pass the ONNX graph with --onnx\n"
    )
    bad_shape = run_cli(
        "export", "tensorrt", "--onnx", str(conv_onnx), "--opt-shape", "input:1x4x32x32",
        manager=plugins,
    )  # fmt: skip
    assert bad_shape.exit_code == 2
    assert "dimension 1 of 'input' is fixed at 3" in bad_shape.stderr
    taken = tmp_path / "taken.engine"
    taken.write_bytes(b"user data")
    exists = run_cli(
        "export", "tensorrt", "--onnx", str(conv_onnx), "-o", str(taken), manager=plugins
    )
    assert exists.exit_code == 2
    assert exists.stderr == f"Error: {taken} exists; pass --overwrite to replace it\n"
    assert taken.read_bytes() == b"user data"


def test_export_without_tensorrt_prints_one_line_with_the_trtexec_command(
    no_gpu: Availability, plugins: FaceswapPlugins, tmp_path: Path, conv_onnx: Path
) -> None:
    out = tmp_path / "conv.engine"
    result = run_cli(
        "export", "tensorrt", "--onnx", str(conv_onnx), "-o", str(out), "--max-batch", "4",
        "--workspace", "256", manager=plugins,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr == (
        f"Error: cannot build a TensorRT engine here: {no_gpu.reason}. On the target device run: "
        f"trtexec --onnx={conv_onnx} --saveEngine={out} --fp16 --memPoolSize=workspace:256M "
        "--minShapes=input:1x3x32x32 --optShapes=input:1x3x32x32 --maxShapes=input:4x3x32x32\n"
    )
    assert not out.exists()


# -- with TensorRT and a CUDA GPU -------------------------------------------------------------


def test_engine_build_cache_and_run_match_onnxruntime(
    gpu: Availability, plugins: FaceswapPlugins, tmp_path: Path, conv_onnx: Path
) -> None:
    out = tmp_path / "conv.engine"
    store = ["--cache-dir", str(tmp_path / "engines")]
    first = run_cli(
        "export", "tensorrt", "--onnx", str(conv_onnx), "-o", str(out), "--max-batch", "2",
        *store, "--json", manager=plugins,
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout.splitlines()[-1])["summary"]
    assert record["cache_hit"] is False
    assert record["gpu"] == gpu.gpu
    assert out.is_file()
    assert json.loads((tmp_path / "conv.engine.json").read_text())["metadata"] == {
        "faceswap.crop_size": "32"
    }
    again = run_cli(
        "export", "tensorrt", "--onnx", str(conv_onnx), "--max-batch", "2", *store, "--json",
        manager=plugins,
    )  # fmt: skip
    assert json.loads(again.stdout.splitlines()[-1])["summary"]["cache_hit"] is True
    verify = run_cli(
        "export", "verify", "--onnx", str(conv_onnx), "--engine", str(out), "--batch", "2",
        "--json", manager=plugins,
    )  # fmt: skip
    assert verify.exit_code == 0, verify.output
    assert json.loads(verify.stdout.splitlines()[-1])["summary"]["max_abs_diff"] < 1e-2


def test_runtime_runs_batches_beyond_the_profile_in_chunks(
    gpu: Availability, plugins: FaceswapPlugins, tmp_path: Path, conv_onnx: Path
) -> None:
    session = _runtime(plugins, tmp_path, max_batch=2).load(conv_onnx)  # type: ignore[attr-defined]
    batch = np.random.default_rng(5).random((5, 3, 32, 32), dtype=np.float32)
    got = session.run({"input": batch})["output"]
    want = OnnxRuntime().load(conv_onnx).run({"input": batch})["output"]
    assert got.shape == (5, 4, 32, 32)
    assert float(np.abs(got - want).max()) < 1e-2
