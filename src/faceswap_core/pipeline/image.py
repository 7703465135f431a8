"""The image pipeline: decode -> detect -> select -> align -> swap -> paste back.

The source identity is computed once per source image and cached, so a video
or a folder of targets pays for it once. Components are built lazily through
the plugin manager with one :class:`~faceswap_core.plugin.context.BuildContext`
(the configured runtime and the model store), so every model the pipeline
loads runs on ``pipeline.runtime``.

A configured C2PA signer (``pipeline.c2pa``) is loaded and tried when the
pipeline is made, before any model loads or any output is written;
:meth:`Pipeline.mark` then describes each output (the swapper's declared IPTC
source type, the model and its SHA-256, the target and source as ingredients)
for the encoders to mark and sign.
"""

from __future__ import annotations

import copy
import hashlib
import json
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from faceswap_core.config.convert import structure
from faceswap_core.config.loader import load_config
from faceswap_core.config.ranges import check_value, identity_threshold
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.enhancers.choice import enhancer_ref
from faceswap_core.errors import (
    ComponentError,
    ConfigError,
    FaceswapError,
    NoFaceError,
    SourceFacesWarning,
    UnknownComponentError,
)
from faceswap_core.interfaces import (
    BatchSwapper,
    ChecksRecognizer,
    Detector,
    Enhancer,
    Face,
    FloatArray,
    Image,
    Landmarker,
    Masker,
    MaskInput,
    ModelLocator,
    Recognizer,
    SwapOutput,
    Swapper,
)
from faceswap_core.io.credentials.signer import C2paSigner, load_signer
from faceswap_core.io.decode import decode
from faceswap_core.io.hashing import cached_sha256_file
from faceswap_core.io.provenance import (
    DIGITAL_SOURCE_TYPE,
    VIDEO_MIME_TYPES,
    Ingredient,
    Mark,
    check_source_type,
    describe_input,
)
from faceswap_core.io.read import input_label
from faceswap_core.pipeline.boost import boost_side, boosted, swap_boosted
from faceswap_core.pipeline.context import build_context
from faceswap_core.pipeline.enhance import enhance_faces
from faceswap_core.pipeline.rendered import RenderedFace
from faceswap_core.pipeline.timing import StageTimer
from faceswap_core.plugin.kinds import (
    DETECTOR,
    ENHANCER,
    LANDMARKER,
    MASKER,
    RECOGNIZER,
    RUNTIME,
    SWAPPER,
    Kind,
)
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins
from faceswap_core.vision import align as alignment
from faceswap_core.vision.blend import match_color, paste_back
from faceswap_core.vision.selection import largest, select_faces

T = TypeVar("T")

ImageInput = Any
"""A path, bytes, PIL image or RGB ``uint8`` array (see :func:`faceswap_core.io.decode.decode`)."""


SOURCE_TITLE = "source face"
"""The source image's title in a manifest (never its file name)."""


@attrs.frozen(eq=False)
class SourceIdentity:
    """Everything a swapper needs from the source image, computed once.

    :ivar ingredient: how a manifest records the source: its hash and format
        when it came as a file or bytes (only with a signer configured).
    """

    key: str
    face: Face
    aligned: alignment.AlignedFace
    prepared: Any
    ingredient: Ingredient | None = None


@attrs.frozen(eq=False)
class PastedMask:
    """Where one swapped face went: its final paste mask and the frame-to-crop transform.

    Pixels of the frame that the mask, warped back by ``matrix``, does not
    cover are exactly the original ones.

    :ivar index: the face's index in :attr:`SwapResult.faces`.
    :ivar mask: the crop-sized soft mask (0..1) the crop was pasted under.
    :ivar matrix: the 2 x 3 similarity transform from frame to crop.
    """

    index: int
    mask: FloatArray
    matrix: npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class SwapResult:
    """The swapped frame, the faces found in the target, per-stage milliseconds, the masks."""

    image: Image
    faces: list[Face]
    swapped: list[int]
    timings: dict[str, float]
    masks: list[PastedMask] = attrs.field(factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly report (``faceswap swap --json``)."""
        return {
            "faces_found": len(self.faces),
            "faces_swapped": len(self.swapped),
            "swapped": self.swapped,
            "faces": [face.to_dict() for face in self.faces],
            "timings_ms": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _target_title(target: ImageInput) -> str:
    is_path = isinstance(target, str | Path)
    if is_path and Path(target).suffix.lower() in VIDEO_MIME_TYPES:
        return "target video"
    return "target image"


def _image_key(image: Image) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(image.shape).encode())
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()


@contextmanager
def _guarded(origin: str, what: str) -> Iterator[None]:
    try:
        yield
    except FaceswapError:
        raise
    except Exception as exc:
        text = str(exc).strip()
        detail = f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
        raise ComponentError(
            f"{origin} {what}: {detail}; rerun with --debug for the traceback and report it "
            "to the plugin's authors"
        ) from exc


def _ref_key(ref: Mapping[str, Any]) -> str:
    """A component reference as a cache key: settings that differ build another component."""
    return json.dumps(dict(ref), sort_keys=True, default=str)


def several_faces_notice(source: ImageInput, found: list[Face], chosen: Face) -> str:
    """The one line that says which face of a source with several faces the swap takes."""
    x1, y1, x2, y2 = (round(float(v)) for v in chosen.bbox)
    return (
        f"{input_label(source, 'source')} holds {len(found)} faces; using the largest, at "
        f"x {x1}-{x2}, y {y1}-{y2} ({x2 - x1}x{y2 - y1} px); crop the source to use another"
    )


def unchanged_note(label: str, *, found: bool, changed: bool, marked: bool) -> str | None:
    """The one warning every surface gives when an input comes out unchanged.

    ``faceswap swap`` (per target), ``faceswap video`` (per video) and their
    Python and REST forms say the same thing: no face was found, or faces were
    found but none was selected (a ``--reference`` that never matched).

    :param label: what was unchanged, e.g. ``target 'a.jpg'`` or ``video 'in.mp4'``.
    :param marked: the output would have carried the provenance mark had it changed.
    """
    if changed:
        return None
    what = "found" if not found else "selected"
    note = f"no face {what} in {label}; written unchanged"
    return note + ", without the provenance mark" if marked else note


def check_threshold(threshold: float | None) -> None:
    """A reference threshold must be finite, above 0 and at most 2 (a :class:`ConfigError`).

    The range is :data:`~faceswap_core.config.ranges.identity_threshold`, the one
    ``pipeline.threshold`` uses: ``--threshold``, ``threshold=`` and the config agree.
    """
    check_value("threshold", threshold, identity_threshold)


class Pipeline:
    """Builds its components from a :class:`PipelineConfig` and runs swaps.

    Component params are checked when the pipeline is made (a bad value is a
    :class:`ConfigError` before any model loads), but components are built
    lazily: a pipeline used only for detection never loads the swap model, the
    landmarker loads only when the swapper or the paste mask needs landmarks,
    and the recognizer only for reference selection or a swapper that takes
    embeddings.
    """

    source_cache_size = 8

    def __init__(
        self,
        config: PipelineConfig | None = None,
        plugins: FaceswapPlugins | None = None,
        *,
        models: ModelLocator | None = None,
    ):
        self.config = config or PipelineConfig()
        self.plugins = plugins or get_plugins()
        self.context = build_context(self.plugins, runtime=self.config.runtime, models=models)
        self._components: dict[str, Any] = {}
        self._origins: dict[int, str] = {}  # id(component) -> "detector 'x' (plugin y)"
        self._sources: OrderedDict[str, SourceIdentity] = OrderedDict()
        self._references: OrderedDict[str, FloatArray] = OrderedDict()
        self._checked_recognizers: set[str] = set()
        self._check_components()
        self.signer: C2paSigner | None = load_signer(self.config.c2pa)
        if self.signer is not None and not self.config.provenance:
            raise ConfigError(
                "pipeline.provenance is false but pipeline.c2pa configures a signer: signed "
                "outputs carry provenance; unset pipeline.c2pa or set pipeline.provenance true"
            )
        self._source_type: str | None = None

    def _check_components(self) -> None:
        """Structure every component's params now, so a bad value fails before models load.

        Detector, swapper and runtime are always needed, so an unknown name is an
        error here; the recognizer and the landmarker may never be needed, so an
        unknown name for them waits until they are.
        """
        refs: tuple[tuple[str, Kind[Any], Mapping[str, Any], bool], ...] = (
            ("detector", DETECTOR, self.config.detector, True),
            ("swapper", SWAPPER, self.config.swapper, True),
            ("runtime", RUNTIME, self.config.runtime, True),
            ("recognizer", RECOGNIZER, self.config.recognizer, False),
            ("landmarker", LANDMARKER, self.config.landmarker, False),
        )
        for key, kind, ref, required in refs:
            try:
                self.plugins.resolve(kind, ref, path=f"$.pipeline.{key}")
            except UnknownComponentError:
                if required:
                    raise
        for name in self.config.paste.mask:
            self.plugins.resolve(MASKER, self._masker_ref(name), path="$.pipeline.paste.mask")
        enhancer = self._enhancer_ref()
        if enhancer is not None:
            self.plugins.resolve(ENHANCER, enhancer, path="$.pipeline.enhancer")

    def _masker_ref(self, name: str) -> dict[str, Any]:
        """A masker named in ``pipeline.paste.mask``, with its settings from ``pipeline.paste``."""
        paste = self.config.paste
        if name == "area":
            return {"type": name, "areas": list(paste.areas)}
        if name == "occlusion":
            return {"type": name, "model": paste.occluder}
        if name == "region":
            return {"type": name, "model": paste.parser, "regions": list(paste.regions)}
        return {"type": name}

    def _enhancer_ref(self) -> dict[str, Any] | None:
        """``pipeline.enhancer`` (NAME|PATH) as a component reference, or ``None`` when unset."""
        text = self.config.enhancer
        if text is None:
            return None
        return enhancer_ref(
            text,
            self.plugins.enhancers(),
            self.context.models,
            weight=self.config.enhance_weight,
        )

    @property
    def built(self) -> tuple[str, ...]:
        """Which components have been built so far (``detector``, ``swapper``, ``masker:box``)."""
        return tuple(dict.fromkeys(key.partition("|")[0] for key in self._components))

    QUALITY_SETTINGS: tuple[str, ...] = ("pixel_boost", "paste", "enhancer", "enhance_blend")
    """What :meth:`with_config` may change: the settings of the mask, boost and enhance stages."""

    def with_config(self, config: PipelineConfig) -> Pipeline:
        """This pipeline on ``config``, which differs from this one's only in quality settings.

        The two share every built component, the model loads and the source cache
        (a REST request's ``mask`` or ``enhancer`` on a server's loaded pipeline);
        a masker or enhancer the new settings name is built on first use and kept
        for the next request that names it. Use it from the thread that holds
        this pipeline.

        :raises ValueError: ``config`` changes something else (build a new Pipeline).
        """
        if config == self.config:
            return self
        same = {name: getattr(self.config, name) for name in self.QUALITY_SETTINGS}
        if attrs.evolve(config, **same) != self.config:
            raise ValueError(
                f"with_config changes only {', '.join(self.QUALITY_SETTINGS)}; build a new "
                "Pipeline for other settings"
            )
        derived = copy.copy(self)  # shares _components, _origins and the caches
        derived.config = config
        derived._check_components()
        return derived

    @classmethod
    def from_config(
        cls,
        config: PipelineConfig | Mapping[str, Any] | str | Path | None = None,
        plugins: FaceswapPlugins | None = None,
    ) -> Pipeline:
        """From a :class:`PipelineConfig`, a mapping, a YAML file or config name, or None."""
        if config is None or isinstance(config, PipelineConfig):
            return cls(config, plugins)
        if isinstance(config, str | Path):
            experiment, _ = load_config(Path(config))
            return cls(experiment.pipeline, plugins)
        if isinstance(config, Mapping):
            section = config.get("pipeline", config) if "pipeline" in config else config
            return cls(structure(dict(section), PipelineConfig, path="$.pipeline"), plugins)
        raise ConfigError(f"cannot build a pipeline from {type(config).__name__}")

    # -- components -------------------------------------------------------------

    def _build(self, key: str, kind: Kind[T], ref: Mapping[str, Any]) -> T:
        if key not in self._components:
            path = f"$.pipeline.{key.partition('|')[0].partition(':')[0]}"
            component, _ = self.plugins.resolve(kind, ref, path=path)
            origin = f"{kind.name} {component.name!r} (plugin {component.plugin})"
            with _guarded(origin, "could not be built"):
                built = self.plugins.build(kind, ref, context=self.context, path=path)
            self._components[key] = built
            self._origins[id(built)] = origin
        return cast(T, self._components[key])

    @contextmanager
    def _guard(self, component: object) -> Iterator[None]:
        """Turn an unexpected error inside ``component`` into a :class:`ComponentError`."""
        origin = self._origins.get(id(component), type(component).__name__)
        with _guarded(origin, "failed"):
            yield

    @property
    def detector(self) -> Detector:
        return self._build("detector", DETECTOR, self.config.detector)

    @property
    def swapper(self) -> Swapper:
        return self._build("swapper", SWAPPER, self.config.swapper)

    @property
    def source_type(self) -> str:
        """The IPTC digital source type the swapper declares (``digital_source_type``).

        A swapper that declares none is taken as learned
        (``compositeWithTrainedAlgorithmicMedia``); one that declares a term outside
        the IPTC vocabulary is a :class:`ComponentError` naming it.
        """
        if self._source_type is None:
            swapper = self.swapper
            declared = getattr(swapper, "digital_source_type", DIGITAL_SOURCE_TYPE)
            origin = self._origins.get(id(swapper), "the swapper")
            try:
                self._source_type = check_source_type(declared, origin)
            except ValueError as exc:
                raise ComponentError(str(exc)) from None
        return self._source_type

    def mark(
        self,
        *,
        target: ImageInput | None = None,
        source: ImageInput | SourceIdentity | None = None,
    ) -> Mark:
        """What an output made from ``target`` and ``source`` says about itself.

        The swapper's declared source type and the model name go into the XMP
        mark; with a signer, the model's SHA-256 (``model_path`` the swapper
        declares) and the target (parent) and source (component) ingredients go
        into the signed manifest too. Inputs are hashed only when signing.
        """
        model = str(self.config.swapper.get("type"))
        if self.signer is None:
            return Mark(self.source_type, model)
        model_path = getattr(self.swapper, "model_path", None)
        digest = cached_sha256_file(model_path) if model_path else None
        ingredients: list[Ingredient] = []
        if target is not None:
            ingredients.append(
                describe_input(target, "parentOf", _target_title(target), keep_asset=True)
            )
        if isinstance(source, SourceIdentity):
            if source.ingredient is not None:
                ingredients.append(source.ingredient)
        elif source is not None:
            ingredients.append(describe_input(source, "componentOf", SOURCE_TITLE))
        return Mark(self.source_type, model, digest, tuple(ingredients), self.signer)

    @property
    def maskers(self) -> list[tuple[str, Masker]]:
        """The maskers of ``pipeline.paste.mask``, in order, built on first use."""
        found = []
        for name in self.config.paste.mask:
            ref = self._masker_ref(name)
            found.append((name, self._build(f"masker:{name}|{_ref_key(ref)}", MASKER, ref)))
        return found

    def load_quality(self) -> tuple[list[tuple[str, Masker]], Enhancer | None]:
        """The paste maskers and the enhancer, built now: their models load and are checked.

        Called when a source is prepared, so a bad mask or enhancer file stops a
        batch or a video before its first target, not in the middle of it.
        """
        return self.maskers, self.enhancer

    @property
    def enhancer(self) -> Enhancer | None:
        """The face enhancer of ``pipeline.enhancer``, or ``None`` when none is configured."""
        ref = self._enhancer_ref()
        if ref is None:
            return None
        return self._build(f"enhancer|{_ref_key(ref)}", ENHANCER, ref)

    @property
    def landmarker(self) -> Landmarker:
        return self._build("landmarker", LANDMARKER, self.config.landmarker)

    @property
    def recognizer(self) -> Recognizer:
        """The recognizer used for reference selection (``pipeline.recognizer``)."""
        return self._build("recognizer", RECOGNIZER, self.config.recognizer)

    def swap_recognizer(self) -> Recognizer | None:
        """The recognizer the swapper's identity input needs, if any.

        A swapper that can check recognizers (a faceswap export with probe
        faces) checks it once, before any source is embedded with it.
        """
        swapper = self.swapper
        name = swapper.recognizer
        if name is None:
            return None
        if self.config.recognizer.get("type") == name:
            recognizer = self.recognizer
        else:
            recognizer = self._build(f"recognizer:{name}", RECOGNIZER, {"type": name})
        if isinstance(swapper, ChecksRecognizer) and name not in self._checked_recognizers:
            with self._guard(swapper):
                swapper.check_recognizer(name, recognizer)
            self._checked_recognizers.add(name)
        return recognizer

    # -- stages -------------------------------------------------------------------

    def decode(self, image: ImageInput, *, name: str = "image") -> Image:
        limits = self.config.limits
        return decode(image, name=name, max_pixels=limits.max_pixels, max_bytes=limits.max_bytes)

    def detect(self, image: ImageInput) -> list[Face]:
        """Faces in an image: boxes, scores and five keypoints."""
        frame = self.decode(image)
        detector = self.detector
        with self._guard(detector):
            return detector.detect(frame)

    @property
    def needs_landmarks(self) -> bool:
        """Whether faces need 68-point landmarks: for the swapper or a paste mask (hull, area)."""
        return self.swapper.needs_landmarks or any(
            masker.needs_landmarks for _, masker in self.maskers
        )

    def _enrich(
        self, image: Image, face: Face, *, landmarks: bool, embedding: Recognizer | None
    ) -> Face:
        changes: dict[str, FloatArray] = {}
        if landmarks:
            landmarker = self.landmarker
            with self._guard(landmarker):
                changes["landmarks"] = landmarker.landmarks(image, face)
        if embedding is not None:
            with self._guard(embedding):
                changes["embedding"] = embedding.embed(image, face)
        return face.evolve(**changes) if changes else face

    def prepare_source(
        self, source: ImageInput | SourceIdentity, *, announce: bool = True
    ) -> SourceIdentity:
        """Detect the largest face of the source and prepare the swapper's identity (cached).

        A source that holds several faces gets one :class:`SourceFacesWarning` (the
        CLI prints it as one ``Warning:`` line) naming the face used, unless
        ``announce`` is false (an evaluation's sources are dataset images).
        """
        if isinstance(source, SourceIdentity):
            return source
        image = self.decode(source, name="source")
        key = _image_key(image)
        cached = self._sources.get(key)
        if cached is not None:
            self._sources.move_to_end(key)
            return cached
        found = self.detect(image)
        face = largest(found)
        if face is None:
            raise NoFaceError(
                "no face found in the source image; use a photo with a clear, frontal face"
            )
        face = self._enrich(
            image,
            face,
            landmarks=self.swapper.needs_landmarks,
            embedding=self.swap_recognizer(),
        )
        swapper = self.swapper
        aligned = alignment.align(
            image, face, swapper.crop_size, swapper.template, plugins=self.plugins
        )
        with self._guard(swapper):
            prepared = swapper.prepare_source(aligned.crop, aligned.face)
        self.load_quality()
        ingredient = (
            describe_input(source, "componentOf", SOURCE_TITLE) if self.signer is not None else None
        )
        identity = SourceIdentity(key, face, aligned, prepared, ingredient)
        if announce and len(found) > 1:  # said once the identity is ready, once per source
            notice = several_faces_notice(source, found, face)
            warnings.warn(notice, SourceFacesWarning, stacklevel=2)
        self._sources[key] = identity
        while len(self._sources) > self.source_cache_size:
            self._sources.popitem(last=False)
        return identity

    def reference_embedding(self, reference: ImageInput) -> FloatArray:
        """The recognizer's embedding of the reference image's largest face (cached)."""
        image = self.decode(reference, name="reference")
        key = _image_key(image)
        cached = self._references.get(key)
        if cached is not None:
            self._references.move_to_end(key)
            return cached
        face = largest(self.detect(image))
        if face is None:
            raise NoFaceError(
                f"no face found in {input_label(reference, 'reference')}; "
                "use a photo of the person to replace"
            )
        recognizer = self.recognizer
        with self._guard(recognizer):
            embedding = recognizer.embed(image, face)
        self._references[key] = embedding
        while len(self._references) > self.source_cache_size:
            self._references.popitem(last=False)
        return embedding

    def swap(
        self,
        target: ImageInput,
        source: ImageInput | SourceIdentity,
        *,
        faces: str | None = None,
        reference: ImageInput | None = None,
        threshold: float | None = None,
        require_face: bool = False,
    ) -> SwapResult:
        """Swap the source identity into the selected faces of ``target``.

        A target without faces comes back unchanged (``result.faces == []``),
        or raises :class:`NoFaceError` (exit 4) with ``require_face``.
        A ``reference`` implies ``faces="reference"``.
        """
        check_threshold(threshold)
        identity = self.prepare_source(source)
        frame = self.decode(target, name="target")
        timer = StageTimer()
        mode = faces or ("reference" if reference is not None else self.config.faces)
        with timer.stage("detect"):
            found = self.detect(frame)
        if require_face and not found:
            raise NoFaceError(
                f"no face found in {input_label(target, 'target')} (--require-face); "
                "use an image with a visible face or drop --require-face"
            )
        selected = self._select(frame, found, mode, reference, threshold)
        targets: list[Face] = []
        for index in selected:
            with timer.stage("landmarks"):
                targets.append(
                    self._enrich(
                        frame, found[index], landmarks=self.needs_landmarks, embedding=None
                    )
                )
        rendered = self.render_all(frame, targets, identity, timer)
        output = frame.copy() if rendered else frame
        self.finish(output, rendered, timer)
        masks = [
            PastedMask(index, face.mask, face.aligned.matrix)
            for index, face in zip(selected, rendered, strict=True)
        ]
        return SwapResult(output, found, selected, timer.ms, masks)

    def render(
        self, frame: Image, face: Face, identity: SourceIdentity, timer: StageTimer
    ) -> RenderedFace:
        """Align one target face (with its landmarks), swap it, and build its paste mask."""
        return self.render_all(frame, [face], identity, timer)[0]

    def render_all(
        self, frame: Image, faces: list[Face], identity: SourceIdentity, timer: StageTimer
    ) -> list[RenderedFace]:
        """Align and swap each target face (pixel boost when configured), then mask them.

        The maskers of ``pipeline.paste.mask`` each run once on all the faces and
        their masks are combined by element-wise minimum.
        """
        if not faces:
            return []
        aligned: list[alignment.AlignedFace] = []
        for face in faces:
            with timer.stage("align"):
                aligned.append(self.align(frame, face))
        with timer.stage("swap"):
            outputs = self.swap_aligned(aligned, identity)
        return self.masked(faces, aligned, outputs, timer)

    def align(self, frame: Image, face: Face) -> alignment.AlignedFace:
        """One target face aligned for the swapper: its template, at its crop size or at
        the pixel-boost side (``pipeline.pixel_boost``)."""
        swapper = self.swapper
        side = boost_side(swapper, self.config.pixel_boost)
        return alignment.align(frame, face, side, swapper.template, plugins=self.plugins)

    def swap_aligned(
        self, aligned: Sequence[alignment.AlignedFace], identity: SourceIdentity
    ) -> list[SwapOutput]:
        """Swap several aligned crops of one source: in batches when the swapper batches
        (:class:`~faceswap_core.interfaces.BatchSwapper`), else one by one. Result ``i``
        is what :meth:`render` gets for crop ``i`` alone. A boosted crop is swapped as
        its sub-crops (:func:`~faceswap_core.pipeline.boost.swap_boosted`)."""
        swapper = self.swapper
        if any(boosted(swapper, a) for a in aligned):
            with self._guard(swapper):
                return [swap_boosted(swapper, a, identity.prepared) for a in aligned]
        limit = swapper.max_batch if isinstance(swapper, BatchSwapper) else 1
        size = len(aligned) if limit == 0 else max(1, limit)
        results: list[SwapOutput] = []
        with self._guard(swapper):
            for start in range(0, len(aligned), size):
                chunk = aligned[start : start + size]
                if len(chunk) == 1 or not isinstance(swapper, BatchSwapper):
                    results.extend(swapper.swap(a.crop, a.face, identity.prepared) for a in chunk)
                else:
                    crops, faces = [a.crop for a in chunk], [a.face for a in chunk]
                    done = swapper.swap_batch(crops, faces, identity.prepared)
                    if len(done) != len(chunk):
                        raise ComponentError(
                            f"{self._origins.get(id(swapper), 'the swapper')} swapped "
                            f"{len(done)} crops for a batch of {len(chunk)}"
                        )
                    results.extend(done)
        return results

    def masked(
        self,
        faces: Sequence[Face],
        aligned: Sequence[alignment.AlignedFace],
        outputs: Sequence[SwapOutput],
        timer: StageTimer,
    ) -> list[RenderedFace]:
        """The paste masks (and colour match) of swapped crops: ready to paste."""
        swapped = [(a, out.image, out.mask) for a, out in zip(aligned, outputs, strict=True)]
        with timer.stage("mask"):
            masks = self._masks(swapped)
        rendered = []
        for face, (crop_aligned, crop, _), mask in zip(faces, swapped, masks, strict=True):
            if self.config.paste.color_match:
                with timer.stage("paste"):
                    crop = match_color(crop, crop_aligned.crop, mask)
            rendered.append(RenderedFace(face, crop, mask, crop_aligned))
        return rendered

    def _masks(
        self, swapped: list[tuple[alignment.AlignedFace, Image, FloatArray | None]]
    ) -> list[FloatArray]:
        """Every configured masker on every face, combined per face by element-wise minimum."""
        paste = self.config.paste
        inputs = []
        for aligned, crop, model_mask in swapped:
            scale = aligned.size / 128.0  # a ``native`` crop's side follows the face
            inputs.append(
                MaskInput(
                    target=aligned.crop,
                    swapped=crop,
                    landmarks=aligned.face.landmarks,
                    model_mask=model_mask,
                    erode=paste.erode * scale,
                    blur=paste.blur * scale,
                )
            )
        combined: list[FloatArray] | None = None
        for name, masker in self.maskers:
            with self._guard(masker):
                found = masker.masks(inputs)
            if len(found) != len(inputs):
                raise ComponentError(
                    f"masker {name!r} returned {len(found)} masks for {len(inputs)} faces"
                )
            checked = [
                self._checked_mask(name, mask, face.size)
                for mask, face in zip(found, inputs, strict=True)
            ]
            combined = (
                checked
                if combined is None
                else [np.minimum(a, b) for a, b in zip(combined, checked, strict=True)]
            )
        assert combined is not None  # pipeline.paste.mask names at least one masker
        return combined

    @staticmethod
    def _checked_mask(name: str, mask: FloatArray, size: int) -> FloatArray:
        array = np.asarray(mask, np.float32)
        if array.shape != (size, size) or not np.isfinite(array).all():
            raise ComponentError(
                f"masker {name!r} returned a {array.shape} mask for a {size}x{size} crop, "
                "or values that are not finite; report it to the plugin's authors"
            )
        return np.clip(array, 0.0, 1.0)

    def paste(self, output: Image, rendered: RenderedFace, timer: StageTimer) -> None:
        """Blend a rendered face into ``output`` in place (only under its mask)."""
        with timer.stage("paste"):
            paste_back(output, rendered.crop, rendered.aligned.matrix, rendered.mask, inplace=True)

    def finish(self, output: Image, rendered: list[RenderedFace], timer: StageTimer) -> None:
        """Paste the rendered faces into ``output`` in place, enhanced when configured.

        The enhancer (``pipeline.enhancer``) runs once on all the faces; its output
        goes back through each face's paste mask, blended by ``pipeline.enhance_blend``
        (:mod:`faceswap_core.pipeline.enhance`).
        """
        enhancer = self.enhancer if rendered else None
        blend = self.config.enhance_blend
        if enhancer is None or blend <= 0.0:
            for face in rendered:
                self.paste(output, face, timer)
            return

        def run(crops: list[Image]) -> list[Image]:
            with self._guard(enhancer):
                restored = enhancer.enhance(crops)
            if len(restored) != len(crops) or any(
                np.asarray(r).shape != c.shape or np.asarray(r).dtype != np.uint8
                for r, c in zip(restored, crops, strict=False)
            ):
                raise ComponentError(
                    f"the enhancer returned {len(restored)} crops for {len(crops)}, or crops of "
                    "another shape or type; report it to the plugin's authors"
                )
            return [np.asarray(r) for r in restored]

        def paste(face: RenderedFace) -> None:
            paste_back(output, face.crop, face.aligned.matrix, face.mask, inplace=True)

        with timer.stage("enhance"):
            enhance_faces(
                output,
                rendered,
                enhancer,
                blend=blend,
                erode=self.config.paste.erode,
                blur=self.config.paste.blur,
                paste=paste,
                run=run,
            )

    def _select(
        self,
        frame: Image,
        found: list[Face],
        mode: str,
        reference: ImageInput | None,
        threshold: float | None,
    ) -> list[int]:
        if mode != "reference":
            return select_faces(found, mode)
        if reference is None:
            raise ConfigError("faces=reference needs a reference image (--reference IMG)")
        ref = self.reference_embedding(reference)
        recognizer = self.recognizer
        with self._guard(recognizer):
            embedded = [f.evolve(embedding=recognizer.embed(frame, f)) for f in found]
        limit = threshold if threshold is not None else self.config.threshold
        return select_faces(
            embedded,
            "reference",
            reference=ref,
            threshold=recognizer.threshold if limit is None else limit,
        )
