"""ONNX graphs are untrusted input: they run under limits, and ``models add`` tries them (issue 17).

Every graph here is built with ``onnx.helper`` and meets the ``onnx`` swapper's
export contract on paper (names, ranks, metadata), so only its behaviour gives
it away: an endless ``Loop``, a tensor of gigabytes (known statically, or only
at run time), NaN outputs, an output shape that lies. On main the endless loop
hung ``swap`` and ``export verify`` forever, a 183-byte graph allocated 3 GB
with exit 0, and ``models add`` stored NaN and shape-lying graphs.

Memory tests are safe on a shared machine: the statically known bomb is
refused before anything is allocated, and the run-time one asks for 256 MB
against a 64 MB limit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner, Result
from onnx import TensorProto, helper, numpy_helper

from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import only_error_line

SIZE, DIM = 112, 128


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def run(plugins: FaceswapPlugins, *args: str | Path) -> Result:
    return CliRunner().invoke(make_cli(plugins), [str(a) for a in args])


def contract_graph(
    path: Path,
    nodes: list[onnx.NodeProto],
    initializers: list[onnx.TensorProto],
    *,
    result: str,
    output_dims: tuple[int, int] = (SIZE, SIZE),
) -> Path:
    """``target`` (N x 3 x S x S) and ``source`` (N x D) in, ``output`` out, with metadata;
    ``nodes`` compute ``result`` from them, which becomes ``output``."""
    graph = helper.make_graph(
        [*nodes, helper.make_node("Identity", [result], ["output"])],
        "hostile",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, ["N", 3, SIZE, SIZE]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, ["N", DIM]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, *output_dims])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    helper.set_model_props(
        model,
        {
            "faceswap.crop_size": str(SIZE),
            "faceswap.template": "arcface",
            "faceswap.recognizer": "dlib",
            "faceswap.embedding_dim": str(DIM),
        },
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def scalar(name: str, value: float) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(value, np.float32), name)


def endless_loop(path: Path) -> Path:
    """``output = target + 0 * loop()``, where the loop's condition never turns false."""
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["v_in", "one"], ["v_out"]),
        ],
        "forever",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_in", TensorProto.FLOAT, []),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("v_out", TensorProto.FLOAT, []),
        ],
        initializer=[scalar("one", 1.0)],
    )
    nodes = [
        helper.make_node("Loop", ["", "always", "start"], ["spun"], body=body),
        helper.make_node("Mul", ["spun", "zero"], ["nothing"]),
        helper.make_node("Add", ["target", "nothing"], ["result"]),
    ]
    inits = [
        numpy_helper.from_array(np.array(True), "always"),
        scalar("start", 0.0),
        scalar("zero", 0.0),
    ]
    return contract_graph(path, nodes, inits, result="result")


def allocating(path: Path, elements: int, *, from_input: bool) -> Path:
    """``output = target + 0 * sum(ones(elements))``; the count is a constant, or (from_input)
    ``elements`` times the batch size, which only the run knows."""
    if from_input:
        nodes = [
            helper.make_node("Shape", ["source"], ["source_shape"], end=1),
            helper.make_node("Mul", ["source_shape", "count"], ["shape"]),
        ]
        inits = [numpy_helper.from_array(np.array([elements], np.int64), "count")]
    else:
        nodes, inits = [], [numpy_helper.from_array(np.array([elements], np.int64), "shape")]
    nodes += [
        helper.make_node(
            "ConstantOfShape",
            ["shape"],
            ["big"],
            value=numpy_helper.from_array(np.array([1.0], np.float32)),
        ),
        helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Add", ["target", "nothing"], ["result"]),
    ]
    return contract_graph(path, nodes, [*inits, scalar("zero", 0.0)], result="result")


def nan_output(path: Path) -> Path:
    nodes = [helper.make_node("Mul", ["target", "nan"], ["result"])]
    return contract_graph(path, nodes, [scalar("nan", float("nan"))], result="result")


def lying_shape(path: Path) -> Path:
    """Declares N x 3 x 112 x 112 and returns every other pixel (N x 3 x 56 x 56 for N = 1).

    The slice's step is 2 x the batch size, which only the run knows, so shape
    inference cannot see the lie and the model loads.
    """
    nodes = [
        helper.make_node("Shape", ["source"], ["batch"], end=1),
        helper.make_node("Mul", ["batch", "two"], ["step"]),
        helper.make_node("Concat", ["step", "step"], ["steps"], axis=0),
        helper.make_node("Slice", ["target", "starts", "ends", "axes", "steps"], ["result"]),
    ]
    inits = [
        numpy_helper.from_array(np.array(values, np.int64), name)
        for name, values in (
            ("two", [2]),
            ("starts", [0, 0]),
            ("ends", [SIZE, SIZE]),
            ("axes", [2, 3]),
        )
    ]
    return contract_graph(path, nodes, inits, result="result")


def swap_with(
    plugins: FaceswapPlugins, model: Path, tmp_path: Path, source: Path, *extra: str
) -> Result:
    out = tmp_path / "out.png"
    args = ["swap", "-s", str(source), "-t", str(source), "-o", str(out)]
    args += ["--set", f"pipeline.swapper={{type: onnx, model: {model}}}", *extra]
    result = run(plugins, *args)
    assert not out.exists()
    return result


def test_an_endless_loop_is_stopped_in_swap(
    plugins: FaceswapPlugins, tmp_path: Path, tom_hanks_path: Path
) -> None:
    model = endless_loop(tmp_path / "loop.onnx")
    result = swap_with(
        plugins, model, tmp_path, tom_hanks_path, "--set", "pipeline.runtime.run_timeout_s=1"
    )
    assert result.exit_code == 5
    assert "ran longer than 1 s and was stopped (runtime.run_timeout_s)" in only_error_line(result)


def test_an_endless_loop_is_stopped_in_export_verify(
    plugins: FaceswapPlugins, tmp_path: Path
) -> None:
    model = endless_loop(tmp_path / "loop.onnx")
    args = ["export", "verify", "--onnx", model, "--runtime", "onnxruntime", "--run-timeout", "1"]
    result = run(plugins, *args, "--shape", "target:1x3x112x112", "--shape", "source:1x128")
    assert result.exit_code == 5
    assert "ran longer than 1 s" in only_error_line(result)


def test_a_graph_with_a_known_3_gb_tensor_is_refused_at_load(
    plugins: FaceswapPlugins, tmp_path: Path, tom_hanks_path: Path
) -> None:
    model = allocating(tmp_path / "bomb.onnx", 750_000_000, from_input=False)
    assert model.stat().st_size < 1000
    result = swap_with(plugins, model, tmp_path, tom_hanks_path)  # the default 2048 MB limit
    assert result.exit_code == 5
    line = only_error_line(result)
    assert "has a tensor 'big' of 2,861 MB, over runtime.memory_limit_mb (2048 MB)" in line


def test_an_allocation_known_only_at_run_time_is_stopped_by_the_arena(
    plugins: FaceswapPlugins, tmp_path: Path, tom_hanks_path: Path
) -> None:
    model = allocating(tmp_path / "late.onnx", 64_000_000, from_input=True)  # 256 MB per item
    result = swap_with(
        plugins, model, tmp_path, tom_hanks_path, "--set", "pipeline.runtime.memory_limit_mb=64"
    )
    assert result.exit_code == 5
    assert "needed more than 64 MB for one run and was stopped" in only_error_line(result)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (nan_output, "output 'output' contains NaN or infinite values"),
        (lying_shape, "output 'output' came back [1, 3, 56, 56], expected [1, 3, 112, 112]"),
    ],
    ids=["nan-output", "lying-shape"],
)
def test_models_add_runs_the_graph_before_storing_it(
    plugins: FaceswapPlugins, tmp_path: Path, build: object, message: str
) -> None:
    assert callable(build)
    model = build(tmp_path / "hostile.onnx")
    root = tmp_path / "store"
    result = run(plugins, "models", "--root", root, "add", "mine", model, "--type", "onnx")
    assert result.exit_code == 5
    line = only_error_line(result)
    assert message in line
    listed = run(plugins, "models", "--root", root, "list", "--json")
    assert "mine" not in listed.output
    assert not any(p.suffix == ".onnx" for p in root.rglob("*")) if root.exists() else True


def test_models_add_still_takes_an_honest_graph(plugins: FaceswapPlugins, tmp_path: Path) -> None:
    nodes = [helper.make_node("Identity", ["target"], ["result"])]
    model = contract_graph(tmp_path / "honest.onnx", nodes, [], result="result")
    root = tmp_path / "store"
    result = run(plugins, "models", "--root", root, "add", "mine", model, "--type", "onnx")
    assert result.exit_code == 0, result.output
