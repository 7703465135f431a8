"""Core's ONNX Runtime runtime: provider names, session options, loud fallback, --runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import given
from hypothesis import strategies as st

import faceswap
from faceswap_core.config.convert import structure
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import (
    ConfigError,
    RuntimeFallbackWarning,
    RuntimeUnavailableError,
    UnknownComponentError,
)
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.runtime.choice import runtime_ref, with_runtime
from faceswap_core.runtime.config import PROVIDER_ALIASES, OnnxRuntimeConfig, provider_name
from faceswap_core.runtime.onnxruntime import OnnxRuntime
from faceswap_core.testing import isolated_plugins, run_cli
from faceswap_core.tools.samples import sample_path


def _identity_model(path: Path) -> Path:
    from onnx import TensorProto, helper, save

    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["y"])],
        "double",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        initializer=[helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, str(path))
    return path


# -- provider names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("cuda", "CUDAExecutionProvider"),
        ("CPU", "CPUExecutionProvider"),
        (" tensorrt ", "TensorrtExecutionProvider"),
        ("dml", "DmlExecutionProvider"),
        ("OpenVINOExecutionProvider", "OpenVINOExecutionProvider"),
    ],
)
def test_short_provider_names_become_onnxruntime_names(text: str, full: str) -> None:
    assert provider_name(text) == full


@given(st.text(min_size=1, max_size=12))
def test_unknown_short_names_are_refused(text: str) -> None:
    if text.strip().lower() in PROVIDER_ALIASES or text.strip().endswith("ExecutionProvider"):
        return
    with pytest.raises(ValueError, match="unknown execution provider"):
        provider_name(text)


def test_config_errors_name_the_path() -> None:
    with pytest.raises(ConfigError, match=r"\$\.pipeline\.runtime\.providers: unknown execution"):
        structure({"providers": ["cdua"]}, OnnxRuntimeConfig, path="$.pipeline.runtime")
    with pytest.raises(
        ConfigError, match=r"\$\.runtime\.threads: must be between 0 and 1024, got -1"
    ):
        structure({"threads": -1}, OnnxRuntimeConfig, path="$.runtime")
    with pytest.raises(ConfigError, match="graph_optimization"):
        structure({"graph_optimization": "max"}, OnnxRuntimeConfig, path="$.runtime")
    config = structure({"providers": ["cuda", "cpu", "cuda"]}, OnnxRuntimeConfig)
    assert config.providers == ["CUDAExecutionProvider", "CPUExecutionProvider"]


# -- sessions ---------------------------------------------------------------------------------


def test_session_options_follow_the_config() -> None:
    runtime = OnnxRuntime(
        OnnxRuntimeConfig(
            threads=3, inter_threads=2, graph_optimization="basic", execution_mode="parallel"
        )
    )
    options = runtime.session_options()
    assert options.intra_op_num_threads == 3
    assert options.inter_op_num_threads == 2
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    assert options.execution_mode == ort.ExecutionMode.ORT_PARALLEL


def test_a_missing_gpu_provider_falls_back_to_cpu_loudly(tmp_path: Path) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA: there is no fallback to observe")
    model = _identity_model(tmp_path / "double.onnx")
    runtime = OnnxRuntime(OnnxRuntimeConfig(providers=["cuda", "cpu"]))
    with pytest.warns(RuntimeFallbackWarning, match="has no CUDA provider.*running on CPU"):
        session = runtime.load(model)
    assert session.providers == ("CPUExecutionProvider",)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(session.run({"x": x})["y"], 2 * x)
    facts = runtime.describe()
    assert facts["requested"] == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert facts["active"] == ["CPUExecutionProvider"]
    assert facts["fallback"] is True


def test_strict_refuses_the_fallback(tmp_path: Path) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA: there is no fallback to observe")
    runtime = OnnxRuntime(OnnxRuntimeConfig(providers=["cuda"], strict=True))
    with pytest.raises(RuntimeUnavailableError, match="no CUDA provider") as info:
        runtime.load(_identity_model(tmp_path / "double.onnx"))
    assert info.value.exit_code == 2


def test_a_provider_dropped_while_creating_the_session_is_reported() -> None:
    # ONNX Runtime lists CUDA as available, then drops it when its libraries fail to load.
    runtime = OnnxRuntime(OnnxRuntimeConfig(providers=["cuda", "cpu"]))
    with pytest.warns(RuntimeFallbackWarning, match="could not start CUDA for m.onnx"):
        runtime._check_session(
            ["CPUExecutionProvider"], ["CUDAExecutionProvider", "CPUExecutionProvider"], "/x/m.onnx"
        )
    runtime._check_session(["CPUExecutionProvider"], ["CPUExecutionProvider"], "/x/m.onnx")
    strict = OnnxRuntime(OnnxRuntimeConfig(providers=["cuda"], strict=True))
    with pytest.raises(RuntimeUnavailableError):
        strict._check_session(["CPUExecutionProvider"], ["CUDAExecutionProvider"], "m.onnx")


# -- choosing the runtime ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "runtime", "providers", "expected"),
    [
        (None, None, None, {"type": "onnxruntime"}),
        ({"type": "onnxruntime", "threads": 2}, "onnxruntime", None,
         {"type": "onnxruntime", "threads": 2}),
        ({"type": "onnxruntime", "threads": 2}, "tensorrt", None, {"type": "tensorrt"}),
        ({"type": "onnxruntime", "threads": 2}, None, ["cuda,cpu", "coreml"],
         {"type": "onnxruntime", "threads": 2, "providers": ["cuda", "cpu", "coreml"]}),
        ({"type": "tensorrt", "strict": True}, {"type": "tensorrt", "precision": "fp32"}, None,
         {"type": "tensorrt", "strict": True, "precision": "fp32"}),
        ({"type": "tensorrt", "strict": True}, {"type": "onnxruntime"}, None,
         {"type": "onnxruntime"}),
        ("tensorrt", None, None, {"type": "tensorrt"}),
    ],
)  # fmt: skip
def test_runtime_choice_merges_like_the_docs_say(
    base: Any, runtime: Any, providers: Any, expected: dict[str, Any]
) -> None:
    assert runtime_ref(base, runtime, providers) == expected


def test_empty_choices_are_usage_errors() -> None:
    with pytest.raises(ConfigError, match="--runtime needs a runtime name"):
        runtime_ref(None, " ")
    with pytest.raises(ConfigError, match="--providers needs at least one"):
        runtime_ref(None, None, [" , "])
    assert with_runtime(PipelineConfig()) == PipelineConfig()


def test_cli_runtime_option_reaches_the_pipeline(tmp_path: Path) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA: there is no fallback to observe")
    plugins = FaceswapPlugins(strict=True)
    result = run_cli("detect", str(sample_path("t1")), "--providers", "cuda,cpu", manager=plugins)
    assert result.exit_code == 0, result.output
    assert "6 face(s)" in result.stdout
    # The CLI shows the fallback to the user as one warning line.
    (warning,) = [line for line in result.stderr.splitlines() if "no CUDA provider" in line]
    assert warning.startswith("Warning: ")


def test_cli_names_the_distribution_of_a_missing_runtime() -> None:
    without_trt = isolated_plugins(load=["faceswap-retinaface"])
    result = run_cli("detect", str(sample_path("t1")), "--runtime", "tensorrt", manager=without_trt)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: unknown runtime 'tensorrt'. Available: onnxruntime. It comes from faceswap-trt, "
        "which is installed but not loaded; add it to FACESWAP_LOAD_PLUGINS or unset that "
        "variable.\n"
    )
    plugins = FaceswapPlugins(strict=True)
    result = run_cli("detect", str(sample_path("t1")), "--runtime", "nope", manager=plugins)
    assert result.exit_code == 2
    assert "unknown runtime 'nope'. Available: onnxruntime" in result.stderr
    result = run_cli("detect", str(sample_path("t1")), "--providers", "gpu", manager=plugins)
    assert result.exit_code == 2
    assert "$.pipeline.runtime.providers: unknown execution provider 'gpu'" in result.stderr


def test_python_api_takes_the_same_runtime_choice(t1_image: np.ndarray) -> None:
    with pytest.raises(UnknownComponentError, match="unknown runtime 'nope'"):
        faceswap.detect(t1_image, runtime="nope")
    faces = faceswap.detect(t1_image, runtime="onnxruntime", providers=["cpu"])
    assert len(faces) == 6
    with pytest.raises(ConfigError, match=r"\$\.pipeline\.runtime\.providers: unknown execution"):
        faceswap.swap(t1_image, t1_image, providers=["gpu"])
