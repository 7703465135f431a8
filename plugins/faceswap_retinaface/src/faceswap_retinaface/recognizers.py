"""Identity embeddings: dlib's 128-d ResNet (embedded) and insightface ArcFace (user model).

Both return L2-normalised vectors, so one threshold on Euclidean distance
(``Recognizer.threshold``) decides "same person" for either model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core import (
    Face,
    FloatArray,
    Image,
    InferenceSession,
    ModelInfo,
    ModelLocator,
    Runtime,
)
from faceswap_core.errors import ModelFileError
from faceswap_core.runtime.onnxruntime import OnnxRuntime
from faceswap_core.vision import align
from faceswap_retinaface.configs import ArcFaceConfig, DlibRecognizerConfig
from faceswap_retinaface.dlib_models import (
    load_face_recognizer,
    load_shape_predictor,
    predict_shape,
)
from faceswap_retinaface.images import check_image
from faceswap_retinaface.model_files import (
    DLIB_RECOGNIZER_FILE,
    DLIB_RECOGNIZER_INFO,
    DLIB_SHAPE5_FILE,
    INSIGHTFACE_LICENSE,
    INSIGHTFACE_SOURCE,
    dlib_model_path,
    resolve_user_model,
)

DLIB_THRESHOLD = 0.4
"""Same-person distance between normalised dlib embeddings (see :class:`DlibRecognizer`)."""

ARCFACE_THRESHOLD = 1.2
"""Same-person distance between normalised ArcFace embeddings: ``sqrt(2 - 2 * 0.28)``."""

# dlib's chips: 150 x 150 px, 25 % padding around the 5-point face box.
DLIB_CHIP_PADDING = 0.25


def l2_normalise(vector: Any) -> FloatArray:
    array = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(array))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("the recognizer returned a zero or non-finite embedding")
    return array / np.float32(norm)


class DlibRecognizer:
    """dlib's ResNet-29 face descriptor, fed the chip dlib trained it on.

    The chip comes from ``dlib.get_face_chip_details`` on the 5-point shape
    predictor's output (150 px, padding 0.25), exactly as dlib's own pipeline
    builds it. dlib's rule "same person below 0.6" applies to its raw
    descriptors, whose norms are 1.37-1.59 (mean 1.48) on the sample faces, so
    it becomes about 0.6 / 1.48 = 0.41 on normalised ones; we use 0.4.
    Measured on the samples: the same face after JPEG q60, 0.75x resize,
    brightness +20 or a horizontal flip stays within 0.18, while the seven
    different people of t1.jpg and the astronaut are 0.43-0.62 apart.
    """

    embedding_dim = 128
    threshold = DLIB_THRESHOLD
    model_info: ModelInfo = DLIB_RECOGNIZER_INFO

    def __init__(self, config: DlibRecognizerConfig | None = None) -> None:
        self.config = config or DlibRecognizerConfig()
        model = dlib_model_path(DLIB_RECOGNIZER_FILE, self.config.model_path)
        shape = dlib_model_path(DLIB_SHAPE5_FILE, self.config.shape_model_path)
        if self.config.model_path:
            self.model_info = attrs.evolve(DLIB_RECOGNIZER_INFO, file=str(model))
        self._model = load_face_recognizer(model)
        self._shape = load_shape_predictor(shape)

    def shape(self, image: Image, face: Face) -> Any:
        """The ``dlib.full_object_detection`` (5 points) dlib aligns its chip with."""
        import dlib

        points = predict_shape(self._shape, image, face)
        x1, y1, x2, y2 = (round(float(v)) for v in face.bbox)
        parts = [dlib.point(round(float(x)), round(float(y))) for x, y in points]
        return dlib.full_object_detection(dlib.rectangle(x1, y1, x2, y2), parts)

    def embed(self, image: Image, face: Face) -> FloatArray:
        """The L2-normalised 128-d descriptor of ``face``."""
        image = check_image(image)
        descriptor = self._model.compute_face_descriptor(
            image, self.shape(image, face), self.config.num_jitters, DLIB_CHIP_PADDING
        )
        return l2_normalise(descriptor)


def find_recognition_model(path: Path) -> Path:
    """The ArcFace ONNX of an insightface pack folder (or ``path`` itself when a file)."""
    if path.is_file():
        return path
    candidates = sorted(path.glob("*.onnx"))
    for candidate in candidates:
        name = candidate.name.lower()
        if name.startswith(("w600k", "glint", "arcface")) or "_r50" in name or "_r100" in name:
            return candidate
    for candidate in candidates:
        if _looks_like_recognizer(candidate):
            return candidate
    raise ModelFileError(
        f"no ArcFace recognition model in {path} (found: "
        f"{', '.join(c.name for c in candidates) or 'no .onnx files'}); "
        f"pass model= the w600k_r50.onnx of an insightface pack"
    )


def _looks_like_recognizer(path: Path) -> bool:
    import onnx

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception:
        return False
    if len(graph.input) != 1 or len(graph.output) != 1:
        return False
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    return len(dims) == 4 and dims[2] == dims[3] and dims[2] >= 112


def _embeds_normalisation(path: Path) -> bool:
    """Old mxnet-converted ArcFace graphs subtract and scale the input themselves."""
    import onnx

    try:
        nodes = onnx.load(str(path), load_external_data=False).graph.node[:8]
    except Exception as exc:
        raise ModelFileError(
            f"invalid ONNX model {path}: {type(exc).__name__}; pass model= a valid ArcFace ONNX"
        ) from None
    names = [node.name for node in nodes]
    has_sub = any(n.startswith(("Sub", "_minus")) for n in names)
    has_mul = any(n.startswith(("Mul", "_mul")) for n in names)
    return has_sub and has_mul


class ArcFaceRecognizer:
    """insightface ArcFace (e.g. ``w600k_r50.onnx``) on ONNX Runtime.

    The face is warped to 112 px on the ArcFace template, scaled to
    ``(x - 127.5) / 127.5`` and fed as RGB NCHW. insightface's examples take
    cosine similarity above 0.28 as the same person; on unit vectors that is
    a distance below ``sqrt(2 - 2 * 0.28) = 1.2``.
    """

    threshold = ARCFACE_THRESHOLD

    def __init__(
        self,
        config: ArcFaceConfig | None = None,
        runtime: Runtime | None = None,
        models: ModelLocator | None = None,
    ) -> None:
        """:param runtime: loads the network (the pipeline's); default ONNX Runtime on CPU.
        :param models: the model store that resolves ``config.model`` names.
        """
        self.config = config or ArcFaceConfig()
        spec = resolve_user_model(self.config.model, "recognition", models)
        path = find_recognition_model(spec)
        self.model_info = ModelInfo(
            name="insightface ArcFace",
            file=str(path),
            license=INSIGHTFACE_LICENSE,
            source=INSIGHTFACE_SOURCE,
        )
        raw = _embeds_normalisation(path)
        self._mean, self._std = (0.0, 1.0) if raw else (127.5, 127.5)
        loader = runtime if runtime is not None else OnnxRuntime()
        self.session: InferenceSession = loader.load(path)
        if len(self.session.input_names) != 1 or len(self.session.output_names) != 1:
            raise ModelFileError(
                f"{path} is not an ArcFace recognizer (expects one input and one output); "
                f"pass model= the w600k_r50.onnx of an insightface pack"
            )
        in_shape = self.session.input_shapes.get(self.session.input_names[0], (1, 3, 112, 112))
        self.input_size = in_shape[2] if isinstance(in_shape[2], int) else 112
        out_shape = self.session.output_shapes.get(self.session.output_names[0], (1, 512))
        self.embedding_dim = out_shape[-1] if isinstance(out_shape[-1], int) else 512

    def blob(self, image: Image, face: Face) -> FloatArray:
        """The network input for ``face``: 1 x 3 x S x S float32, RGB, normalised."""
        crop = align.align(check_image(image), face, self.input_size, "arcface").crop
        data = (crop.astype(np.float32) - np.float32(self._mean)) / np.float32(self._std)
        return np.ascontiguousarray(data.transpose(2, 0, 1)[None])

    def embed(self, image: Image, face: Face) -> FloatArray:
        """The L2-normalised ArcFace embedding of ``face``."""
        outputs = self.session.run({self.session.input_names[0]: self.blob(image, face)})
        return l2_normalise(outputs[self.session.output_names[0]])
