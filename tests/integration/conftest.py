"""Tiny ONNX swap models with the exact signatures, built by the tests themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from faceswap_core.interfaces.face import Face
from faceswap_core.vision.crop import grown_box


def _save(model: onnx.ModelProto, path: Path) -> Path:
    model.opset_import[0].version = 17
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _blend_with_source_colour() -> list[onnx.NodeProto]:
    """output = 0.5 * target + 0.5 * sigmoid(source @ proj), broadcast over pixels."""
    return [
        helper.make_node("MatMul", ["source", "proj"], ["colour"]),
        helper.make_node("Sigmoid", ["colour"], ["colour_sig"]),
        helper.make_node("Reshape", ["colour_sig", "shape"], ["colour_img"]),
        helper.make_node("Mul", ["target", "half"], ["t_half"]),
        helper.make_node("Mul", ["colour_img", "half"], ["c_half"]),
        helper.make_node("Add", ["t_half", "c_half"], ["output"]),
    ]


def build_inswapper_like(
    path: Path, *, seed: int = 0, size: int = 128
) -> tuple[Path, dict[str, np.ndarray]]:
    """target (1x3xSxS) + source (1x512) -> output; the emap is the LAST initializer.

    output = 0.5 * target + 0.5 * sigmoid(source @ P) per channel, so the
    result depends on the latent the swapper feeds, and a test can recompute it.
    """
    rng = np.random.default_rng(seed)
    proj = (rng.standard_normal((512, 3)) * 2.0).astype(np.float32)
    emap = rng.standard_normal((512, 512)).astype(np.float32) / np.float32(np.sqrt(512))
    nodes = _blend_with_source_colour()
    graph = helper.make_graph(
        nodes,
        "inswapper_like",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, size, size]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, size, size])],
        initializer=[
            numpy_helper.from_array(proj, "proj"),
            numpy_helper.from_array(np.array([1, 3, 1, 1], np.int64), "shape"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
            numpy_helper.from_array(emap, "emap"),  # last, as in inswapper_128.onnx
        ],
    )
    _save(helper.make_model(graph), path)
    return path, {"proj": proj, "emap": emap}


def build_faceswap_export(
    path: Path,
    *,
    size: int = 112,
    dim: int = 128,
    template: str = "arcface",
    recognizer: str = "dlib",
    with_mask: bool = True,
    metadata: bool = True,
    seed: int = 1,
) -> tuple[Path, dict[str, np.ndarray]]:
    """The export contract: target NxCxSxS + source NxD -> output (+ mask), with metadata."""
    rng = np.random.default_rng(seed)
    proj = (rng.standard_normal((dim, 3)) * 2.0).astype(np.float32)
    mask = np.zeros((1, 1, size, size), np.float32)
    mask[..., size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 1.0
    nodes = _blend_with_source_colour()
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, size, size])]
    initializers = [
        numpy_helper.from_array(proj, "proj"),
        numpy_helper.from_array(np.array([-1, 3, 1, 1], np.int64), "shape"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
    ]
    if with_mask:
        nodes.append(helper.make_node("Identity", ["mask_const"], ["mask"]))
        initializers.append(numpy_helper.from_array(mask, "mask_const"))
        outputs.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, size, size]))
    graph = helper.make_graph(
        nodes,
        "faceswap_export",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, ["N", 3, size, size]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, ["N", dim]),
        ],
        outputs,
        initializer=initializers,
    )
    model = helper.make_model(graph)
    if metadata:
        helper.set_model_props(
            model,
            {
                "faceswap.crop_size": str(size),
                "faceswap.template": template,
                "faceswap.recognizer": recognizer,
                "faceswap.embedding_dim": str(dim),
            },
        )
    _save(model, path)
    return path, {"proj": proj, "mask": mask}


def build_batchable_export(
    path: Path, *, size: int = 112, dim: int = 128, recognizer: str = "dlib", seed: int = 1
) -> tuple[Path, dict[str, np.ndarray]]:
    """The export contract with every first dimension ``N`` (it runs any batch): the output
    as :func:`build_faceswap_export`'s, the mask the channel mean of the target crop."""
    rng = np.random.default_rng(seed)
    proj = (rng.standard_normal((dim, 3)) * 2.0).astype(np.float32)
    nodes = [
        *_blend_with_source_colour(),
        helper.make_node("ReduceMean", ["target"], ["mask"], axes=[1], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes,
        "batchable_export",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, ["N", 3, size, size]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, ["N", dim]),
        ],
        [
            helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, size, size]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["N", 1, size, size]),
        ],
        initializer=[
            numpy_helper.from_array(proj, "proj"),
            numpy_helper.from_array(np.array([-1, 3, 1, 1], np.int64), "shape"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        ],
    )
    model = helper.make_model(graph)
    helper.set_model_props(
        model,
        {
            "faceswap.crop_size": str(size),
            "faceswap.template": "arcface",
            "faceswap.recognizer": recognizer,
            "faceswap.embedding_dim": str(dim),
        },
    )
    _save(model, path)
    return path, {"proj": proj}


def build_arcface_like(path: Path, *, seed: int = 2) -> Path:
    """1x3x112x112 -> 1x512: a random linear map of the average-pooled crop."""
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((3 * 16 * 16, 512)).astype(np.float32)
    nodes = [
        helper.make_node(
            "AveragePool", ["input.1"], ["pooled"], kernel_shape=[7, 7], strides=[7, 7]
        ),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["683"]),
    ]
    graph = helper.make_graph(
        nodes,
        "arcface_like",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, [1, 512])],
        initializer=[numpy_helper.from_array(weight, "w")],
    )
    return _save(helper.make_model(graph), path)


def changed_outside(before: np.ndarray, after: np.ndarray, faces: list[Face], margin: float) -> int:
    """How many pixels changed outside the face boxes grown by ``margin``."""
    changed = np.any(before != after, axis=2)
    allowed = np.zeros_like(changed)
    for face in faces:
        left, top, right, bottom = grown_box(face, margin, before.shape)
        allowed[top : bottom + 1, left : right + 1] = True
    return int((changed & ~allowed).sum())


@pytest.fixture
def onnx_builders() -> dict[str, Callable[..., object]]:
    return {
        "inswapper": build_inswapper_like,
        "export": build_faceswap_export,
        "batchable": build_batchable_export,
        "arcface": build_arcface_like,
    }


def build_white_export(
    path: Path, *, size: int = 128, dim: int = 128, template: str = "inswapper"
) -> Path:
    """The export contract with an all-white output and no mask: the paste mask shows as white."""
    nodes = [
        helper.make_node("Mul", ["target", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "one"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "white_export",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, ["N", 3, size, size]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, ["N", dim]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, size, size])],
        initializer=[
            numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
            numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        ],
    )
    model = helper.make_model(graph)
    helper.set_model_props(
        model,
        {
            "faceswap.crop_size": str(size),
            "faceswap.template": template,
            "faceswap.recognizer": "dlib",
            "faceswap.embedding_dim": str(dim),
        },
    )
    return _save(model, path)
