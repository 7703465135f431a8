"""Shapes written like trtexec (NAME:1x3x112x112), and what an ONNX graph declares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx import TensorProto, helper, save

from faceswap_core.errors import ConfigError, ModelFileError
from faceswap_core.export.shapes import (
    concrete_shapes,
    format_shape,
    graph_inputs,
    parse_shape,
    parse_shapes,
)

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.:/]{0,12}", fullmatch=True)
dims = st.lists(st.integers(1, 4096), min_size=1, max_size=5).map(tuple)


@given(names, dims)
def test_shapes_round_trip(name: str, shape: tuple[int, ...]) -> None:
    assert parse_shape(format_shape(name, shape)) == (name, shape)


def test_a_comma_list_and_repeats_both_work() -> None:
    assert parse_shapes(["target:1x3x112x112,source:1x512", "mask:1"]) == {
        "target": (1, 3, 112, 112),
        "source": (1, 512),
        "mask": (1,),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("input", "is not NAME:DIMS"),
        ("input:1x3xHxW", "is not NAME:DIMS"),
        (":1x3", "is not NAME:DIMS"),
        ("input:0x3", "every dimension must be"),
        ("input:1x3x9999999", "every dimension must be"),
    ],
)
def test_bad_shapes_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_shape(text)


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="given twice"):
        parse_shapes(["a:1x2", "a:1x3"])


@pytest.fixture
def detector_like(tmp_path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["input"], ["out"])],
        "g",
        [
            helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, "H", "W"]),
            helper.make_tensor_value_info("flags", TensorProto.INT64, [None, 2]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        initializer=[helper.make_tensor("flags", TensorProto.INT64, [1, 2], [0, 0])],
    )
    path = tmp_path / "det.onnx"
    save(helper.make_model(graph), str(path))
    return path


def test_graph_inputs_skip_initializers_and_keep_symbolic_dims(detector_like: Path) -> None:
    (only,) = graph_inputs(detector_like)
    assert only.name == "input"
    assert only.dims == ("N", 3, "H", "W")
    assert only.dtype == np.float32
    assert only.dynamic == (0, 2, 3)


def test_concrete_shapes_need_every_dynamic_dimension_but_the_batch(detector_like: Path) -> None:
    inputs = graph_inputs(detector_like)
    with pytest.raises(ConfigError, match="give its shape with --shape input:Nx3xNxN"):
        concrete_shapes(inputs, {}, batch=2)
    assert concrete_shapes(inputs, {"input": (2, 3, 64, 96)}) == {"input": (2, 3, 64, 96)}
    with pytest.raises(ConfigError, match="dimension 1 of 'input' is fixed at 3"):
        concrete_shapes(inputs, {"input": (1, 4, 64, 64)})
    with pytest.raises(ConfigError, match="has rank 4"):
        concrete_shapes(inputs, {"input": (1, 3, 64)})
    with pytest.raises(ConfigError, match="the graph has no input 'image'"):
        concrete_shapes(inputs, {"image": (1, 3, 64, 64)})


def test_unreadable_graphs_are_model_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="model file missing"):
        graph_inputs(tmp_path / "absent.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not a model")
    with pytest.raises(ModelFileError, match="cannot read ONNX model"):
        graph_inputs(junk)
