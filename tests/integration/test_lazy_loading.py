"""The pipeline builds only the components a job needs (start-up time is model loading).

The recognizer loads only for reference selection or a swapper that takes
embeddings; the landmarker only for a swapper that needs landmarks or a
``hull`` or ``area`` paste mask; the paste maskers only for a swap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.integration.conftest import build_faceswap_export

from faceswap_core.config.schema import PasteConfig, PipelineConfig
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins


@pytest.fixture(scope="module")
def plugins() -> FaceswapPlugins:
    return FaceswapPlugins(strict=True)


def test_detection_builds_only_the_detector(plugins: FaceswapPlugins, t1_image: np.ndarray) -> None:
    pipeline = Pipeline(plugins=plugins)
    assert pipeline.built == ()
    assert len(pipeline.detect(t1_image)) == 6
    assert pipeline.built == ("detector",)


def test_classic_swap_of_all_faces_never_builds_the_recognizer(
    plugins: FaceswapPlugins, tom_hanks_image: np.ndarray, astronaut_image: np.ndarray
) -> None:
    pipeline = Pipeline(plugins=plugins)
    result = pipeline.swap(astronaut_image, tom_hanks_image, faces="largest")
    assert result.swapped == [0]
    assert set(pipeline.built) == {"detector", "swapper", "landmarker", "masker:auto"}


def test_reference_selection_builds_the_recognizer(
    plugins: FaceswapPlugins, t1_image: np.ndarray, tom_hanks_image: np.ndarray
) -> None:
    pipeline = Pipeline(plugins=plugins)
    pipeline.swap(t1_image, tom_hanks_image, reference=tom_hanks_image)
    assert "recognizer" in pipeline.built


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = build_faceswap_export(
        tmp_path_factory.mktemp("lazy") / "export.onnx", with_mask=False
    )
    return path


def test_a_swapper_without_landmarks_never_builds_the_landmarker(
    plugins: FaceswapPlugins,
    export: Path,
    tom_hanks_image: np.ndarray,
    astronaut_image: np.ndarray,
) -> None:
    pipeline = Pipeline(PipelineConfig(swapper={"type": "onnx", "model": str(export)}), plugins)
    result = pipeline.swap(astronaut_image, tom_hanks_image)
    assert result.swapped == [0]
    # The export's metadata names dlib (the configured recognizer): built; the landmarker is not.
    assert set(pipeline.built) == {"detector", "swapper", "recognizer", "masker:auto"}


def test_a_hull_mask_builds_the_landmarker_even_for_such_a_swapper(
    plugins: FaceswapPlugins,
    export: Path,
    tom_hanks_image: np.ndarray,
    astronaut_image: np.ndarray,
) -> None:
    config = PipelineConfig(
        swapper={"type": "onnx", "model": str(export)}, paste=PasteConfig(mask="hull")
    )
    pipeline = Pipeline(config, plugins)
    result = pipeline.swap(astronaut_image, tom_hanks_image)  # was: "needs landmarks" error
    assert result.swapped == [0]
    assert "landmarker" in pipeline.built
    assert result.faces[0].landmarks is None  # the faces reported are the detector's
