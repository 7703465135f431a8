"""An ``onnx`` export embeds the source with the recognizer it was trained with.

The exports here are built without torch by :func:`faceswap_core.testing.write_onnx_export`
in the layout ``faceswap export onnx`` writes (faceswap-unet's tests run the
real exporter): the swapper graph, ``NAME.recognizer.onnx`` and
``NAME.probes.npz``, pinned by SHA-256 in the swapper's metadata. The oracle
for embeddings is ONNX Runtime run directly on the recognizer graph.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from PIL import Image as PILImage
from tests.integration.conftest import build_faceswap_export
from tests.video.clips import encode, pan_zoom

from faceswap_core import hookimpl
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import Face, FloatArray, Image, ModelInfo
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.swappers.blobs import to_blob
from faceswap_core.swappers.export_recognizer import AGREEMENT, companion_paths
from faceswap_core.testing import (
    pin_companions,
    register_plugin,
    run_cli,
    sample_probe_faces,
    write_onnx_export,
)
from faceswap_core.tools.samples import load_sample
from faceswap_core.vision.align import align


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


@pytest.fixture(scope="module")
def probe_faces() -> list[tuple[Image, Face]]:
    return sample_probe_faces()


@pytest.fixture
def export(tmp_path: Path, probe_faces: list[tuple[Image, Face]]) -> Path:
    return write_onnx_export(tmp_path / "m.onnx", probe_faces)


def graph_embedding(path: Path, image: Image, face: Face, size: int, template: str) -> FloatArray:
    """The recognizer graph run by ONNX Runtime itself on the aligned crop."""
    graph, _ = companion_paths(path)
    session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    crop = align(image, face, size, template).crop
    (embedding,) = session.run(["embedding"], {"crop": to_blob(crop, size)})
    return np.asarray(embedding[0], np.float32)


def test_the_source_is_embedded_with_the_exports_own_recognizer(
    export: Path, plugins: FaceswapPlugins, t1_image: Image, astronaut_image: Image
) -> None:
    pipeline = Pipeline(PipelineConfig(swapper={"type": "onnx", "model": str(export)}), plugins)
    swapper = pipeline.swapper
    assert swapper.recognizer is None  # no pipeline recognizer embeds the source
    identity = pipeline.prepare_source(t1_image)
    expected = graph_embedding(export, t1_image, identity.face, 64, "arcface")
    np.testing.assert_allclose(identity.prepared[0], expected, atol=1e-5)
    assert not any(name.startswith("recognizer") for name in pipeline.built)
    result = pipeline.swap(astronaut_image, identity)
    assert result.swapped == [0]
    assert np.any(result.image != astronaut_image)


class GraphTwin:
    """A pipeline recognizer that is the export's own network under another name."""

    embedding_dim = 32
    threshold = 1.0
    model_info = ModelInfo(name="twin", file="-", license="test", source="test")

    def __init__(self, export: Path) -> None:
        self.export = export

    def embed(self, image: Image, face: Face) -> FloatArray:
        return graph_embedding(self.export, image, face, 64, "arcface")


class ScaledTwin(GraphTwin):
    """The same network with its features half-rotated: a different embedding space."""

    def embed(self, image: Image, face: Face) -> FloatArray:
        vector = super().embed(image, face)
        return np.asarray(np.roll(vector, 1), np.float32)


def recognizer_plugin(name: str, factory: Callable[[], Any]) -> object:
    class Plugin:
        @hookimpl
        def register_recognizers(self, register: Any) -> None:
            register(name, lambda config, context: factory())

    return Plugin()


def test_a_named_recognizer_that_agrees_on_the_probes_embeds_the_source(
    export: Path, plugins: FaceswapPlugins, t1_image: Image
) -> None:
    with register_plugin(recognizer_plugin("twin", lambda: GraphTwin(export)), manager=plugins):
        config = PipelineConfig(
            swapper={"type": "onnx", "model": str(export), "recognizer": "twin"}
        )
        pipeline = Pipeline(config, plugins)
        assert pipeline.swapper.recognizer == "twin"
        identity = pipeline.prepare_source(t1_image)
        assert identity.face.embedding is not None  # embedded by the pipeline's recognizer
        expected = graph_embedding(export, t1_image, identity.face, 64, "arcface")
        np.testing.assert_allclose(identity.prepared[0], expected, atol=1e-5)


def test_a_named_recognizer_that_disagrees_is_refused_naming_the_exports_own(
    export: Path, plugins: FaceswapPlugins, t1_image: Image
) -> None:
    with register_plugin(recognizer_plugin("other", lambda: ScaledTwin(export)), manager=plugins):
        config = PipelineConfig(
            swapper={"type": "onnx", "model": str(export), "recognizer": "other"}
        )
        with pytest.raises(ModelFileError, match=rf"cosine -?[0-9.]+ < {AGREEMENT}") as info:
            Pipeline(config, plugins).prepare_source(t1_image)
    message = str(info.value)
    assert info.value.exit_code == 5
    assert "\n" not in message
    assert "trained with recognizer 'testing:linear'" in message
    assert "Use the export's own recognizer (m.recognizer.onnx)" in message


def test_the_cli_refuses_a_mismatched_recognizer_with_exit_5_and_one_line(
    tmp_path: Path, probe_faces: list[tuple[Image, Face]], plugins: FaceswapPlugins
) -> None:
    export = write_onnx_export(tmp_path / "m.onnx", probe_faces, dim=128)  # dlib's size
    target = tmp_path / "astronaut.png"
    PILImage.fromarray(load_sample("astronaut")).save(target)
    source = tmp_path / "t1.png"
    PILImage.fromarray(load_sample("t1")).save(source)
    out = tmp_path / "out.png"
    swapper = f"pipeline.swapper={{type: onnx, model: {export}, recognizer: dlib}}"
    result = run_cli(
        "swap", "-s", str(source), "-t", str(target), "-o", str(out), "--set", swapper,
        manager=plugins,
    )  # fmt: skip
    assert result.exit_code == 5, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: model ")
    assert "recognizer 'dlib' gives other embeddings of its probe faces" in line
    assert "remove pipeline.swapper.recognizer" in line
    assert not out.exists()
    # ... and the same model without the override swaps.
    plain = run_cli(
        "swap", "-s", str(source), "-t", str(target), "-o", str(out),
        "--model", "onnx", "--model-path", str(export), manager=plugins,
    )  # fmt: skip
    assert plain.exit_code == 0, plain.output
    assert out.is_file()


def test_a_recognizer_of_another_size_is_refused(
    export: Path, plugins: FaceswapPlugins, t1_image: Image
) -> None:
    config = PipelineConfig(swapper={"type": "onnx", "model": str(export), "recognizer": "dlib"})
    with pytest.raises(ModelFileError, match=r"takes 32-d embeddings .* gives 128-d ones"):
        Pipeline(config, plugins).prepare_source(t1_image)


# -- untrusted companions ---------------------------------------------------------------


def build(plugins: FaceswapPlugins, export: Path) -> Any:
    from faceswap_core.testing import build_component

    return build_component("swapper", {"type": "onnx", "model": str(export)}, manager=plugins)


def rewrite_probes(export: Path, **changes: np.ndarray) -> None:
    """Replace arrays of the probe file (or add members) and re-pin it."""
    _, probes = companion_paths(export)
    with np.load(probes, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays.update(changes)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    probes.write_bytes(buffer.getvalue())
    pin_companions(export)


def test_a_changed_recognizer_graph_is_refused_by_its_hash(
    export: Path, plugins: FaceswapPlugins
) -> None:
    graph, _ = companion_paths(export)
    graph.write_bytes(graph.read_bytes() + b"\0")
    with pytest.raises(ModelFileError, match=r"m\.recognizer\.onnx has sha256 .*the model pins"):
        build(plugins, export)


def test_a_missing_companion_says_to_keep_the_files_together(
    export: Path, plugins: FaceswapPlugins
) -> None:
    companion_paths(export)[1].unlink()
    with pytest.raises(ModelFileError, match=r"m\.probes\.npz is missing; keep the files"):
        build(plugins, export)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"embeddings": np.ones((4, 31), np.float32)}, r"embeddings is \[4, 31\], expected"),
        ({"embeddings": np.full((4, 32), np.nan, np.float32)}, "NaN or infinite"),
        ({"embeddings": np.full((4, 32), 2.0, np.float32)}, "not unit length"),
        ({"kps": np.zeros((4, 5), np.float32)}, r"kps is \[4, 5\], expected \[4, 5, 2\]"),
        ({"images": np.zeros((4, 600, 600, 3), np.uint8)}, "expected sides 32..512"),
        ({"images": np.zeros((4, 64, 64, 3), np.float32)}, "images is float32, expected uint8"),
        ({"extra": np.zeros(3)}, "holds .*extra.npy"),
    ],
    ids=["dim", "nan", "norm", "kps", "huge", "dtype", "extra"],
)
def test_probe_files_are_checked_before_use(
    export: Path, plugins: FaceswapPlugins, changes: dict[str, np.ndarray], message: str
) -> None:
    rewrite_probes(export, **changes)
    with pytest.raises(ModelFileError, match=message):
        build(plugins, export)


def test_a_probe_file_that_is_not_an_npz_or_pickles_objects_is_refused(
    export: Path, plugins: FaceswapPlugins
) -> None:
    _, probes = companion_paths(export)
    probes.write_bytes(b"not a zip")
    pin_companions(export)
    with pytest.raises(ModelFileError, match=r"not an \.npz archive"):
        build(plugins, export)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("images", "boxes", "kps", "embeddings"):
            member = io.BytesIO()
            np.save(member, np.array([{"x": 1}], dtype=object), allow_pickle=True)
            archive.writestr(f"{name}.npy", member.getvalue())
    probes.write_bytes(buffer.getvalue())
    pin_companions(export)
    with pytest.raises(ModelFileError, match="cannot be read"):
        build(plugins, export)


def test_a_recognizer_graph_with_another_signature_is_refused(
    export: Path, plugins: FaceswapPlugins
) -> None:
    graph, _ = companion_paths(export)
    model = onnx.load(str(graph))
    model.graph.output[0].name = "features"
    model.graph.node[-1].output[0] = "features"
    onnx.save(model, str(graph))
    pin_companions(export)
    with pytest.raises(ModelFileError, match="a recognizer graph has input 'crop' and output"):
        build(plugins, export)


def test_a_recognizer_graph_that_does_not_reproduce_its_probes_is_refused(
    export: Path, plugins: FaceswapPlugins
) -> None:
    graph, _ = companion_paths(export)
    model = onnx.load(str(graph))
    weight = onnx.numpy_helper.to_array(model.graph.initializer[0])
    model.graph.initializer[0].CopyFrom(onnx.numpy_helper.from_array(-weight, "weight"))
    onnx.save(model, str(graph))
    pin_companions(export)
    with pytest.raises(
        ModelFileError, match=r"its recognizer graph m\.recognizer\.onnx .*gives other"
    ):
        build(plugins, export)


def test_metadata_must_pin_both_companions(export: Path, plugins: FaceswapPlugins) -> None:
    model = onnx.load(str(export))
    kept = [p for p in model.metadata_props if p.key != "faceswap.probes_sha256"]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    onnx.save(model, str(export))
    with pytest.raises(ModelFileError, match=r"recognizer_sha256 without faceswap\.probes_sha256"):
        build(plugins, export)


def test_graphs_without_a_recognizer_of_their_own_still_use_the_named_one(
    tmp_path: Path, plugins: FaceswapPlugins
) -> None:
    legacy, _ = build_faceswap_export(tmp_path / "legacy.onnx", recognizer="dlib")
    swapper = build(plugins, legacy)
    assert swapper.recognizer == "dlib"
    assert swapper.probes is None


# -- the same export through faceswap video ----------------------------------------------


def test_faceswap_video_swaps_with_the_export(
    export: Path, plugins: FaceswapPlugins, tmp_path: Path, astronaut_image: Image
) -> None:
    frames, _ = pan_zoom(
        astronaut_image, (240, 180), 6, centre=(225, 120), travel=(10, 0), scale=0.6, zoom=0.0
    )
    clip = encode(tmp_path / "clip.mp4", frames)
    source = tmp_path / "t1.png"
    PILImage.fromarray(load_sample("t1")).save(source)
    out = tmp_path / "out.mp4"
    result = run_cli(
        "video", "-s", str(source), "-t", str(clip), "-o", str(out),
        "--model", "onnx", "--model-path", str(export), "--json", manager=plugins,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(
        result.stdout.strip().splitlines()[0]
    )  # the video's report, then the summary
    assert summary["frames_out"] == 6
    assert summary["frames_swapped"] == 6
