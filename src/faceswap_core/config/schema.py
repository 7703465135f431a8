"""The typed shape of a config file: the experiment and its ``pipeline:`` section.

Plain attrs classes: later sections (training, evaluation, export) are added
to :class:`ExperimentConfig` as fields, each with its own attrs class and
defaults, so old config files stay valid and an unknown section is still an
error. Components are references ``{type: NAME, **params}``; their params are
structured into the component's own config class when something builds it.
"""

from __future__ import annotations

import re
from typing import Any, Literal, NewType, get_args

import attrs
from packaging.requirements import InvalidRequirement, Requirement

from faceswap_core.config.convert import FieldValueError, converter, short_repr
from faceswap_core.config.ranges import (
    MAX_FRAMES_PER_VIDEO,
    MAX_IDENTITY_DISTANCE,
    MAX_PAIRS,
    above,
    between,
    detect_interval,
    swap_batch_size,
    unit_interval,
)
from faceswap_core.io.limits import LimitsConfig

ComponentRef = dict[str, Any]
"""``{type: NAME, **params}`` as written in a config file."""

SEED_MAX = 2**32 - 1
"""Largest seed (numpy accepts seeds below 2**32)."""


AreaName = Literal["upper-face", "lower-face", "mouth"]
MASK_AREAS: tuple[str, ...] = get_args(AreaName)
"""Face areas the ``area`` masker can keep, from 68-point landmarks (FaceFusion's area masks)."""

RegionName = Literal[
    "skin", "left-eyebrow", "right-eyebrow", "left-eye", "right-eye", "glasses",
    "left-ear", "right-ear", "earring", "nose", "mouth", "upper-lip", "lower-lip",
    "neck", "necklace", "cloth", "hair", "hat",
]  # fmt: skip
FACE_REGIONS: tuple[str, ...] = get_args(RegionName)
"""The CelebAMask-HQ classes a BiSeNet face parser labels (class 0, background, aside)."""

DEFAULT_REGIONS: tuple[RegionName, ...] = (
    "skin", "left-eyebrow", "right-eyebrow", "left-eye", "right-eye", "glasses",
    "nose", "mouth", "upper-lip", "lower-lip",
)  # fmt: skip
"""The ``region`` masker's default: the face itself, as FaceFusion's ``--face-mask-regions``."""

MASK_KEYWORD_AUTO = "auto"
"""In ``pipeline.paste.mask``: the model's own mask if it has one, else the landmark hull,
else the box (the behaviour before masks were components)."""

_MASK_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")

MaskNames = NewType("MaskNames", tuple[str, ...])
"""Masker names combined by element-wise minimum: a list, or one text (``box,occlusion``)."""


def mask_names(value: Any) -> MaskNames:
    """``"box,occlusion"`` or ``["box", "occlusion"]`` -> ``("box", "occlusion")``, checked.

    :raises ValueError: not a text or list of texts, empty, a name that is not a
        component name, or a name given twice.
    """
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",")]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"expected a list of mask names, got {short_repr(value)}")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str) or not _MASK_NAME.fullmatch(item):
            raise ValueError(
                f"expected mask names such as box, occlusion, region, area; got {short_repr(item)}"
            )
        if item in names:
            raise ValueError(f"mask {item!r} is listed twice")
        names.append(item)
    if not names:
        raise ValueError("expected at least one mask name (box is insightface's paste-back)")
    return MaskNames(tuple(names))


def _structure_mask_names(value: Any, _: Any) -> MaskNames:
    return mask_names(value)


converter.register_structure_hook(MaskNames, _structure_mask_names)


def names_listed(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A validator: at least one name, none twice (``pipeline.paste.areas``, ``regions``)."""
    if not value:
        raise FieldValueError(attribute.name, "expected at least one name")
    if len(set(value)) != len(value):
        raise FieldValueError(attribute.name, f"lists a name twice: {short_repr(value)}")


@attrs.frozen
class PasteConfig:
    """How a swapped crop goes back into the frame: which masks, how soft, what colour.

    :ivar mask: maskers combined by element-wise minimum (``box,occlusion``): ``box``
        (the whole crop with soft edges, insightface's paste-back), ``hull`` (the
        landmarks' hull up to the forehead), ``model`` (the swap model's own mask),
        ``area`` (face areas from landmarks), ``occlusion`` (an XSeg occluder:
        hands, microphones, glasses in front of the face keep the target), ``region``
        (a BiSeNet face parser's regions), a plugin's masker, or ``auto`` (the
        model's mask if it has one, else the hull, else the box).
    :ivar erode: erosion kernel of the mask in crop pixels, relative to a 128 px crop
        (0..64); the edge moves in by half of it. The default, 12, is insightface's
        paste-back (``mask_size // 10``).
    :ivar blur: radius of the Gaussian blur of the mask edge in crop pixels, relative to
        128 px (0..64; the kernel is ``2 * blur + 1``). The default, 5, is one below
        insightface's ``mask_size // 20``, so that with the default erosion the soft
        edge ends inside the crop (the box erodes at least ``blur + 1`` per edge).
    :ivar color_match: shift the swapped face's colour statistics to the target's.
    :ivar areas: for the ``area`` mask: the face areas swapped (``upper-face``,
        ``lower-face``, ``mouth``; the hull of their landmarks).
    :ivar regions: for the ``region`` mask: the face parser's classes swapped
        (``skin``, ``nose``, ``mouth``, ``hair``...; default the face without ears,
        neck and hair, as FaceFusion).
    :ivar occluder: for the ``occlusion`` mask: an XSeg occluder, a model name
        (``xseg_1``, ``faceswap models pull xseg_1``) or a ``.onnx`` path.
    :ivar parser: for the ``region`` mask: a BiSeNet face parser, a model name
        (``bisenet_resnet_34``) or a ``.onnx`` path.
    """

    mask: MaskNames = attrs.field(default=MaskNames((MASK_KEYWORD_AUTO,)), converter=mask_names)
    erode: int = attrs.field(default=12, validator=between(0, 64))
    blur: int = attrs.field(default=5, validator=between(0, 64))
    color_match: bool = False
    areas: list[AreaName] = attrs.field(
        factory=lambda: list(get_args(AreaName)),
        validator=names_listed,
    )
    regions: list[RegionName] = attrs.field(
        factory=lambda: list(DEFAULT_REGIONS),
        validator=names_listed,
    )
    occluder: str = "xseg_1"
    parser: str = "bisenet_resnet_34"


@attrs.frozen
class VideoConfig:
    """How videos and streams are swapped (``faceswap video``, ``pipeline.stream``).

    :ivar detect_every: run the detector on every Nth frame (and on scene cuts
        and lost faces); faces are tracked by optical flow in between.
    :ivar smooth: temporal smoothing of face boxes, keypoints and landmarks:
        ``none``, ``ema`` or ``one-euro``.
    :ivar min_cutoff: One Euro cutoff (Hz) for a still face; lower is steadier.
    :ivar beta: One Euro speed coefficient (per face height per second); higher
        follows fast motion with less lag.
    :ivar d_cutoff: One Euro cutoff (Hz) of the speed estimate.
    :ivar alpha: EMA weight of the newest frame (1 = no smoothing).
    :ivar color_blend: share of the previous frames in the pasted face's colour
        offset (0 = off); keeps the face from pulsing in brightness.
    :ivar mask_blend: share of the previous frames in the paste mask (0 = off).
    :ivar scene_cut: mean thumbnail difference (0 to 1) that counts as a cut; 1 = never.
    :ivar track_iou: least box overlap to keep a face's track id at a detection.
    :ivar detect_batch: at most this many scheduled detections run as one batch
        when frames wait for the detector (never waiting to fill a batch).
    :ivar swap_batch: at most this many frames' faces are swapped in one model run
        when frames wait for the swapper and it batches (the ``onnx`` swapper on a
        dynamic-batch export); never waiting to fill a batch. The frames come out
        exactly as swapped one by one.
    :ivar queue: frames in flight between the decode, detect, analyse, swap and
        encode threads.
    """

    detect_every: int = attrs.field(default=5, validator=detect_interval)
    smooth: Literal["none", "ema", "one-euro"] = "one-euro"
    min_cutoff: float = attrs.field(default=2.0, validator=between(0.0, 1000.0, low_open=True))
    beta: float = attrs.field(default=10.0, validator=between(0.0, 1000.0))
    d_cutoff: float = attrs.field(default=1.0, validator=between(0.0, 1000.0, low_open=True))
    alpha: float = attrs.field(default=0.5, validator=between(0.0, 1.0, low_open=True))
    color_blend: float = attrs.field(default=0.8, validator=between(0.0, 1.0, high_open=True))
    mask_blend: float = attrs.field(default=0.5, validator=between(0.0, 1.0, high_open=True))
    scene_cut: float = attrs.field(default=0.12, validator=between(0.0, 1.0, low_open=True))
    track_iou: float = attrs.field(default=0.3, validator=between(0.0, 1.0, low_open=True))
    detect_batch: int = attrs.field(default=4, validator=between(1, 64))
    swap_batch: int = attrs.field(default=4, validator=swap_batch_size)
    queue: int = attrs.field(default=4, validator=between(1, 64))


PixelBoost = Literal["none", 256, 384, 512]
PIXEL_BOOSTS: tuple[str | int, ...] = get_args(PixelBoost)
"""``pipeline.pixel_boost``: off, or the side of the crop a fixed-size model works on."""


SIGNING_ALGORITHMS: tuple[str, ...] = (
    "es256",
    "es384",
    "es512",
    "ps256",
    "ps384",
    "ps512",
    "ed25519",
)
"""C2PA signature algorithms the SDK signs with (COSE names, lower case)."""

SigningAlgorithm = Literal["es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519"]


def _check_tsa_url(_: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is None:
        return
    scheme, _sep, rest = value.partition("://")
    if scheme.lower() not in ("http", "https") or not rest.strip("/") or value != value.strip():
        raise FieldValueError(
            attribute.name,
            f"expected an http(s) URL of an RFC 3161 time-stamp authority, got {value!r}",
        )


@attrs.frozen
class C2paConfig:
    """Signing outputs with a C2PA manifest (Content Credentials); see docs/provenance.md.

    Unset ``cert`` and ``key`` mean no signing (outputs keep the IPTC XMP mark);
    ``FACESWAP_C2PA_CERT`` / ``FACESWAP_C2PA_KEY`` fill them for services, and a
    value set here (or with ``--set``) wins over the environment.

    :ivar cert: PEM certificate chain: the signer's certificate first, then its issuers.
    :ivar key: PEM private key (PKCS#8 or traditional, unencrypted) of the signer's certificate.
    :ivar alg: signature algorithm; must fit the key (``es256`` needs a P-256 EC key,
        ``ps256`` an RSA key, ``ed25519`` an Ed25519 key).
    :ivar tsa_url: RFC 3161 time-stamp authority; signing contacts it for every output,
        and a timestamp keeps the signature verifiable after the certificate expires.
    """

    cert: str | None = None
    key: str | None = None
    alg: SigningAlgorithm = "es256"
    tsa_url: str | None = attrs.field(default=None, validator=_check_tsa_url)


@attrs.frozen
class PipelineConfig:
    """Which components run and how faces are chosen and pasted back.

    :ivar faces: ``all`` faces of the target, the ``largest``, or those within
        ``threshold`` of a ``reference`` image's face.
    :ivar threshold: identity distance for ``reference`` (above 0, at most 2: the
        distance of L2-normalised embeddings); ``None`` uses the recognizer's own
        same-person threshold.
    :ivar provenance: mark changed outputs with the IPTC digital source type (XMP).
    :ivar c2pa: sign changed outputs with a C2PA manifest (needs ``provenance``).
    :ivar pixel_boost: ``none``, or 256, 384 or 512: a fixed-size swap model
        (inswapper's 128 px) works on a target crop this large, split into
        interleaved sub-crops of its own size that run as one batch and are
        put back together, so the face keeps detail the model's size would lose.
    :ivar enhancer: a face enhancer run on every swapped face, as a model name
        (``gfpgan_1.4``, ``codeformer``, ``gpen_bfr_256``, ``gpen_bfr_512``, your own
        added with ``faceswap models add NAME FILE --kind enhancer --type T``), an
        enhancer component's name, or a ``.onnx`` path (GFPGAN's contract); unset: none.
    :ivar enhance_blend: how much of the enhancer's output replaces the swapped face
        under the paste mask: 0 keeps the swap, 1 takes the enhancer's face.
    :ivar enhance_weight: CodeFormer's fidelity weight (0 favours quality, 1 fidelity
        to the input face); enhancers without that input ignore it.
    """

    detector: ComponentRef = attrs.field(factory=lambda: {"type": "retinaface"})
    recognizer: ComponentRef = attrs.field(factory=lambda: {"type": "dlib"})
    landmarker: ComponentRef = attrs.field(factory=lambda: {"type": "dlib68"})
    swapper: ComponentRef = attrs.field(factory=lambda: {"type": "classic"})
    runtime: ComponentRef = attrs.field(factory=lambda: {"type": "onnxruntime"})
    faces: Literal["all", "largest", "reference"] = "all"
    threshold: float | None = attrs.field(default=None, validator=above(0.0, MAX_IDENTITY_DISTANCE))
    paste: PasteConfig = attrs.Factory(PasteConfig)
    limits: LimitsConfig = attrs.Factory(LimitsConfig)
    provenance: bool = True
    c2pa: C2paConfig = attrs.Factory(C2paConfig)
    video: VideoConfig = attrs.Factory(VideoConfig)
    pixel_boost: PixelBoost = "none"
    enhancer: str | None = None
    enhance_blend: float = attrs.field(default=0.8, validator=unit_interval)
    enhance_weight: float = attrs.field(default=0.5, validator=unit_interval)


def _check_requirements(_: Any, attribute: attrs.Attribute[list[str]], value: list[str]) -> None:
    for index, text in enumerate(value):
        try:
            Requirement(text)
        except InvalidRequirement:
            raise FieldValueError(
                f"{attribute.name}[{index}]",
                f"expected pip requirements such as 'faceswap-unet>=0.1', got {text!r}",
            ) from None


def _check_name(_: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (not value or "/" in value or "\\" in value or value in (".", "..")):
        raise FieldValueError(
            attribute.name, f"expected a folder-safe name (no slashes), got {value!r}"
        )


def _default_metrics() -> list[ComponentRef]:
    names = ("identity", "pose_error", "expression_error", "ssim", "psnr", "lpips", "latency")
    return [{"type": name} for name in (*names, "failures")]


@attrs.frozen
class EvalConfig:
    """``faceswap eval``: which data, how many pairs, and which metrics.

    Exactly one of ``data``, ``pairs`` and ``videos`` names the input (the
    command line's ``--data`` / ``--pairs`` / ``--videos`` win).

    :ivar data: a prepared dataset folder (its ``manifest.json``; the ``split``
        is evaluated) or a folder of photos in LFW layout (``<Person>/<image>``).
    :ivar pairs: a CSV of explicit ``source,target`` pairs (optional
        ``source_label,target_label``; labels default to the parent folder name).
    :ivar videos: a folder of videos, one person each; ``frames_per_video``
        evenly spaced frames are sampled from each (FaceForensics++ protocol).
    :ivar split: the manifest split to evaluate.
    :ivar cross_pairs: cross-identity pairs sampled with the experiment ``seed``.
    :ivar self_pairs: same-identity pairs (two different images) for reconstruction metrics.
    :ivar max_images_per_identity: images per identity used (first by name), bounding cost.
    :ivar recognizer: the evaluation recognizer; unset (``null``) picks ``arcface``
        when its pack is present, else ``dlib``. Prefer one the swapper was not
        trained with.
    :ivar landmarker: 68-point landmarks for pose and expression; unset uses the
        pipeline's landmarker (``pipeline.landmarker``).
    :ivar metrics: metric components, ``{type: NAME, **params}``; one that comes
        from a plugin that is not installed is skipped with the reason.
    :ivar gallery_rows: rows of each best / median / worst contact sheet (the key keeps
        its first name; ``gallery`` alone means the identity gallery of retrieval).
    """

    data: str | None = None
    pairs: str | None = None
    videos: str | None = None
    split: str = "test"
    cross_pairs: int = attrs.field(default=100, validator=between(0, MAX_PAIRS))
    self_pairs: int = attrs.field(default=50, validator=between(0, MAX_PAIRS))
    frames_per_video: int = attrs.field(default=10, validator=between(2, MAX_FRAMES_PER_VIDEO))
    max_images_per_identity: int = attrs.field(default=10, validator=between(2, 10_000))
    recognizer: ComponentRef | None = None
    landmarker: ComponentRef | None = None
    metrics: list[ComponentRef] = attrs.field(factory=_default_metrics)
    gallery_rows: int = attrs.field(default=4, validator=between(1, 64))


@attrs.frozen
class ExperimentConfig:
    """One experiment: which plugins it needs, its seed, where it writes, and the pipeline.

    :ivar name: experiment name, used for the work_dir (defaults to the config file stem).
    :ivar seed: seeds ``random``, numpy and torch (when present) for reproducible runs.
    :ivar plugins: pip requirements of plugin distributions the config needs,
        e.g. ``["faceswap-retinaface>=0.1"]``; checked before anything runs.
    :ivar work_dir: output folder; ``train -o/--output`` wins over it, and without
        either runs go to ``./work_dirs/<name>-<timestamp>``.
    :ivar pipeline: the inference pipeline's components and options.
    :ivar data: the dataset runners read, ``{type: NAME, **params}`` (e.g.
        ``{type: lfw, root: data/lfw-112}``), structured into the dataset's own
        config class when a runner builds it.
    :ivar train: the training runner and its params, ``{type: NAME, **params}``
        (``faceswap train`` builds the runner named here, default ``train``);
        the params are checked by the runner's own config class in a second
        phase, so core's schema needs no torch types.
    :ivar eval: what ``faceswap eval`` evaluates and how.
    """

    name: str | None = attrs.field(default=None, validator=_check_name)
    seed: int = attrs.field(default=0, validator=between(0, SEED_MAX))
    plugins: list[str] = attrs.field(factory=list, validator=_check_requirements)
    work_dir: str | None = None
    pipeline: PipelineConfig = attrs.Factory(PipelineConfig)
    eval: EvalConfig = attrs.Factory(EvalConfig)
    data: ComponentRef | None = attrs.field(default=None, metadata={"component": "dataset"})
    train: ComponentRef | None = attrs.field(default=None, metadata={"component": "runner"})


__all__ = [
    "DEFAULT_REGIONS",
    "FACE_REGIONS",
    "MASK_AREAS",
    "MASK_KEYWORD_AUTO",
    "MAX_IDENTITY_DISTANCE",
    "PIXEL_BOOSTS",
    "SEED_MAX",
    "SIGNING_ALGORITHMS",
    "AreaName",
    "C2paConfig",
    "ComponentRef",
    "EvalConfig",
    "ExperimentConfig",
    "MaskNames",
    "PasteConfig",
    "PipelineConfig",
    "PixelBoost",
    "RegionName",
    "SigningAlgorithm",
    "VideoConfig",
    "mask_names",
    "names_listed",
]
