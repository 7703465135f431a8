"""Tiny ONNX graphs with the contracts of swappers, occluders, parsers and restorers.

Each graph does something a test can predict exactly: an identity swapper,
an occluder whose mask is zero on the left half of the crop, a parser that
labels the left half background and the right half skin, a restorer that
returns one constant colour (CodeFormer's returns its weight). Shapes are
the real ones (512 px for the restorers), computed from tiny initializers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from faceswap_core.tools.pictures import identity_model

Dim = int | str


def save(model: onnx.ModelProto, path: Path) -> Path:
    model.opset_import[0].version = 17
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def identity_export(path: Path, *, size: int = 128, batch: Dim = "N") -> Path:
    """The ``onnx`` swapper's contract with output = target: a swap that changes nothing."""
    return identity_model(path, size=size, batch=batch)


def _zeros_like_first_channel(
    axis: int,
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """``zero_plane`` = 0 * the input's first channel, kept as a size-1 axis (for broadcasting)."""
    nodes = [
        helper.make_node("Slice", ["input", "s0", "s1", "sax"], ["plane"]),
        helper.make_node("Mul", ["plane", "zero"], ["zero_plane"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([0], np.int64), "s0"),
        numpy_helper.from_array(np.array([1], np.int64), "s1"),
        numpy_helper.from_array(np.array([axis], np.int64), "sax"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
    ]
    return nodes, inits


def occluder(
    path: Path,
    *,
    size: int = 256,
    layout: str = "nhwc",
    out_channels: int = 1,
    batch: Dim = "N",
) -> Path:
    """An XSeg-style occluder whose mask is 0 on the left half of the crop, 1 on the right.

    ``layout="nchw"`` or ``out_channels=2`` break the contract on purpose.
    """
    visible = np.ones((1, size, size, out_channels), np.float32)
    visible[:, :, : size // 2] = 0.0
    channel_axis = 3 if layout == "nhwc" else 1
    nodes, inits = _zeros_like_first_channel(channel_axis)
    if layout == "nchw":
        visible = visible.transpose(0, 3, 1, 2)
        in_shape: list[Dim] = [batch, 3, size, size]
        out_shape: list[Dim] = [batch, out_channels, size, size]
    else:
        in_shape = [batch, size, size, 3]
        out_shape = [batch, size, size, out_channels]
    nodes.append(helper.make_node("Add", ["zero_plane", "visible"], ["mask"]))
    graph = helper.make_graph(
        nodes,
        "occluder",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("mask", TensorProto.FLOAT, out_shape)],
        initializer=[*inits, numpy_helper.from_array(visible, "visible")],
    )
    return save(helper.make_model(graph), path)


def parser(path: Path, *, size: int = 512, classes: int = 19, batch: Dim = "N") -> Path:
    """A BiSeNet-style parser: the crop's left half is background (class 0), the right half skin."""
    scores = np.zeros((1, classes, 1, size), np.float32)
    scores[0, 0, 0, : size // 2] = 1.0
    scores[0, min(1, classes - 1), 0, size // 2 :] = 1.0
    nodes, inits = _zeros_like_first_channel(1)
    nodes.append(helper.make_node("Add", ["zero_plane", "scores"], ["labels"]))
    graph = helper.make_graph(
        nodes,
        "parser",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, size, size])],
        [helper.make_tensor_value_info("labels", TensorProto.FLOAT, [batch, classes, size, size])],
        initializer=[*inits, numpy_helper.from_array(scores, "scores")],
    )
    return save(helper.make_model(graph), path)


def restorer(
    path: Path,
    *,
    size: int = 512,
    value: float = 0.2,
    out_size: int | None = None,
    batch: Dim = "N",
    input_name: str = "input",
) -> Path:
    """A restorer that returns ``value`` (in [-1, 1]) everywhere: GFPGAN's contract at ``size``."""
    out = size if out_size is None else out_size
    inits = [
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        numpy_helper.from_array(np.array(value, np.float32), "value"),
    ]
    nodes = [
        helper.make_node("Mul", [input_name, "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "value"], ["same"]),
    ]
    if out != size:
        nodes.append(helper.make_node("Resize", ["same", "", "scales"], ["output"], mode="nearest"))
        scales = np.array([1, 1, out / size, out / size], np.float32)
        inits.append(numpy_helper.from_array(scales, "scales"))
    else:
        nodes.append(helper.make_node("Identity", ["same"], ["output"]))
    graph = helper.make_graph(
        nodes,
        "restorer",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [batch, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, 3, out, out])],
        initializer=inits,
    )
    return save(helper.make_model(graph), path)


def codeformer(path: Path, *, size: int = 512, batch: Dim = "N") -> Path:
    """CodeFormer's contract (``input`` + double ``weight``): returns ``weight`` everywhere."""
    nodes = [
        helper.make_node("Mul", ["input", "zero"], ["zeros"]),
        helper.make_node("Cast", ["weight"], ["weight_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["zeros", "weight_f"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "codeformer",
        [
            helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, size, size]),
            helper.make_tensor_value_info("weight", TensorProto.DOUBLE, [1]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, 3, size, size])],
        initializer=[numpy_helper.from_array(np.array(0.0, np.float32), "zero")],
    )
    return save(helper.make_model(graph), path)


def restored_value(value: float) -> int:
    """The ``uint8`` a restorer output of ``value`` becomes ((v + 1) / 2 * 255, rounded)."""
    return int(np.rint((np.clip(value, -1, 1) + 1) / 2 * 255))


def shapes(path: Path) -> dict[str, Sequence[int | str]]:
    """Declared input and output shapes of a saved graph (for error-message assertions)."""
    model = onnx.load(str(path))
    out: dict[str, Sequence[int | str]] = {}
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        out[value.name] = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in dims]
    return out
