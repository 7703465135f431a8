"""Missing, truncated and tampered model files fail with ModelFileError naming file and fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from faceswap_core.errors import ModelFileError
from faceswap_retinaface.configs import (
    ArcFaceConfig,
    DlibLandmarkerConfig,
    DlibRecognizerConfig,
    RetinaFaceConfig,
)
from faceswap_retinaface.landmarkers import DlibLandmarker
from faceswap_retinaface.model_files import (
    DLIB_SHAPE5_FILE,
    KNOWN_SHA256,
    dlib_model_path,
    dlib_models_dir,
)
from faceswap_retinaface.recognizers import ArcFaceRecognizer, DlibRecognizer
from faceswap_retinaface.retinaface import RetinaFaceDetector


def _truncated(source: Path, target: Path, size: int = 50_000) -> Path:
    with open(source, "rb") as handle:
        target.write_bytes(handle.read(size))
    return target


def test_embedded_dlib_files_are_found_without_importing_the_package() -> None:
    # face_recognition_models' __init__ imports pkg_resources, which may be missing.
    code = (
        "import sys; from faceswap_retinaface.model_files import dlib_models_dir; "
        "print(dlib_models_dir()); print('face_recognition_models' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    folder, imported = result.stdout.split()
    assert imported == "False"
    for name in KNOWN_SHA256:
        if name.endswith(".dat"):
            assert (Path(folder) / name).is_file()


@pytest.mark.parametrize(
    "build",
    [
        lambda p: RetinaFaceDetector(RetinaFaceConfig(model_path=str(p))),
        lambda p: DlibLandmarker(68, DlibLandmarkerConfig(model_path=str(p))),
        lambda p: DlibLandmarker(5, DlibLandmarkerConfig(model_path=str(p))),
        lambda p: DlibRecognizer(DlibRecognizerConfig(model_path=str(p))),
        lambda p: DlibRecognizer(DlibRecognizerConfig(shape_model_path=str(p))),
        lambda p: ArcFaceRecognizer(ArcFaceConfig(model=str(p))),
    ],
    ids=["retinaface", "dlib68", "dlib5", "dlib", "dlib-shape", "arcface"],
)
def test_missing_file_names_the_path(build: object, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.bin"
    with pytest.raises(ModelFileError, match=r"nowhere[/\\]model\.bin"):
        build(missing)  # type: ignore[operator]


def test_truncated_dlib_files_are_model_file_errors(tmp_path: Path) -> None:
    folder = dlib_models_dir()
    shape = _truncated(folder / "shape_predictor_68_face_landmarks.dat", tmp_path / "sp68.dat")
    with pytest.raises(ModelFileError, match=r"cannot load dlib shape predictor .*sp68\.dat"):
        DlibLandmarker(68, DlibLandmarkerConfig(model_path=str(shape)))
    rec = _truncated(folder / "dlib_face_recognition_resnet_model_v1.dat", tmp_path / "rec.dat")
    with pytest.raises(ModelFileError, match=r"face recognition model .*rec\.dat"):
        DlibRecognizer(DlibRecognizerConfig(model_path=str(rec)))


def test_tampered_known_file_fails_its_checksum(tmp_path: Path) -> None:
    tampered = tmp_path / DLIB_SHAPE5_FILE
    shutil.copyfile(dlib_models_dir() / DLIB_SHAPE5_FILE, tampered)
    with open(tampered, "r+b") as handle:  # flip one byte in the middle
        handle.seek(4_000_000)
        byte = handle.read(1)
        handle.seek(4_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelFileError, match="SHA-256"):
        dlib_model_path(DLIB_SHAPE5_FILE, str(tampered))
    with pytest.raises(ModelFileError, match="SHA-256"):
        DlibLandmarker(5, DlibLandmarkerConfig(model_path=str(tampered)))


def test_wrong_predictor_for_the_point_count(tmp_path: Path) -> None:
    five = tmp_path / "five.dat"
    shutil.copyfile(dlib_models_dir() / DLIB_SHAPE5_FILE, five)
    with pytest.raises(ModelFileError, match=r"predicts 5 points, not 68"):
        DlibLandmarker(68, DlibLandmarkerConfig(model_path=str(five)))


def test_bad_onnx_files_are_model_file_errors(tmp_path: Path) -> None:
    from retinaface.weights import WEIGHTS

    truncated = tmp_path / "retinaface.onnx"
    truncated.write_bytes(bytes(WEIGHTS[: len(WEIGHTS) // 3]))
    with pytest.raises(ModelFileError, match=r"invalid ONNX model .*retinaface\.onnx"):
        RetinaFaceDetector(RetinaFaceConfig(model_path=str(truncated)))
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"empty.*empty\.onnx"):
        RetinaFaceDetector(RetinaFaceConfig(model_path=str(empty)))
    garbage = tmp_path / "w600k_r50.onnx"
    garbage.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelFileError, match=r"w600k_r50\.onnx"):
        ArcFaceRecognizer(ArcFaceConfig(model=str(garbage)))


def test_retinaface_model_path_override_works(tmp_path: Path, astronaut_image: object) -> None:
    from retinaface.weights import WEIGHTS

    copy = tmp_path / "retinaface_mobilenet0.25.onnx"
    copy.write_bytes(bytes(WEIGHTS))
    detector = RetinaFaceDetector(RetinaFaceConfig(model_path=str(copy)))
    assert detector.model_info.file == str(copy)
    assert len(detector.detect(astronaut_image)) == 1  # type: ignore[arg-type]
