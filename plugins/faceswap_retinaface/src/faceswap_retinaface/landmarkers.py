"""dlib's 68- and 5-point shape predictors as :class:`~faceswap_core.interfaces.Landmarker`."""

from __future__ import annotations

import attrs

from faceswap_core import Face, FloatArray, Image, ModelInfo
from faceswap_core.errors import ModelFileError
from faceswap_retinaface.configs import DlibLandmarkerConfig
from faceswap_retinaface.dlib_models import load_shape_predictor, predict_shape, predictor_points
from faceswap_retinaface.images import check_image
from faceswap_retinaface.model_files import (
    DLIB_SHAPE5_FILE,
    DLIB_SHAPE5_INFO,
    DLIB_SHAPE68_FILE,
    DLIB_SHAPE68_INFO,
    dlib_model_path,
)

_MODELS: dict[int, tuple[str, ModelInfo]] = {
    68: (DLIB_SHAPE68_FILE, DLIB_SHAPE68_INFO),
    5: (DLIB_SHAPE5_FILE, DLIB_SHAPE5_INFO),
}


class DlibLandmarker:
    """Dense landmarks from a dlib shape predictor, placed by the detector's keypoints.

    68 points follow the iBUG 300-W layout (jaw 0-16, brows 17-26, nose 27-35,
    eyes 36-47, mouth 48-67). dlib's 5 points are the outer and inner corner of
    the eye on the image's right (0, 1), the same for the image's left eye
    (2, 3), and the base of the nose (4).
    """

    def __init__(self, num_points: int, config: DlibLandmarkerConfig | None = None) -> None:
        if num_points not in _MODELS:
            raise ValueError(f"dlib landmarkers have 68 or 5 points, not {num_points}")
        self.config = config or DlibLandmarkerConfig()
        self.num_points = num_points
        file_name, info = _MODELS[num_points]
        path = dlib_model_path(file_name, self.config.model_path)
        self.model_info = info if not self.config.model_path else attrs.evolve(info, file=str(path))
        self._predictor = load_shape_predictor(path)
        found = predictor_points(self._predictor)
        if found != num_points:
            raise ModelFileError(
                f"{path} predicts {found} points, not {num_points}; point model_path at {file_name}"
            )

    def landmarks(self, image: Image, face: Face) -> FloatArray:
        """``num_points`` x 2 landmarks of ``face`` in image coordinates."""
        return predict_shape(self._predictor, check_image(image), face)
