"""Recognizers on real faces (dlib) and on a tiny ArcFace-shaped ONNX built here."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from faceswap_core import Face, Image
from faceswap_core.errors import ModelFileError
from faceswap_core.vision import align
from faceswap_retinaface.configs import ArcFaceConfig
from faceswap_retinaface.recognizers import ArcFaceRecognizer, DlibRecognizer


def _jpeg(image: Image, quality: int = 60) -> Image:
    ok, encoded = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1])


PERTURBATIONS: dict[str, Callable[[Image], Image]] = {
    "jpeg": _jpeg,
    "resize": lambda im: cv2.resize(im, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA),
    "brighter": lambda im: np.clip(im.astype(np.int16) + 20, 0, 255).astype(np.uint8),
    "flip": lambda im: np.ascontiguousarray(im[:, ::-1]),
}


@pytest.fixture(scope="module")
def identities(
    dlib_recognizer: DlibRecognizer,
    t1_image: Image,
    t1_faces: list[Face],
    astronaut_image: Image,
    astronaut_face: Face,
) -> list[tuple[Image, Face, Any]]:
    pairs = [(t1_image, f) for f in t1_faces] + [(astronaut_image, astronaut_face)]
    return [(image, face, dlib_recognizer.embed(image, face)) for image, face in pairs]


def test_dlib_embeddings_are_unit_norm_and_deterministic(
    dlib_recognizer: DlibRecognizer, identities: list[tuple[Image, Face, Any]]
) -> None:
    image, face, embedding = identities[0]
    assert embedding.shape == (dlib_recognizer.embedding_dim,) == (128,)
    assert embedding.dtype == np.float32
    for _, _, e in identities:
        assert np.linalg.norm(e) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(dlib_recognizer.embed(image, face), embedding)


def test_different_people_are_beyond_the_threshold(
    dlib_recognizer: DlibRecognizer, identities: list[tuple[Image, Face, Any]]
) -> None:
    for (_, _, a), (_, _, b) in itertools.combinations(identities, 2):
        assert np.linalg.norm(a - b) > dlib_recognizer.threshold


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_same_face_under_perturbation_is_within_the_threshold(
    dlib_recognizer: DlibRecognizer,
    retinaface: Any,
    identities: list[tuple[Image, Face, Any]],
    name: str,
) -> None:
    perturb = PERTURBATIONS[name]
    for image in (identities[0][0], identities[-1][0]):  # t1 and the astronaut
        changed = perturb(image)
        originals = [e for im, _, e in identities if im is image]
        moved = [dlib_recognizer.embed(changed, f) for f in retinaface.detect(changed)]
        assert len(moved) == len(originals)
        for embedding in originals:
            distances = sorted(float(np.linalg.norm(embedding - m)) for m in moved)
            # Its own perturbed copy is close; everyone else stays beyond the threshold.
            assert distances[0] < dlib_recognizer.threshold / 2
            assert all(d > dlib_recognizer.threshold for d in distances[1:])


def test_dlib_uses_the_5_point_chip(
    dlib_recognizer: DlibRecognizer, astronaut_image: Image, astronaut_face: Face
) -> None:
    shape = dlib_recognizer.shape(astronaut_image, astronaut_face)
    assert shape.num_parts == 5
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
    # dlib's 5 points: image-right eye corners, image-left eye corners, nose base.
    np.testing.assert_allclose(points[2:4].mean(0), astronaut_face.kps[0], atol=6)
    np.testing.assert_allclose(points[0:2].mean(0), astronaut_face.kps[1], atol=6)


# -- ArcFace on a tiny random ONNX -------------------------------------------------


@pytest.fixture(scope="module")
def tiny_arcface(make_arcface: Callable[..., tuple[Path, Any]]) -> tuple[ArcFaceRecognizer, Any]:
    path, weight = make_arcface()
    return ArcFaceRecognizer(ArcFaceConfig(model=str(path.parent))), weight


def _expected(image: Image, face: Face, weight: Any, mean: float, std: float) -> Any:
    crop = align.align(image, face, 112, "arcface").crop.astype(np.float32)
    blob = ((crop - mean) / std).transpose(2, 0, 1)
    pooled = blob.reshape(3, 14, 8, 14, 8).mean(axis=(2, 4)).reshape(-1)
    out = pooled @ weight
    return out / np.linalg.norm(out)


def test_arcface_preprocesses_like_insightface(
    tiny_arcface: tuple[ArcFaceRecognizer, Any], astronaut_image: Image, astronaut_face: Face
) -> None:
    recognizer, weight = tiny_arcface
    assert recognizer.embedding_dim == 512
    assert recognizer.model_info.file.endswith("w600k_r50.onnx")
    embedding = recognizer.embed(astronaut_image, astronaut_face)
    assert embedding.shape == (512,)
    assert np.linalg.norm(embedding) == pytest.approx(1.0, abs=1e-5)
    expected = _expected(astronaut_image, astronaut_face, weight, 127.5, 127.5)
    np.testing.assert_allclose(embedding, expected, atol=1e-4)
    # RGB order matters: feeding BGR would give another vector.
    swapped = _expected(
        np.ascontiguousarray(astronaut_image[:, :, ::-1]), astronaut_face, weight, 127.5, 127.5
    )
    assert np.abs(embedding - swapped).max() > 1e-3


def test_arcface_keeps_raw_pixels_for_graphs_that_normalise_themselves(
    make_arcface: Callable[..., tuple[Path, Any]], astronaut_image: Image, astronaut_face: Face
) -> None:
    # mxnet-converted ArcFace graphs start with Sub/Mul nodes that normalise the input.
    path, weight = make_arcface(name="model.onnx", mxnet_names=True)
    recognizer = ArcFaceRecognizer(ArcFaceConfig(model=str(path)))
    expected = _expected(astronaut_image, astronaut_face, weight, 0.0, 1.0)
    np.testing.assert_allclose(
        recognizer.embed(astronaut_image, astronaut_face), expected, atol=1e-4
    )


def test_arcface_pack_without_a_recognizer_is_a_model_file_error(
    make_scrfd: Callable[..., Path], tmp_path: Path
) -> None:
    make_scrfd(folder=tmp_path)
    with pytest.raises(ModelFileError, match=r"no ArcFace recognition model in .*det_10g\.onnx"):
        ArcFaceRecognizer(ArcFaceConfig(model=str(tmp_path)))
