"""The default pipeline (retinaface + dlib68 + classic) on real faces from installed packages."""

from __future__ import annotations

import numpy as np
import pytest
from tests.integration.conftest import changed_outside

import faceswap
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import InvalidImageError, NoFaceError
from faceswap_core.interfaces.face import Face, Image
from faceswap_core.pipeline.context import build_context
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.vision.crop import crop_around


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(PipelineConfig(), FaceswapPlugins(strict=True))


def test_classic_swap_moves_identity_towards_the_source(
    pipeline: Pipeline, t1_image: Image, astronaut_image: Image
) -> None:
    """Measured with the dlib recognizer on three source/target pairs of real faces."""
    recognizer = pipeline.plugins.build(
        "recognizer", "dlib", context=build_context(pipeline.plugins)
    )
    t1_faces = sorted(pipeline.detect(t1_image), key=lambda f: -f.area)
    astronaut_face = pipeline.detect(astronaut_image)[0]
    t1_crops = [crop_around(t1_image, f, 0.5) for f in t1_faces]
    # Near-frontal faces: the two largest of t1 are frontal, the others turned
    # past the yaw where the classic swapper stops transferring face shape.
    pairs = [
        (t1_crops[0], astronaut_image),  # a t1 face onto the astronaut
        (astronaut_image, t1_crops[1]),  # the astronaut onto a t1 face
        (t1_crops[0], t1_crops[1]),  # one t1 face onto another
        (t1_crops[1], astronaut_image),
    ]
    assert astronaut_face.score > 0.9
    report = []
    for source, target in pairs:
        result = pipeline.swap(target, source, faces="largest")
        assert result.swapped, "the target face was not swapped"

        def embed(image: Image) -> np.ndarray:
            face = max(pipeline.detect(image), key=lambda f: f.area)
            return recognizer.embed(image, face)

        swapped, src, tgt = embed(result.image), embed(source), embed(target)
        to_source = float(np.linalg.norm(swapped - src))
        to_target = float(np.linalg.norm(swapped - tgt))
        report.append((round(to_source, 3), round(to_target, 3)))
        assert to_source < to_target, report
    print("dlib distances (to source, to original target):", report)


def test_pixels_outside_the_faces_are_unchanged(
    pipeline: Pipeline, t1_image: Image, astronaut_image: Image
) -> None:
    result = pipeline.swap(astronaut_image, t1_image)
    assert result.image.shape == astronaut_image.shape
    assert result.image.dtype == np.uint8
    assert changed_outside(astronaut_image, result.image, result.faces, margin=0.35) == 0


def test_all_six_faces_of_t1_are_swapped(
    pipeline: Pipeline, t1_image: Image, astronaut_image: Image
) -> None:
    result = pipeline.swap(t1_image, astronaut_image, faces="all")
    assert len(result.faces) == 6
    assert sorted(result.swapped) == list(range(6))
    for face in result.faces:
        x1, y1, x2, y2 = (int(v) for v in face.bbox)
        region = np.abs(result.image[y1:y2, x1:x2].astype(int) - t1_image[y1:y2, x1:x2].astype(int))
        assert region.mean() > 2.0, f"face at {face.bbox} barely changed"
    for stage in ("detect", "landmarks", "align", "swap", "paste"):
        assert result.timings[stage] > 0


def test_largest_swaps_one_face(
    pipeline: Pipeline, t1_image: Image, astronaut_image: Image
) -> None:
    result = pipeline.swap(t1_image, astronaut_image, faces="largest")
    assert len(result.swapped) == 1
    biggest = max(range(6), key=lambda i: result.faces[i].area)
    assert result.swapped == [biggest]


def test_reference_selection_swaps_only_the_matching_face(
    pipeline: Pipeline, t1_image: Image, astronaut_image: Image
) -> None:
    faces = pipeline.detect(t1_image)
    chosen = faces[2]
    reference = crop_around(t1_image, chosen, 0.6)
    result = pipeline.swap(t1_image, astronaut_image, faces="reference", reference=reference)
    assert result.swapped == [2]


def test_same_inputs_give_identical_output(
    pipeline: Pipeline, t1_image: Image, astronaut_image: Image
) -> None:
    first = pipeline.swap(astronaut_image, t1_image).image
    fresh = Pipeline(PipelineConfig(), FaceswapPlugins(strict=True))
    second = fresh.swap(astronaut_image, t1_image).image
    assert np.array_equal(first, second)


def test_target_without_faces_is_returned_unchanged(pipeline: Pipeline, t1_image: Image) -> None:
    blank = np.full((240, 320, 3), 127, np.uint8)
    result = pipeline.swap(blank, t1_image)
    assert result.faces == []
    assert result.swapped == []
    assert np.array_equal(result.image, blank)


def test_source_without_a_face_raises_no_face_error(
    pipeline: Pipeline, astronaut_image: Image
) -> None:
    blank = np.zeros((200, 200, 3), np.uint8)
    with pytest.raises(NoFaceError, match="no face found in the source") as info:
        pipeline.swap(astronaut_image, blank)
    assert info.value.exit_code == 4
    assert isinstance(info.value, LookupError)


def test_facade_swap_and_detect(t1_image: Image, astronaut_image: Image) -> None:
    out = faceswap.swap(astronaut_image, t1_image)
    assert out.shape == astronaut_image.shape
    assert out.dtype == np.uint8
    assert np.any(out != astronaut_image)
    faces = faceswap.detect(t1_image)
    assert len(faces) == 6
    assert all(isinstance(f, Face) for f in faces)
    loaded = faceswap.load({"pipeline": {"faces": "largest"}})
    assert loaded.config.faces == "largest"


def test_facade_rejects_bad_arrays(t1_image: Image) -> None:
    with pytest.raises(InvalidImageError):
        faceswap.swap(np.zeros((10, 10, 3), np.float64), t1_image)
    with pytest.raises(InvalidImageError):
        faceswap.swap(np.zeros((10,), np.uint8), t1_image)
