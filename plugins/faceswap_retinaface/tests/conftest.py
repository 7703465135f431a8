"""Fixtures for faceswap-retinaface: real sample faces, loaded components, tiny ONNX models.

Heavy components are session-scoped: each model loads once per test run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from faceswap_core import Face, Image
from faceswap_core.tools.samples import load_sample

os.environ.setdefault("FACESWAP_STRICT_PLUGINS", "1")


@pytest.fixture(scope="session")
def t1_image() -> Image:
    return load_sample("t1")


@pytest.fixture(scope="session")
def astronaut_image() -> Image:
    return load_sample("astronaut")


@pytest.fixture(scope="session")
def tom_hanks_image() -> Image:
    return load_sample("tom_hanks")


@pytest.fixture(scope="session")
def retinaface() -> Any:
    from faceswap_retinaface.retinaface import RetinaFaceDetector

    return RetinaFaceDetector()


@pytest.fixture(scope="session")
def t1_faces(retinaface: Any, t1_image: Image) -> list[Face]:
    return list(retinaface.detect(t1_image))


@pytest.fixture(scope="session")
def astronaut_face(retinaface: Any, astronaut_image: Image) -> Face:
    faces = retinaface.detect(astronaut_image)
    assert len(faces) == 1
    return faces[0]


@pytest.fixture(scope="session")
def dlib_recognizer() -> Any:
    from faceswap_retinaface.recognizers import DlibRecognizer

    return DlibRecognizer()


@pytest.fixture(scope="session")
def dlib68() -> Any:
    from faceswap_retinaface.landmarkers import DlibLandmarker

    return DlibLandmarker(68)


@pytest.fixture(scope="session")
def dlib5() -> Any:
    from faceswap_retinaface.landmarkers import DlibLandmarker

    return DlibLandmarker(5)


def _tiny_scrfd(path: Path, seed: int) -> Path:
    """A randomly initialised SCRFD-shaped ONNX: 9 outputs, strides 8/16/32, 2 anchors.

    Each head is one strided convolution (kernel = stride) reshaped to the
    (cells * anchors, channels) layout insightface's SCRFD decoder expects.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes: list[Any] = []
    inits: list[Any] = []
    outputs: list[Any] = []
    for head, channels in (("score", 1), ("bbox", 4), ("kps", 10)):
        for stride in (8, 16, 32):
            name = f"{head}_{stride}"
            weight = rng.normal(0, 0.3 / stride, (2 * channels, 3, stride, stride))
            inits.append(numpy_helper.from_array(weight.astype(np.float32), f"w_{name}"))
            inits.append(
                numpy_helper.from_array(np.array([-1, channels], dtype=np.int64), f"shape_{name}")
            )
            conv = f"conv_{name}"
            nodes.append(
                helper.make_node(
                    "Conv",
                    ["input.1", f"w_{name}"],
                    [conv],
                    kernel_shape=[stride, stride],
                    strides=[stride, stride],
                )
            )
            nodes.append(helper.make_node("Transpose", [conv], [f"t_{name}"], perm=[0, 2, 3, 1]))
            last = name if head != "score" else f"r_{name}"
            nodes.append(helper.make_node("Reshape", [f"t_{name}", f"shape_{name}"], [last]))
            if head == "score":
                nodes.append(helper.make_node("Sigmoid", [last], [name]))
            outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n", channels]))
    graph = helper.make_graph(
        nodes,
        "tiny_scrfd",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "h", "w"])],
        outputs,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _tiny_arcface(path: Path, seed: int, mxnet_names: bool = False) -> tuple[Path, Any]:
    """A randomly initialised ArcFace-shaped ONNX (1x3x112x112 -> 1x512).

    8x8 average pooling then one matrix product, so a test can compute the
    expected embedding in numpy. ``mxnet_names`` names the first nodes like an
    mxnet-converted graph (``_minus``/``_mul``). Returns the path and the weights.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weight = rng.normal(0, 1, (3 * 14 * 14, 512)).astype(np.float32)
    names = ("_minus0", "_mul0", "fc") if mxnet_names else ("pool", "flat", "fc")
    nodes = [
        helper.make_node(
            "AveragePool",
            ["input.1"],
            ["pooled"],
            kernel_shape=[8, 8],
            strides=[8, 8],
            name=names[0],
        ),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1, name=names[1]),
        helper.make_node("MatMul", ["flat", "weight"], ["embedding"], name=names[2]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 512])],
        [numpy_helper.from_array(weight, "weight")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path, weight


@pytest.fixture(scope="session")
def make_scrfd(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    def make(name: str = "det_10g.onnx", folder: Path | None = None, seed: int = 0) -> Path:
        target = folder or tmp_path_factory.mktemp("scrfd")
        return _tiny_scrfd(target / name, seed)

    return make


@pytest.fixture(scope="session")
def make_arcface(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, Any]]:
    def make(
        name: str = "w600k_r50.onnx",
        folder: Path | None = None,
        seed: int = 0,
        mxnet_names: bool = False,
    ) -> tuple[Path, Any]:
        target = folder or tmp_path_factory.mktemp("arcface")
        return _tiny_arcface(target / name, seed, mxnet_names)

    return make
