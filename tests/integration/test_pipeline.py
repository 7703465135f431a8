"""The default pipeline (retinaface + dlib68 + classic) on real faces from installed packages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.integration.conftest import changed_outside

import faceswap
from faceswap_core import Register, hookimpl
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
    """What the classic swapper achieves, measured with the dlib recognizer (threshold 0.6).

    Four source -> target pairs of near-frontal faces (|yaw| < 0.05 from the
    68 landmarks): the two largest t1 faces and the astronaut. Distances
    measured on 2026-11-26 (before = source to original target, after =
    source to swapped result; to target = swapped result to original target):

    ======================  ======  =====  =====  =========
    pair                    before  after  gain   to target
    ======================  ======  =====  =====  =========
    t1[0] -> astronaut      0.468   0.343  0.125  0.391
    astronaut -> t1[1]      0.550   0.366  0.185  0.420
    t1[0] -> t1[1]          0.546   0.358  0.188  0.448
    t1[1] -> astronaut      0.550   0.396  0.154  0.416
    ======================  ======  =====  =====  =========

    Mean gain 0.163. The test asks for two thirds of it (0.109), every pair
    closer to the source than to the original target, and every result within
    dlib's own same-person distance of the source. (dlib already puts some of
    these different people within 0.6 of each other, so the gain is the
    measure that matters; the threshold check keeps the result recognisable.)

    With the native-resolution crops of issue 19 (after = 0.290, 0.281, 0.284,
    0.306; to target = 0.404, 0.448, 0.477, 0.507) the mean gain is 0.239;
    the bounds above stay as they were.
    """
    recognizer = pipeline.plugins.build(
        "recognizer", "dlib", context=build_context(pipeline.plugins)
    )
    t1_faces = sorted(pipeline.detect(t1_image), key=lambda f: -f.area)
    astronaut_face = pipeline.detect(astronaut_image)[0]
    t1_crops = [crop_around(t1_image, f, 0.5) for f in t1_faces]
    pairs = [
        (t1_crops[0], astronaut_image),  # a t1 face onto the astronaut
        (astronaut_image, t1_crops[1]),  # the astronaut onto a t1 face
        (t1_crops[0], t1_crops[1]),  # one t1 face onto another
        (t1_crops[1], astronaut_image),
    ]
    assert astronaut_face.score > 0.9

    def embed(image: Image) -> np.ndarray:
        face = max(pipeline.detect(image), key=lambda f: f.area)
        return recognizer.embed(image, face)

    gains, report = [], []
    for source, target in pairs:
        result = pipeline.swap(target, source, faces="largest")
        assert result.swapped, "the target face was not swapped"
        swapped, src, tgt = embed(result.image), embed(source), embed(target)
        before = float(np.linalg.norm(tgt - src))
        after = float(np.linalg.norm(swapped - src))
        to_target = float(np.linalg.norm(swapped - tgt))
        report.append((round(before, 3), round(after, 3), round(to_target, 3)))
        assert after < to_target, report  # closer to the source than to the original
        assert after < recognizer.threshold, report  # recognised as the source
        gains.append(before - after)
    assert float(np.mean(gains)) >= 2 / 3 * 0.163, (gains, report)


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


def test_reference_selection_rejects_other_people_by_threshold(
    pipeline: Pipeline, t1_image: Image, astronaut_image: Image, tom_hanks_image: Image
) -> None:
    """dlib distances measured on 2026-11-26 from t1's six faces to three references:

    face 2 re-cropped, mirrored and shrunk to 80 %: 0.548 0.521 0.103 0.466 0.558 0.464
    Tom Hanks (not in the photo):                    0.545 0.497 0.544 0.573 0.592 0.564
    the astronaut (not in the photo):                0.548 0.539 0.466 0.548 0.571 0.483

    dlib's default 0.6 would take Tom Hanks for all six; at 0.3 only the same
    person (other pixels, mirrored) is selected and strangers are rejected.
    """
    import cv2

    faces = pipeline.detect(t1_image)
    same = crop_around(t1_image, faces[2], 0.6)[:, ::-1]
    same = np.ascontiguousarray(
        cv2.resize(same, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    )
    kept = pipeline.swap(t1_image, astronaut_image, reference=same, threshold=0.3)
    assert kept.swapped == [2]
    for stranger in (tom_hanks_image, astronaut_image):
        result = pipeline.swap(t1_image, astronaut_image, reference=stranger, threshold=0.3)
        assert result.swapped == []
        assert np.array_equal(result.image, t1_image)


class CountingRetinaFace:
    """The real retinaface detector behind a counter of detect() calls."""

    calls = 0

    @hookimpl
    def register_detectors(self, register: Register[Any]) -> None:
        register("counted", self.build)

    def build(self, config: Any, context: Any) -> Any:
        real = context.plugins.build("detector", "retinaface", context=context)
        plugin = self

        class Counted:
            def detect(self, image: Image) -> list[Face]:
                plugin.calls += 1
                return list(real.detect(image))

        return Counted()


def test_source_identity_cache_hits_and_evicts_least_recently_used(t1_image: Image) -> None:
    manager = FaceswapPlugins(strict=True)
    counter = CountingRetinaFace()
    manager.register(counter, name="counted")
    pipeline = Pipeline(PipelineConfig(detector={"type": "counted"}), manager)
    pipeline.source_cache_size = 2
    a, b, c = (crop_around(t1_image, f, 0.5) for f in pipeline.detect(t1_image)[:3])
    counter.calls = 0
    first = pipeline.prepare_source(a)
    assert pipeline.prepare_source(a.copy()) is first  # same pixels: a hit, no detection
    assert counter.calls == 1
    second = pipeline.prepare_source(b)
    assert pipeline.prepare_source(a) is first  # a is now the most recent
    pipeline.prepare_source(c)  # over the size of 2: b, the least recent, goes
    assert counter.calls == 3
    assert pipeline.prepare_source(a) is first
    assert counter.calls == 3
    again = pipeline.prepare_source(b)
    assert again is not second  # recomputed after eviction
    assert counter.calls == 4
    assert np.array_equal(again.prepared.crop, second.prepared.crop)
