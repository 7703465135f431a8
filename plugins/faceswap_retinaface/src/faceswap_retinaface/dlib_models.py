"""Loading dlib models once per process, and running shape predictors on our faces.

dlib's shape predictors were trained on its HOG detector's boxes: upright,
square, tighter and lower than RetinaFace's. Feeding them a RetinaFace box of
a tilted face gives poor points, so :func:`predict_shape` first warps the face
upright with its five keypoints (the ArcFace similarity transform), places the
square box where the HOG detector would, predicts there, and maps the points
back. The box was fitted on the sample faces so that the 68-point eye centres
land on RetinaFace's eye keypoints (mean error about 6 % of the eye distance,
against 13-21 % for the raw box).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core import Face, FloatArray, Image
from faceswap_core.errors import ModelFileError
from faceswap_core.vision import align

# The upright frame: ArcFace 112 px template coordinates, cropped to
# [FRAME_LOW, FRAME_HIGH] in both axes and rendered at FRAME_SIZE pixels.
FRAME_LOW = -32.0
FRAME_HIGH = 144.0
FRAME_SIZE = 256
# Where dlib's HOG detector puts its square box, in the same template coordinates.
HOG_BOX_CENTER = (56.0, 65.0)
HOG_BOX_SIDE = 72.0


def _load(kind: str, path: Path, loader: Any) -> Any:
    stat = path.stat()
    return _cached(kind, str(path.resolve()), stat.st_size, stat.st_mtime_ns, loader)


@functools.lru_cache(maxsize=8)
def _cached(kind: str, path: str, size: int, mtime_ns: int, loader: Any) -> Any:
    """One loaded model per (file, size, mtime): the 68-point model takes ~0.5 s to read."""
    try:
        return loader(path)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:160]
        raise ModelFileError(
            f"cannot load dlib {kind} {path}: {detail}; the file is truncated or not a dlib "
            f"{kind} model: reinstall face-recognition-models or fix model_path"
        ) from None


def load_shape_predictor(path: Path) -> Any:
    """A cached ``dlib.shape_predictor`` (raises :class:`ModelFileError` on a bad file)."""
    import dlib

    return _load("shape predictor", path, dlib.shape_predictor)


def load_face_recognizer(path: Path) -> Any:
    """A cached ``dlib.face_recognition_model_v1`` (raises :class:`ModelFileError`)."""
    import dlib

    return _load("face recognition model", path, dlib.face_recognition_model_v1)


def upright_transform(face: Face) -> npt.NDArray[np.float64]:
    """The 2 x 3 transform from image pixels to the upright frame of :func:`predict_shape`."""
    to_template = np.vstack([align.estimate(face.kps, 112), [0.0, 0.0, 1.0]])
    scale = FRAME_SIZE / (FRAME_HIGH - FRAME_LOW)
    to_frame = np.array(
        [[scale, 0.0, -FRAME_LOW * scale], [0.0, scale, -FRAME_LOW * scale], [0.0, 0.0, 1.0]]
    )
    return np.asarray((to_frame @ to_template)[:2], dtype=np.float64)


def hog_box() -> tuple[int, int, int, int]:
    """The HOG-like square box (left, top, right, bottom) in upright-frame pixels."""
    scale = FRAME_SIZE / (FRAME_HIGH - FRAME_LOW)
    cx, cy = HOG_BOX_CENTER
    half = HOG_BOX_SIDE / 2
    left, top = (cx - half - FRAME_LOW) * scale, (cy - half - FRAME_LOW) * scale
    right, bottom = (cx + half - FRAME_LOW) * scale, (cy + half - FRAME_LOW) * scale
    return round(left), round(top), round(right), round(bottom)


def predict_shape(predictor: Any, image: Image, face: Face) -> FloatArray:
    """Run a dlib shape predictor on ``face``; N x 2 points in image coordinates."""
    import dlib

    matrix = upright_transform(face)
    crop = cv2.warpAffine(
        image,
        matrix,
        (FRAME_SIZE, FRAME_SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    shape = predictor(np.ascontiguousarray(crop), dlib.rectangle(*hog_box()))
    points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
    return align.transform_points(points, align.invert(matrix))


def predictor_points(predictor: Any) -> int:
    """How many points a loaded shape predictor returns (dlib does not expose it directly)."""
    import dlib

    blank = np.zeros((16, 16, 3), dtype=np.uint8)
    return int(predictor(blank, dlib.rectangle(0, 0, 15, 15)).num_parts)
