"""Fixtures for faceswap-trt: small ONNX graphs the tests build, and the TensorRT probe."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper, save

from faceswap_trt.device import Availability, probe

os.environ.setdefault("FACESWAP_STRICT_PLUGINS", "1")


def build_conv(path: Path, *, batch: int | str = "N", size: int = 32, seed: int = 0) -> Path:
    """input (B x 3 x S x S) -> 3x3 conv -> sigmoid: TensorRT and ONNX Runtime both run it."""
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.2
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["input", "w"], ["conv"], pads=[1, 1, 1, 1]),
            helper.make_node("Sigmoid", ["conv"], ["output"]),
        ],
        "conv",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, 4, size, size])],
        initializer=[numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"faceswap.crop_size": str(size)})
    save(model, str(path))
    return path


@pytest.fixture
def conv_onnx(tmp_path: Path) -> Path:
    return build_conv(tmp_path / "conv.onnx")


@pytest.fixture(scope="session")
def device() -> Availability:
    return probe()


@pytest.fixture
def gpu(device: Availability) -> Availability:
    """Skips the test where TensorRT, the CUDA bindings or a GPU are missing, saying which."""
    if not device.ok:
        pytest.skip(f"needs TensorRT and a CUDA GPU: {device.reason}")
    return device


@pytest.fixture
def no_gpu(device: Availability) -> Availability:
    """Skips the test where TensorRT and a GPU are present (the fallback cannot be seen)."""
    if device.ok:
        pytest.skip(f"TensorRT {device.trt_version} and {device.gpu} are present: no fallback")
    return device
