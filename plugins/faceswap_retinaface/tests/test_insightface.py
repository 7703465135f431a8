"""The insightface detector on a tiny random SCRFD-shaped ONNX routed by model_zoo."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from faceswap_core import Face, Image
from faceswap_core.errors import InvalidImageError, ModelFileError
from faceswap_retinaface.configs import InsightFaceConfig
from faceswap_retinaface.insightface_detector import InsightFaceDetector
from faceswap_retinaface.selection import rank_faces


@pytest.fixture(scope="module")
def scrfd_pack(make_scrfd: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("buffalo_tiny")
    make_scrfd(folder=folder)
    (folder / "w600k_r50.onnx").write_bytes(b"not used by the detector")
    return folder


def _detector(path: Path, **options: object) -> InsightFaceDetector:
    return InsightFaceDetector(InsightFaceConfig(model=str(path), det_size=128, **options))  # type: ignore[arg-type]


def test_pack_folder_routes_to_scrfd(scrfd_pack: Path) -> None:
    detector = _detector(scrfd_pack)
    assert type(detector.model).__name__ == "SCRFD"
    assert detector.path == scrfd_pack / "det_10g.onnx"
    assert detector.model_info.file.endswith("det_10g.onnx")
    assert "non-commercial" in detector.model_info.license


def test_detect_returns_faces_above_the_threshold(scrfd_pack: Path, astronaut_image: Image) -> None:
    faces = _detector(scrfd_pack, score_threshold=0.3).detect(astronaut_image)
    assert faces, "random weights on this model score many anchors above 0.3"
    for face in faces:
        assert isinstance(face, Face)
        assert face.bbox.shape == (4,)
        assert face.kps.shape == (5, 2)
        assert face.bbox.dtype == np.float32
        assert 0.3 <= face.score <= 1.0
    scores = [f.score for f in faces]
    assert scores == sorted(scores, reverse=True)


def test_higher_threshold_keeps_a_subset(scrfd_pack: Path, astronaut_image: Image) -> None:
    counts = [
        len(_detector(scrfd_pack, score_threshold=t).detect(astronaut_image))
        for t in (0.3, 0.6, 0.99)
    ]
    assert counts[0] >= counts[1] >= counts[2]
    assert counts[2] == 0


def test_max_faces_and_batch(scrfd_pack: Path, astronaut_image: Image, t1_image: Image) -> None:
    detector = _detector(scrfd_pack, score_threshold=0.3, max_faces=3)
    single = detector.detect(astronaut_image)
    every = _detector(scrfd_pack, score_threshold=0.3).detect(astronaut_image)
    assert len(every) > 3
    # Which three: the most prominent (rank_faces, hand-checked in test_selection.py).
    height, width = astronaut_image.shape[:2]
    expected = rank_faces(every, height, width, 3)
    np.testing.assert_allclose([f.bbox for f in single], [f.bbox for f in expected])
    assert [f.score for f in single] == [f.score for f in expected]
    batched = detector.detect_batch([astronaut_image, t1_image])
    assert len(batched) == 2
    np.testing.assert_allclose([f.bbox for f in batched[0]], [f.bbox for f in single])


def test_rgb_boundary_is_enforced(scrfd_pack: Path) -> None:
    detector = _detector(scrfd_pack)
    with pytest.raises(InvalidImageError, match="dtype"):
        detector.detect(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(InvalidImageError, match="shape"):
        detector.detect(np.zeros((64, 64, 4), np.uint8))


def test_missing_model_names_the_path_and_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "buffalo_l" / "det_10g.onnx"
    with pytest.raises(ModelFileError, match=r"det_10g\.onnx does not exist.*insightface pack"):
        _detector(missing)


def test_names_are_looked_up_in_the_model_store(
    make_scrfd: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FACESWAP_HOME", str(tmp_path))
    # A catalog name whose file is not there yet: the store says where to put it.
    with pytest.raises(ModelFileError, match=r"det_10g\.onnx.*faceswap models add det_10g"):
        _detector(Path("det_10g"))
    with pytest.raises(ModelFileError, match=r"model store"):
        _detector(Path("buffalo_s"))
    pack = tmp_path / "models" / "buffalo_l"
    pack.mkdir(parents=True)
    make_scrfd(folder=pack)
    assert _detector(Path("buffalo_l")).path == pack / "det_10g.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the store warns that det_10g's checksum is not pinned
        assert _detector(Path("det_10g")).path == pack / "det_10g.onnx"


def test_tampered_or_wrong_model_is_a_model_file_error(
    tmp_path: Path, make_arcface: Callable[..., tuple[Path, object]]
) -> None:
    garbage = tmp_path / "det_10g.onnx"
    garbage.write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(ModelFileError, match=r"invalid insightface model .*det_10g\.onnx"):
        _detector(garbage)
    recognizer, _ = make_arcface(folder=tmp_path)
    with pytest.raises(ModelFileError, match="not a face detector"):
        _detector(recognizer)
    empty = tmp_path / "empty_pack"
    empty.mkdir()
    with pytest.raises(ModelFileError, match="no detection model"):
        _detector(empty)
