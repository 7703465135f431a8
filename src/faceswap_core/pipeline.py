"""The inference pipeline: decode -> detect -> select -> align -> swap -> paste back.

The source identity is computed once per source image and cached, so a video
or a folder of targets pays for it once.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from faceswap_core import align as alignment
from faceswap_core.blend import match_color, paste_back, paste_mask
from faceswap_core.config import structure
from faceswap_core.errors import ConfigError, NoFaceError
from faceswap_core.face import Face, FloatArray, Image
from faceswap_core.interfaces import Detector, Landmarker, Recognizer, Swapper
from faceswap_core.pipeline_config import PipelineConfig
from faceswap_core.plugins import FaceswapPlugins, get_plugins
from faceswap_core.select import largest, select_faces

STAGES: tuple[str, ...] = ("detect", "landmarks", "align", "swap", "paste")

ImageInput = Any
"""A path, bytes, PIL image or RGB ``uint8`` array (see :func:`faceswap_core.imageio.decode`)."""


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


class _Timer:
    def __init__(self) -> None:
        self.ms: dict[str, float] = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - start) * 1000.0


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
        self, config: PipelineConfig | None = None, plugins: FaceswapPlugins | None = None
    ):
        self.config = config or PipelineConfig()
        self.plugins = plugins or get_plugins()
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
            from faceswap_core.config import load_config

            experiment, _ = load_config(Path(config))
            return cls(experiment.pipeline, plugins)
        if isinstance(config, Mapping):
            section = config.get("pipeline", config) if "pipeline" in config else config
            return cls(structure(dict(section), PipelineConfig, path="$.pipeline"), plugins)
        raise ConfigError(f"cannot build a pipeline from {type(config).__name__}")

    # -- components -------------------------------------------------------------

    def _build(self, key: str, kind: str, ref: Mapping[str, Any]) -> Any:
        if key not in self._components:
            self._components[key] = self.plugins.build(kind, ref, path=f"$.pipeline.{key}")
        return self._components[key]

    @property
    def detector(self) -> Detector:
        return self._build("detector", "detector", self.config.detector)  # type: ignore[no-any-return]

    @property
    def swapper(self) -> Swapper:
        return self._build("swapper", "swapper", self.config.swapper)  # type: ignore[no-any-return]

    @property
    def landmarker(self) -> Landmarker:
        return self._build("landmarker", "landmarker", self.config.landmarker)  # type: ignore[no-any-return]

    @property
    def recognizer(self) -> Recognizer:
        """The recognizer used for reference selection (``pipeline.recognizer``)."""
        return self._build("recognizer", "recognizer", self.config.recognizer)  # type: ignore[no-any-return]

    def swap_recognizer(self) -> Recognizer | None:
        """The recognizer the swapper's identity input needs, if any."""
        name = self.swapper.recognizer
        if name is None:
            return None
        if self.config.recognizer.get("type") == name:
            return self.recognizer
        return self._build(f"recognizer:{name}", "recognizer", {"type": name})  # type: ignore[no-any-return]

    # -- stages -------------------------------------------------------------------

    def decode(self, image: ImageInput, *, name: str = "image") -> Image:
        from faceswap_core.imageio import decode

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
        timer = _Timer()
        mode = faces or self.config.faces
        with timer.stage("detect"):
            found = self.detector.detect(frame)
        selected = self._select(frame, found, mode, reference, threshold)
        swapper = self.swapper
        output = frame
        for index in selected:
            face = found[index]
            with timer.stage("landmarks"):
                face = self._enrich(frame, face, embedding=None)
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
                output = paste_back(output, crop, aligned.matrix, mask)
        return SwapResult(output, found, selected, timer.ms)

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
