"""ONNX Runtime's intra-op threads do not busy-wait unless asked (it starves video threads)."""

from __future__ import annotations

import pytest
from onnx import TensorProto, helper

from faceswap_core.runtime.config import OnnxRuntimeConfig
from faceswap_core.runtime.onnxruntime import OnnxRuntime

SPIN_KEY = "session.intra_op.allow_spinning"


def _identity_graph() -> bytes:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "identity",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


@pytest.mark.parametrize(("config", "expected"), [({}, "0"), ({"spin": True}, "1")])
def test_spinning_follows_the_config(config: dict[str, bool], expected: str) -> None:
    session = OnnxRuntime(OnnxRuntimeConfig(**config)).load(_identity_graph())
    assert session.options.get_session_config_entry(SPIN_KEY) == expected
