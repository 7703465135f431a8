"""ONNX swap models are untrusted input: their contract is checked on load and on every run.

Each case is a small graph built here with one thing wrong (a shape, a name,
a metadata value) that would otherwise run and paste garbage. Every mismatch
is a ModelFileError (exit 5) naming the model file, before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper
from PIL import Image as PILImage
from tests.integration.conftest import build_arcface_like

from faceswap_core.cli.main import make_cli
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ModelFileError
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import build_component

Dims = Sequence[int | str]


def export_graph(
    path: Path,
    *,
    size: int = 128,
    dim: int = 128,
    pool: int = 1,
    target: Dims | None = None,
    source: Dims | None = None,
    output: Dims | None = None,
    mask: Dims | None = None,
    with_mask: bool = False,
    mask_pool: int = 1,
    names: tuple[str, str] = ("target", "source"),
    metadata: dict[str, str] | None = None,
    nan: bool = False,
) -> Path:
    """output = 0.5 * AveragePool(target, pool) + 0.5 * (source @ P); mask = mean of output.

    Declared shapes default to the contract (dynamic batch ``N``). ONNX Runtime
    reports the shapes it infers, so a wrong size is made by computing it
    (``pool``, ``mask_pool``); a symbolic ``target`` (``["N", 3, "H", "W"]``)
    makes every size dynamic, so only running the graph shows it.
    """
    dynamic = target is not None and not all(isinstance(d, int) for d in target[2:])
    out_size: int | str = "h" if dynamic else size // pool
    mask_size: int | str = "m" if dynamic else size // pool // mask_pool
    rng = np.random.default_rng(0)
    t_name, s_name = names
    nodes = [
        helper.make_node(
            "AveragePool", [t_name], ["pooled"], kernel_shape=[pool, pool], strides=[pool, pool]
        ),
        helper.make_node("MatMul", [s_name, "proj"], ["colour"]),
        helper.make_node("Reshape", ["colour", "shape"], ["colour_img"]),
        helper.make_node("Mul", ["pooled", "half"], ["p_half"]),
        helper.make_node("Mul", ["colour_img", "half"], ["c_half"]),
        helper.make_node("Add", ["p_half", "c_half"], ["sum" if nan else "output"]),
    ]
    if nan:  # log of a negative number: NaN everywhere
        nodes += [
            helper.make_node("Abs", ["sum"], ["abs"]),
            helper.make_node("Neg", ["abs"], ["neg"]),
            helper.make_node("Sub", ["neg", "half"], ["negative"]),
            helper.make_node("Log", ["negative"], ["output"]),
        ]
    outputs = [
        helper.make_tensor_value_info(
            "output", TensorProto.FLOAT, list(output or ["N", 3, out_size, out_size])
        )
    ]
    if with_mask:
        nodes += [
            helper.make_node(
                "AveragePool",
                ["output"],
                ["mask_in"],
                kernel_shape=[mask_pool, mask_pool],
                strides=[mask_pool, mask_pool],
            ),
            helper.make_node("ReduceMean", ["mask_in"], ["mask"], axes=[1], keepdims=1),
        ]
        outputs.append(
            helper.make_tensor_value_info(
                "mask", TensorProto.FLOAT, list(mask or ["N", 1, mask_size, mask_size])
            )
        )
    graph = helper.make_graph(
        nodes,
        "export_case",
        [
            helper.make_tensor_value_info(
                t_name, TensorProto.FLOAT, list(target or ["N", 3, size, size])
            ),
            helper.make_tensor_value_info(s_name, TensorProto.FLOAT, list(source or ["N", dim])),
        ],
        outputs,
        initializer=[
            numpy_helper.from_array(rng.standard_normal((dim, 3)).astype(np.float32) * 0.1, "proj"),
            numpy_helper.from_array(np.array([-1, 3, 1, 1], np.int64), "shape"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    props = {
        "faceswap.crop_size": str(size),
        "faceswap.template": "arcface",
        "faceswap.recognizer": "dlib",
        "faceswap.embedding_dim": str(dim),
    }
    props.update(metadata or {})
    helper.set_model_props(model, props)
    onnx.save(model, str(path))
    return path


def inswapper_graph(
    path: Path,
    *,
    size: int = 128,
    pool: int = 1,
    source_dim: int = 512,
    emap_shape: tuple[int, int] = (512, 512),
    target: Dims | None = None,
    output: Dims | None = None,
    extra_output: bool = False,
) -> Path:
    """An inswapper-like graph: output = AveragePool(target) + 0 * sum(source); emap last."""
    dynamic = target is not None and not all(isinstance(d, int) for d in target[2:])
    out_size: int | str = "h" if dynamic else size // pool
    nodes = [
        helper.make_node(
            "AveragePool", ["target"], ["output"], kernel_shape=[pool, pool], strides=[pool, pool]
        ),
        helper.make_node("ReduceSum", ["source"], ["total"], keepdims=0),
    ]
    outputs = [
        helper.make_tensor_value_info(
            "output", TensorProto.FLOAT, list(output or [1, 3, out_size, out_size])
        )
    ]
    if extra_output:
        outputs.append(helper.make_tensor_value_info("total", TensorProto.FLOAT, []))
    emap = np.eye(*emap_shape, dtype=np.float32)
    graph = helper.make_graph(
        nodes,
        "inswapper_case",
        [
            helper.make_tensor_value_info(
                "target", TensorProto.FLOAT, list(target or [1, 3, size, size])
            ),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, source_dim]),
        ],
        outputs,
        initializer=[numpy_helper.from_array(emap, "emap")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def build_swapper(kind: str, path: Path) -> Any:
    return build_component(
        "swapper", {"type": kind, "model": str(path)}, manager=FaceswapPlugins(strict=True)
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"pool": 2, "output": [1, 3, 64, 64]},
            r"output 'output' is \[1, 3, 64, 64\], expected \[1, 3, 128, 128\]",
        ),
        (
            {"target": ["N", 3, 112, 112], "output": ["N", 3, 112, 112]},
            r"input 'target' is \[N, 3, 112, 112\], expected \[1, 3, 128, 128\]",
        ),
        (
            {"dim": 64, "metadata": {"faceswap.embedding_dim": "128"}},
            r"input 'source' is \[N, 64\], expected \[1, 128\]",
        ),
        ({"source": [128]}, r"input 'source' has rank 1 \[128\], expected rank 2"),
        (
            {"with_mask": True, "mask_pool": 2},
            r"output 'mask' is \[N, 1, 64, 64\], expected \[1, 1, 128, 128\]",
        ),
        (
            {"names": ("image", "identity")},
            r"expected inputs target, source .* got inputs \['image'",
        ),
        (
            {"metadata": {"faceswap.crop_size": "16000"}},
            r"metadata faceswap\.crop_size must be between 64 and 1024, got 16000",
        ),
        (
            {"metadata": {"faceswap.crop_size": "128px"}},
            r"metadata faceswap\.crop_size must be an integer, got '128px'",
        ),
        (
            {"metadata": {"faceswap.embedding_dim": "0"}},
            r"metadata faceswap\.embedding_dim must be between 1 and 4096, got 0",
        ),
        ({"metadata": {"faceswap.template": "mtcnn"}}, r"unknown faceswap\.template 'mtcnn'"),
    ],
    ids=[
        "output-64-metadata-128",
        "target-112",
        "source-dim",
        "target-rank",
        "mask-64",
        "input-names",
        "crop-size-range",
        "crop-size-text",
        "embedding-dim-range",
        "template",
    ],
)
def test_export_contract_mismatch_is_refused_on_load(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    path = export_graph(tmp_path / "case.onnx", **options)
    with pytest.raises(ModelFileError, match=message) as info:
        build_swapper("onnx", path)
    assert str(path) in str(info.value)
    assert info.value.exit_code == 5
    assert "\n" not in str(info.value)


def test_dynamic_batch_export_with_mask_is_valid(tmp_path: Path) -> None:
    """The U-Net exporter writes a symbolic batch dimension; that is the contract, not a fault."""
    path = export_graph(tmp_path / "dynamic.onnx", size=96, dim=128, with_mask=True)
    swapper = build_swapper("onnx", path)
    assert (swapper.crop_size, swapper.embedding_dim, swapper.has_mask) == (96, 128, True)
    crop = np.full((96, 96, 3), 200, np.uint8)
    source = np.full((1, 128), 1 / np.sqrt(128), np.float32)
    out = swapper.swap(crop, None, source)
    assert out.image.shape == (96, 96, 3)
    assert out.mask is not None
    assert out.mask.shape == (96, 96)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"pool": 2, "target": ["N", 3, "H", "W"]},
            r"output 'output' came back \[1, 3, 64, 64\], expected \[1, 3, 128, 128\]",
        ),
        (
            {"target": ["N", 3, "H", "W"], "with_mask": True, "mask_pool": 2},
            r"output 'mask' came back \[1, 1, 64, 64\], expected \[1, 1, 128, 128\]",
        ),
        ({"nan": True}, r"output 'output' contains NaN or infinite values"),
    ],
    ids=["dynamic-output-64", "dynamic-mask-64", "nan"],
)
def test_export_outputs_are_checked_on_every_run(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    path = export_graph(tmp_path / "case.onnx", **options)
    swapper = build_swapper("onnx", path)  # declared shapes pass: only running shows it
    crop = np.full((128, 128, 3), 90, np.uint8)
    with pytest.raises(ModelFileError, match=message):
        swapper.swap(crop, None, np.full((1, 128), 1 / np.sqrt(128), np.float32))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"pool": 2, "output": [1, 3, 64, 64]},
            r"output 'output' is \[1, 3, 64, 64\], expected \[1, 3, 128, 128\]",
        ),
        (
            {"source_dim": 256, "emap_shape": (256, 256), "target": [1, 3, 128, 96]},
            "must be square",
        ),
        ({"source_dim": 256}, r"input 'source' is \[1, 256\], expected \[1, 512\]"),
        ({"emap_shape": (512, 256)}, r"last initializer has shape \[512, 256\], expected a square"),
        ({"extra_output": True}, "2 inputs and 1 output"),
        (
            {"size": 2048, "pool": 2, "output": [1, 3, 1024, 1024]},
            "crop size 2048 is outside 64..1024",
        ),
    ],
    ids=["output-64", "not-square", "source-dim", "emap", "outputs", "crop-range"],
)
def test_inswapper_contract_mismatch_is_refused_on_load(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    path = inswapper_graph(tmp_path / "inswapper.onnx", **options)
    with pytest.raises(ModelFileError, match=message) as info:
        build_swapper("inswapper", path)
    assert str(path) in str(info.value)


def test_inswapper_dynamic_output_of_the_wrong_size_fails_on_run(tmp_path: Path) -> None:
    path = inswapper_graph(tmp_path / "inswapper.onnx", pool=2, target=[1, 3, "H", "W"])
    swapper = build_swapper("inswapper", path)
    with pytest.raises(ModelFileError, match=r"came back \[1, 3, 64, 64\]"):
        swapper.swap(np.zeros((128, 128, 3), np.uint8), None, np.ones((1, 512), np.float32))


@pytest.fixture(scope="module")
def target_file(tmp_path_factory: pytest.TempPathFactory, astronaut_image: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("target") / "astronaut.png"
    PILImage.fromarray(astronaut_image).save(path)
    return path


def test_cli_swap_with_a_model_that_breaks_its_contract_exits_5_without_output(
    tmp_path: Path, target_file: Path
) -> None:
    """The issue's case: output 64 px while the metadata says 128 pasted black seams, exit 0."""
    model = export_graph(tmp_path / "small.onnx", pool=2, target=["N", 3, "H", "W"])
    out = tmp_path / "out.png"
    result = CliRunner().invoke(
        make_cli(FaceswapPlugins(strict=True)),
        [
            *("swap", "-s", str(target_file), "-t", str(target_file), "-o", str(out)),
            *("--model", "onnx", "--model-path", str(model)),
        ],
    )
    assert result.exit_code == 5, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: model {model}: output 'output' came back [1, 3, 64, 64]")
    assert not out.exists()


def test_pipeline_with_contract_breaking_model_fails_before_detecting(tmp_path: Path) -> None:
    model = export_graph(tmp_path / "bad.onnx", metadata={"faceswap.crop_size": "2"})
    pipeline = Pipeline(PipelineConfig(swapper={"type": "onnx", "model": str(model)}))
    with pytest.raises(ModelFileError, match="must be between 64 and 1024, got 2"):
        _ = pipeline.swapper
    assert "detector" not in pipeline.built


# -- faceswap models add: the same check, for the component that will use the file -------------


def models_add(tmp_path: Path, plugins: FaceswapPlugins, name: str, path: Path) -> Any:
    root = tmp_path / "store"
    result = CliRunner().invoke(
        make_cli(plugins), ["models", "--root", str(root), "add", name, str(path)]
    )
    return result, root


def test_models_add_checks_the_inswapper_contract_before_the_checksum(tmp_path: Path) -> None:
    bad = inswapper_graph(tmp_path / "inswapper_128.onnx", pool=2, output=[1, 3, 64, 64])
    result, root = models_add(tmp_path, FaceswapPlugins(strict=True), "inswapper_128", bad)
    assert result.exit_code == 5
    assert result.stderr.strip().splitlines() == [
        f"Error: model {bad}: output 'output' is [1, 3, 64, 64], expected [1, 3, 128, 128]"
    ]
    assert not (root / "inswapper_128.onnx").exists()


def test_models_add_checks_a_recognizer_file_with_the_plugin_that_loads_it(tmp_path: Path) -> None:
    """w600k_r50 is loaded by the retinaface plugin's ArcFace recognizer; a swap graph is not."""
    wrong = export_graph(tmp_path / "w600k_r50.onnx")
    result, root = models_add(tmp_path, FaceswapPlugins(strict=True), "w600k_r50", wrong)
    assert result.exit_code == 5, result.output
    assert "not an ArcFace recognizer" in result.stderr
    assert not (root / "buffalo_l" / "w600k_r50.onnx").exists()

    good = build_arcface_like(tmp_path / "arcface.onnx")
    result, root = models_add(tmp_path, FaceswapPlugins(strict=True), "w600k_r50", good)
    assert result.exit_code == 0, result.output
    assert (root / "buffalo_l" / "w600k_r50.onnx").read_bytes() == good.read_bytes()
    # The unpinned checksum is recorded with one notice line, not Python's file:line format.
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Warning: model w600k_r50 ")
    assert "unverified" in lines[0]
    assert ".py:" not in result.stderr


def test_models_add_without_a_consumer_still_requires_a_loadable_model(tmp_path: Path) -> None:
    """Core alone has no detector for det_10g: the file must at least load in the runtime."""
    core_only = FaceswapPlugins(load_entry_points=False)
    truncated = tmp_path / "det_10g.onnx"
    truncated.write_bytes(build_arcface_like(tmp_path / "full.onnx").read_bytes()[:500])
    result, root = models_add(tmp_path, core_only, "det_10g", truncated)
    assert result.exit_code == 5
    assert "invalid ONNX model" in result.stderr
    assert not (root / "buffalo_l").exists()

    loadable = build_arcface_like(tmp_path / "det_10g_ok.onnx")
    result, root = models_add(tmp_path, core_only, "det_10g", loadable)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Notice: no installed detector loads det_10g")
