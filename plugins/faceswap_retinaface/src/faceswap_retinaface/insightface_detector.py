"""insightface detection models (SCRFD ``det_10g.onnx`` and friends) the user provides.

insightface's ``model_zoo.get_model`` routes an ONNX file by its signature
(five or more outputs: a detector) and owns the model-specific decoding; we
turn its arrays into :class:`~faceswap_core.face.Face` objects and keep our
RGB boundary (insightface works on BGR).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from faceswap_core import Face, Image, ModelInfo, ModelLocator
from faceswap_core.errors import ModelFileError
from faceswap_retinaface.configs import InsightFaceConfig
from faceswap_retinaface.images import check_image, too_small
from faceswap_retinaface.model_files import (
    INSIGHTFACE_LICENSE,
    INSIGHTFACE_SOURCE,
    resolve_user_model,
)
from faceswap_retinaface.selection import rank_faces

_DETECTOR_PREFIXES = ("det_", "scrfd", "retinaface")


def find_detection_model(path: Path) -> Path:
    """The detection ONNX of an insightface pack folder (or ``path`` itself when a file)."""
    if path.is_file():
        return path
    candidates = sorted(path.glob("*.onnx"))
    for candidate in candidates:
        if candidate.name.lower().startswith(_DETECTOR_PREFIXES):
            return candidate
    for candidate in candidates:
        if _output_count(candidate) >= 5:
            return candidate
    raise ModelFileError(
        f"no detection model in {path} (found: "
        f"{', '.join(c.name for c in candidates) or 'no .onnx files'}); "
        f"pass model= the det_10g.onnx of an insightface pack"
    )


def _output_count(path: Path) -> int:
    import onnx

    try:
        return len(onnx.load(str(path), load_external_data=False).graph.output)
    except Exception:
        return 0


class InsightFaceDetector:
    """An insightface SCRFD / RetinaFace detector run through ``insightface.model_zoo``."""

    def __init__(
        self, config: InsightFaceConfig | None = None, models: ModelLocator | None = None
    ) -> None:
        """:param models: the model store that resolves ``config.model`` names."""
        self.config = config or InsightFaceConfig()
        spec = resolve_user_model(self.config.model, "detection", models)
        self.path = find_detection_model(spec)
        self.model = self._load(self.path)
        self.model_info = ModelInfo(
            name=f"insightface {type(self.model).__name__}",
            file=str(self.path),
            license=INSIGHTFACE_LICENSE,
            source=INSIGHTFACE_SOURCE,
        )

    def _load(self, path: Path) -> Any:
        from insightface.model_zoo import get_model

        hint = "pass model= the det_10g.onnx of an insightface pack"
        try:
            model = get_model(str(path), providers=list(self.config.providers))
        except Exception as exc:
            detail = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise ModelFileError(f"invalid insightface model {path}: {detail}; {hint}") from None
        if model is None or getattr(model, "taskname", None) != "detection":
            kind = "an unrecognised model" if model is None else f"a {model.taskname} model"
            raise ModelFileError(f"{path} is {kind}, not a face detector; {hint}")
        if not getattr(model, "use_kps", True):
            raise ModelFileError(f"{path} predicts no keypoints, which alignment needs; {hint}")
        cpu_only = list(self.config.providers) == ["CPUExecutionProvider"]
        size = self.config.det_size
        model.prepare(
            ctx_id=-1 if cpu_only else 0,
            input_size=(size, size),
            det_thresh=self.config.score_threshold,
            nms_thresh=self.config.nms_threshold,
        )
        return model

    def detect(self, image: Image) -> list[Face]:
        """Faces in one RGB image, best score first (or by prominence with ``max_faces``)."""
        checked = check_image(image)
        if too_small(checked):
            return []
        bgr = np.ascontiguousarray(checked[:, :, ::-1])
        size = self.config.det_size
        boxes, kpss = self.model.detect(bgr, input_size=(size, size), max_num=0)
        if kpss is None:
            raise ModelFileError(f"{self.path} returned no keypoints; use an SCRFD model with kps")
        faces = [
            Face(bbox=boxes[i, :4], score=float(boxes[i, 4]), kps=kpss[i])
            for i in range(boxes.shape[0])
        ]
        # The same ranking as the retinaface detector (insightface's own default metric).
        height, width = checked.shape[:2]
        return rank_faces(faces, height, width, self.config.max_faces)

    def detect_batch(self, images: Sequence[Image]) -> list[list[Face]]:
        """Faces per image (insightface runs one image per call)."""
        checked = [check_image(image, f"images[{i}]") for i, image in enumerate(images)]
        return [self.detect(image) for image in checked]
