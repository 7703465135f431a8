"""The image pipeline: decode -> detect -> select -> align -> swap -> paste back.

The source identity is computed once per source image and cached, so a video
or a folder of targets pays for it once. Components are built lazily through
the plugin manager with one :class:`~faceswap_core.plugin.context.BuildContext`
(the configured runtime and the model store), so every model the pipeline
loads runs on ``pipeline.runtime``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
import numpy as np

from faceswap_core.config.convert import structure
from faceswap_core.config.loader import load_config
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ConfigError, NoFaceError
from faceswap_core.interfaces import (
    Detector,
    Face,
    FloatArray,
    Image,
    Landmarker,
    ModelLocator,
    Recognizer,
    Swapper,
)
from faceswap_core.io.decode import decode
from faceswap_core.pipeline.context import build_context
from faceswap_core.pipeline.timing import StageTimer
from faceswap_core.plugin.kinds import DETECTOR, LANDMARKER, RECOGNIZER, SWAPPER, Kind
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins
from faceswap_core.vision import align as alignment
from faceswap_core.vision.blend import match_color, paste_back, paste_mask
from faceswap_core.vision.selection import largest, select_faces

T = TypeVar("T")

ImageInput = Any
"""A path, bytes, PIL image or RGB ``uint8`` array (see :func:`faceswap_core.io.decode.decode`)."""


@attrs.frozen(eq=False)
class SourceIdentity:
    """Everything a swapper needs from the source image, computed once."""

    key: str
    face: Face
    aligned: alignment.AlignedFace
    prepared: Any


@attrs.frozen(eq=False)
class SwapResult:
    """The swapped frame, the faces found in the target, and per-stage milliseconds."""

    image: Image
    faces: list[Face]
    swapped: list[int]
    timings: dict[str, float]

    def summary(self) -> dict[str, Any]:
        """JSON-friendly report (``faceswap swap --json``)."""
        return {
            "faces_found": len(self.faces),
            "faces_swapped": len(self.swapped),
            "swapped": self.swapped,
            "faces": [face.to_dict() for face in self.faces],
            "timings_ms": {k: round(v, 3) for k, v in self.timings.items()},
        }


@attrs.frozen(eq=False)
class RenderedFace:
    """One swapped face ready to paste: the crop, its soft mask and the alignment it came from.

    :ivar face: the target face in frame coordinates (with landmarks when used).
    :ivar crop: the swapped aligned crop (RGB ``uint8``).
    :ivar mask: where the crop replaces the frame (crop pixels, 0 to 1).
    :ivar aligned: the aligned target crop and its transform.
    """

    face: Face
    crop: Image
    mask: FloatArray
    aligned: alignment.AlignedFace

    def evolve(self, **changes: Any) -> RenderedFace:
        return attrs.evolve(self, **changes)


def _image_key(image: Image) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(image.shape).encode())
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()


class Pipeline:
    """Builds its components from a :class:`PipelineConfig` and runs swaps.

    Components are built lazily: a pipeline used only for detection never
    loads the swap model.
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
        self._sources: OrderedDict[str, SourceIdentity] = OrderedDict()

    @classmethod
    def from_config(
        cls,
        config: PipelineConfig | Mapping[str, Any] | str | Path | None = None,
        plugins: FaceswapPlugins | None = None,
    ) -> Pipeline:
        """From a :class:`PipelineConfig`, a mapping, a YAML file (``pipeline:``) or None."""
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
            self._components[key] = self.plugins.build(
                kind, ref, context=self.context, path=f"$.pipeline.{key}"
            )
        return cast(T, self._components[key])

    @property
    def detector(self) -> Detector:
        return self._build("detector", DETECTOR, self.config.detector)

    @property
    def swapper(self) -> Swapper:
        return self._build("swapper", SWAPPER, self.config.swapper)

    @property
    def landmarker(self) -> Landmarker:
        return self._build("landmarker", LANDMARKER, self.config.landmarker)

    @property
    def recognizer(self) -> Recognizer:
        """The recognizer used for reference selection (``pipeline.recognizer``)."""
        return self._build("recognizer", RECOGNIZER, self.config.recognizer)

    def swap_recognizer(self) -> Recognizer | None:
        """The recognizer the swapper's identity input needs, if any."""
        name = self.swapper.recognizer
        if name is None:
            return None
        if self.config.recognizer.get("type") == name:
            return self.recognizer
        return self._build(f"recognizer:{name}", RECOGNIZER, {"type": name})

    # -- stages -------------------------------------------------------------------

    def decode(self, image: ImageInput, *, name: str = "image") -> Image:
        limits = self.config.limits
        return decode(image, name=name, max_pixels=limits.max_pixels, max_bytes=limits.max_bytes)

    def detect(self, image: ImageInput) -> list[Face]:
        """Faces in an image (with landmarks when the swapper needs them)."""
        return self.detector.detect(self.decode(image))

    def _enrich(self, image: Image, face: Face, *, embedding: Recognizer | None) -> Face:
        changes: dict[str, FloatArray] = {}
        if self.swapper.needs_landmarks:
            changes["landmarks"] = self.landmarker.landmarks(image, face)
        if embedding is not None:
            changes["embedding"] = embedding.embed(image, face)
        return face.evolve(**changes) if changes else face

    def prepare_source(self, source: ImageInput | SourceIdentity) -> SourceIdentity:
        """Detect the largest face of the source and prepare the swapper's identity (cached)."""
        if isinstance(source, SourceIdentity):
            return source
        image = self.decode(source, name="source")
        key = _image_key(image)
        cached = self._sources.get(key)
        if cached is not None:
            self._sources.move_to_end(key)
            return cached
        face = largest(self.detector.detect(image))
        if face is None:
            raise NoFaceError(
                "no face found in the source image; use a photo with a clear, frontal face"
            )
        face = self._enrich(image, face, embedding=self.swap_recognizer())
        swapper = self.swapper
        aligned = alignment.align(image, face, swapper.crop_size, swapper.template)
        prepared = swapper.prepare_source(aligned.crop, aligned.face)
        identity = SourceIdentity(key, face, aligned, prepared)
        self._sources[key] = identity
        while len(self._sources) > self.source_cache_size:
            self._sources.popitem(last=False)
        return identity

    def reference_embedding(self, reference: ImageInput) -> FloatArray:
        image = self.decode(reference, name="reference")
        face = largest(self.detector.detect(image))
        if face is None:
            raise NoFaceError("no face found in the reference image")
        return self.recognizer.embed(image, face)

    def swap(
        self,
        target: ImageInput,
        source: ImageInput | SourceIdentity,
        *,
        faces: str | None = None,
        reference: ImageInput | None = None,
        threshold: float | None = None,
    ) -> SwapResult:
        """Swap the source identity into the selected faces of ``target``.

        A target without faces comes back unchanged (``result.faces == []``).
        """
        identity = self.prepare_source(source)
        frame = self.decode(target, name="target")
        timer = StageTimer()
        mode = faces or self.config.faces
        with timer.stage("detect"):
            found = self.detector.detect(frame)
        selected = self._select(frame, found, mode, reference, threshold)
        rendered = []
        for index in selected:
            with timer.stage("landmarks"):
                face = self._enrich(frame, found[index], embedding=None)
            rendered.append(self.render(frame, face, identity, timer))
        output = frame.copy() if rendered else frame
        for face_render in rendered:
            self.paste(output, face_render, timer)
        return SwapResult(output, found, selected, timer.ms)

    def render(
        self, frame: Image, face: Face, identity: SourceIdentity, timer: StageTimer
    ) -> RenderedFace:
        """Align one target face (with its landmarks), swap it, and build its paste mask."""
        swapper = self.swapper
        with timer.stage("align"):
            aligned = alignment.align(frame, face, swapper.crop_size, swapper.template)
        with timer.stage("swap"):
            result = swapper.swap(aligned.crop, aligned.face, identity.prepared)
        with timer.stage("paste"):
            mask = paste_mask(
                self.config.paste,
                swapper.crop_size,
                model_mask=result.mask,
                landmarks=aligned.face.landmarks,
            )
            crop = result.image
            if self.config.paste.color_match:
                crop = match_color(crop, aligned.crop, mask)
        return RenderedFace(face, crop, mask, aligned)

    def paste(self, output: Image, rendered: RenderedFace, timer: StageTimer) -> None:
        """Blend a rendered face into ``output`` in place (only under its mask)."""
        with timer.stage("paste"):
            paste_back(output, rendered.crop, rendered.aligned.matrix, rendered.mask, inplace=True)

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
        embedded = [f.evolve(embedding=recognizer.embed(frame, f)) for f in found]
        limit = threshold if threshold is not None else self.config.threshold
        return select_faces(
            embedded,
            "reference",
            reference=ref,
            threshold=recognizer.threshold if limit is None else limit,
        )
