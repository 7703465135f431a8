"""The RetinaFace graph exported with a fixed input size runs the detector like the original."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from faceswap_core import Face, Image
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import run_cli
from faceswap_retinaface.configs import RetinaFaceConfig
from faceswap_retinaface.retinaface import RetinaFaceDetector
from faceswap_retinaface.static_export import embedded_graph, static_graph

# t1.jpg is 1280 x 886: the dynamic detector (det_size 640) resizes it to 640 x 443 and pads
# to 640 x 448, so a static 640x448 graph sees exactly the same input.
WIDTH, HEIGHT = 640, 448
# Prior boxes at 448 x 640, by hand: (56*80 + 28*40 + 14*20) cells x 2 sizes = 11760.
PRIORS = 11760


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("static") / "det.onnx"
    result = run_cli(
        "export", "retinaface", "--size", f"{WIDTH}x{HEIGHT}", "-o", str(out), "--json",
        manager=FaceswapPlugins(strict=True),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout.splitlines()[-1])["summary"]


def _dims(value: Any) -> list[int]:
    return [d.dim_value for d in value.type.tensor_type.shape.dim]


def test_the_exported_graph_is_static_and_validated(exported: tuple[Path, dict[str, Any]]) -> None:
    out, record = exported
    assert record["out"] == str(out)
    assert record["faces"] == [6, 1]  # t1's six people and the astronaut
    assert record["max_abs_diff"] <= 1e-3
    model = onnx.load(str(out))
    (graph_input,) = model.graph.input
    assert _dims(graph_input) == [1, 3, HEIGHT, WIDTH]
    outputs = {o.name: _dims(o) for o in model.graph.output}
    assert outputs == {
        "loc": [1, PRIORS, 4],
        "conf": [1, PRIORS, 2],
        "landmarks": [1, PRIORS, 10],
    }
    ops = {node.op_type for node in model.graph.node}
    assert not ops & {"Shape", "Gather", "Unsqueeze"}  # shape arithmetic folded away
    props = {p.key: p.value for p in model.metadata_props}
    assert props["faceswap.input_size"] == f"{WIDTH}x{HEIGHT}"


def test_the_detector_runs_from_the_static_file_like_the_original(
    exported: tuple[Path, dict[str, Any]], t1_image: Image, t1_faces: list[Face]
) -> None:
    static = RetinaFaceDetector(RetinaFaceConfig(model_path=str(exported[0])))
    assert static.static_size == (HEIGHT, WIDTH)
    faces = static.detect(t1_image)
    assert len(faces) == len(t1_faces) == 6
    for got, want in zip(faces, t1_faces, strict=True):
        np.testing.assert_allclose(got.bbox, want.bbox, atol=0.05)
        np.testing.assert_allclose(got.kps, want.kps, atol=0.05)


def test_a_static_batch_detects_frames_in_padded_chunks(
    tmp_path: Path, t1_image: Image, astronaut_image: Image
) -> None:
    path = tmp_path / "det_b2.onnx"
    path.write_bytes(static_graph(embedded_graph(), 640, 640, 2, fold=False))
    model = onnx.load(str(path))
    assert _dims(model.graph.input[0]) == [2, 3, 640, 640]
    assert "Shape" in {node.op_type for node in model.graph.node}  # not folded
    detector = RetinaFaceDetector(RetinaFaceConfig(model_path=str(path)))
    assert detector.static_batch == 2
    counts = [len(f) for f in detector.detect_batch([t1_image, astronaut_image, t1_image])]
    assert counts == [6, 1, 6]


def test_the_export_never_overwrites_and_checks_its_size(
    exported: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    plugins = FaceswapPlugins(strict=True)
    taken = tmp_path / "mine.onnx"
    taken.write_bytes(b"mine")
    result = run_cli("export", "retinaface", "-o", str(taken), manager=plugins)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {taken} exists; pass --overwrite to replace it\n"
    assert taken.read_bytes() == b"mine"
    # the old spelling --out: one warning, then the same refusal
    old = run_cli("export", "retinaface", "--out", str(taken), manager=plugins)
    assert old.exit_code == 2
    assert old.stderr.splitlines() == [
        "Warning: --out is deprecated; use -o/--output",
        f"Error: {taken} exists; pass --overwrite to replace it",
    ]
    bad = run_cli("export", "retinaface", "-o", str(tmp_path / "x.onnx"), "--size", "641x480",
                  manager=plugins)  # fmt: skip
    assert bad.exit_code == 2
    assert "sides must be multiples of 32" in bad.stderr
    assert not (tmp_path / "x.onnx").exists()
