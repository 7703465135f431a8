"""inswapper and onnx swappers against tiny ONNX models with the exact signatures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.integration.conftest import (
    build_arcface_like,
    build_faceswap_export,
    build_inswapper_like,
    changed_outside,
)

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ModelFileError
from faceswap_core.pipeline.context import build_context
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.testing import build_component
from faceswap_core.vision.align import align


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@pytest.fixture(scope="module")
def inswapper_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("inswapper")
    model, weights = build_inswapper_like(folder / "inswapper_like.onnx")
    arcface = build_arcface_like(folder / "arcface_like.onnx")
    return {"model": model, "arcface": arcface, **weights}


def test_inswapper_feeds_the_emap_latent(
    inswapper_files: dict[str, object], t1_image: np.ndarray, astronaut_image: np.ndarray
) -> None:
    plugins = FaceswapPlugins(strict=True)
    config = PipelineConfig(
        swapper={"type": "inswapper", "model": str(inswapper_files["model"])},
        recognizer={"type": "arcface", "model": str(inswapper_files["arcface"])},
    )
    pipeline = Pipeline(config, plugins)
    swapper = pipeline.swapper
    assert swapper.crop_size == 128
    assert swapper.template == "inswapper"

    identity = pipeline.prepare_source(t1_image)
    embedding = identity.face.embedding
    assert embedding is not None
    assert embedding.shape == (512,)
    emap = inswapper_files["emap"]
    assert isinstance(emap, np.ndarray)
    latent = embedding @ emap
    latent /= np.linalg.norm(latent)
    np.testing.assert_allclose(identity.prepared[0], latent, rtol=1e-4, atol=1e-5)

    # The swapped crop is what the graph computes from that latent.
    target_face = pipeline.detect(astronaut_image)[0]
    aligned = align(astronaut_image, target_face, 128, "inswapper")
    out = swapper.swap(aligned.crop, aligned.face, identity.prepared)
    proj = inswapper_files["proj"]
    assert isinstance(proj, np.ndarray)
    colour = _sigmoid(latent @ proj)
    expected = 0.5 * aligned.crop.astype(np.float32) / 255 + 0.5 * colour[None, None, :]
    np.testing.assert_allclose(out.image.astype(np.float32) / 255, expected, atol=1.5 / 255)

    result = pipeline.swap(astronaut_image, identity)
    assert result.image.shape == astronaut_image.shape
    assert result.swapped == [0]
    assert np.any(result.image != astronaut_image)
    assert changed_outside(astronaut_image, result.image, result.faces, margin=0.6) == 0


def test_inswapper_rejects_a_graph_with_the_wrong_signature(tmp_path: Path) -> None:
    export, _ = build_faceswap_export(tmp_path / "export.onnx", with_mask=True)
    plugins = FaceswapPlugins(strict=True)
    with pytest.raises(ModelFileError, match="2 inputs and 1 output"):
        plugins.build(
            "swapper", {"type": "inswapper", "model": str(export)}, context=build_context(plugins)
        )


def test_inswapper_missing_model_file_says_where_to_put_it(tmp_path: Path) -> None:
    plugins = FaceswapPlugins(strict=True)
    with pytest.raises(ModelFileError, match="model file not found") as info:
        plugins.build(
            "swapper",
            {"type": "inswapper", "model": str(tmp_path / "nope.onnx")},
            context=build_context(plugins),
        )
    assert info.value.exit_code == 5


def test_onnx_export_uses_metadata_and_model_mask(
    tmp_path: Path, t1_image: np.ndarray, astronaut_image: np.ndarray
) -> None:
    path, weights = build_faceswap_export(
        tmp_path / "export.onnx", size=112, dim=128, recognizer="dlib"
    )
    plugins = FaceswapPlugins(strict=True)
    pipeline = Pipeline(PipelineConfig(swapper={"type": "onnx", "model": str(path)}), plugins)
    swapper = pipeline.swapper
    assert (swapper.crop_size, swapper.template, swapper.recognizer) == (112, "arcface", "dlib")

    identity = pipeline.prepare_source(t1_image)
    assert identity.prepared.shape == (1, 128)
    result = pipeline.swap(astronaut_image, identity)
    assert result.swapped == [0]
    changed = np.any(result.image != astronaut_image, axis=2)
    assert changed.any()
    # Only the model's mask (the central half of the crop) may change pixels.
    face = result.faces[0]
    aligned = align(astronaut_image, face, 112, "arcface")
    ys, xs = np.nonzero(changed)
    from faceswap_core.vision.align import transform_points

    in_crop = transform_points(np.stack([xs, ys], axis=1).astype(np.float32), aligned.matrix)
    assert in_crop.min() >= 112 / 4 - 2
    assert in_crop.max() <= 3 * 112 / 4 + 2
    assert weights["mask"].shape == (1, 1, 112, 112)


def test_onnx_export_without_metadata_is_rejected(tmp_path: Path) -> None:
    path, _ = build_faceswap_export(tmp_path / "plain.onnx", metadata=False)
    with pytest.raises(
        ModelFileError, match=r"not a faceswap export: metadata faceswap\.crop_size"
    ):
        build_component(
            "swapper", {"type": "onnx", "model": str(path)}, manager=FaceswapPlugins(strict=True)
        )


def test_onnx_export_with_truncated_file_is_rejected(tmp_path: Path) -> None:
    path, _ = build_faceswap_export(tmp_path / "export.onnx")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelFileError, match="invalid ONNX model"):
        build_component(
            "swapper", {"type": "onnx", "model": str(path)}, manager=FaceswapPlugins(strict=True)
        )
