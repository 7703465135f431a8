"""Pair scoring: one source / target pair through the pipeline, measured for the metrics.

Each pair goes through the same pipeline ``faceswap swap`` uses (detection
included, the largest face of each image); the swapped face is then found
again in the result (:func:`match_face`) and measured with an evaluation
recognizer and landmarker that the config names. A pair that cannot be
swapped is recorded with its reason (:attr:`Scored.record` ``failure``),
never dropped. :func:`build_scorer_parts` loads every model the scoring
needs, here and on each worker of a cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from faceswap_core.config.schema import ComponentRef, ExperimentConfig
from faceswap_core.errors import (
    FaceswapError,
    InputError,
    InvalidImageError,
    ModelFileError,
    NoFaceError,
    UnknownComponentError,
)
from faceswap_core.eval import contact_sheets as sheets
from faceswap_core.eval.pairs import EvalImage, Pair
from faceswap_core.eval.retrieval import (
    Embedded,
    GalleryIndex,
    IdentityGallery,
    embed_largest_face,
)
from faceswap_core.interfaces import Face, Image, Landmarker, Recognizer
from faceswap_core.interfaces.eval import Need, PairRecord
from faceswap_core.io.read import FileBytes
from faceswap_core.pipeline.image import Pipeline, SourceIdentity
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import LANDMARKER, RECOGNIZER
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.vision import align
from faceswap_core.vision.boxes import iou_matrix

METRIC_CROP = 112
"""Side of the ArcFace-aligned crops SSIM, PSNR and LPIPS compare."""

MATCH_IOU = 0.3
"""Smallest box overlap for a face in the result to count as the swapped target face."""

Progress = Callable[[int, int], None]


# -- the models scoring uses ------------------------------------------------------------------


def build_recognizer(
    ref: ComponentRef | None, plugins: FaceswapPlugins, context: BuildContext
) -> tuple[Recognizer, dict[str, Any]]:
    """The evaluation recognizer; unset is ``arcface`` when its pack is present, else dlib."""
    path = "$.eval.recognizer"
    if ref is not None:
        recognizer = plugins.build(RECOGNIZER, ref, context=context, path=path)
        name, chosen = str(ref.get("type")), "configured (eval.recognizer)"
    else:
        try:
            recognizer = plugins.build(RECOGNIZER, "arcface", context=context, path=path)
            name, chosen = "arcface", "default: the ArcFace pack is present"
        except (ModelFileError, UnknownComponentError) as exc:
            recognizer = plugins.build(RECOGNIZER, "dlib", context=context, path=path)
            name, chosen = "dlib", f"default: ArcFace unavailable ({exc})"
    return recognizer, {"name": name, "chosen": chosen, **model_info(recognizer)}


def model_info(component: object) -> dict[str, Any]:
    info = getattr(component, "model_info", None)
    if info is None:
        return {}
    return {"model": info.name, "file": info.file, "license": info.license}


# -- scoring one pair ----------------------------------------------------------------------------


def match_face(found: Sequence[Face], face: Face, threshold: float = MATCH_IOU) -> Face | None:
    """The face in ``found`` overlapping ``face`` most, if it overlaps at least ``threshold``."""
    if not found:
        return None
    overlaps = iou_matrix([candidate.bbox for candidate in found], face.bbox)[:, 0]
    best = int(np.argmax(overlaps))  # the first of equal overlaps, as max() picks
    return found[best] if overlaps[best] >= threshold else None


@attrs.frozen(eq=False)
class Scored:
    """One scored pair: the record metrics read, its ``metrics.csv`` row, and its strip."""

    record: PairRecord
    row: dict[str, Any]
    strip: list[Image] | None


class PairScorer:
    """Runs one pair through the pipeline and measures what the metrics need."""

    def __init__(
        self,
        pipeline: Pipeline,
        needs: frozenset[Need],
        recognizer: Recognizer | None,
        landmarker: Landmarker | None,
    ) -> None:
        self.pipeline = pipeline
        self.needs = needs
        self.recognizer = recognizer
        self.landmarker = landmarker
        self.gallery = IdentityGallery()
        self.inputs: dict[str, FileBytes] = {}  # images read by another process, by key

    def load(self, image: EvalImage) -> Image:
        source = self.inputs.get(image.key, image.path)
        return self.pipeline.decode(source, name=image.key)

    def embed_one(self, image: EvalImage) -> Embedded:
        """The embedding of one image's largest face, or why the image is unreadable."""
        assert self.recognizer is not None
        try:
            pixels = self.load(image)
        except (InvalidImageError, InputError) as exc:
            return Embedded(image.key, image.label, None, str(exc))
        embedding = embed_largest_face(pixels, self.pipeline.detector, self.recognizer)
        return Embedded(image.key, image.label, embedding)

    def embed_images(self, images: Sequence[EvalImage], progress: Progress | None = None) -> None:
        """Embeddings of every image's largest face (the gallery and the pairs' sources)."""
        for index, image in enumerate(images):
            embedded = self.embed_one(image)
            self.gallery.add(embedded)
            if embedded.unreadable is None and progress is not None:
                progress(index + 1, len(images))

    def _row(self, pair: Pair, status: str, error: str = "") -> dict[str, Any]:
        return {
            "pair_id": pair.pair_id,
            "kind": pair.kind,
            "source": pair.source.key,
            "target": pair.target.key,
            "source_label": pair.source.label,
            "target_label": pair.target.label,
            "status": status,
            "error": error,
        }

    def _failed(self, pair: Pair, failure: str, error: str = "") -> Scored:
        record = PairRecord(pair.pair_id, pair.kind, pair.source.label, pair.target.label, failure)
        return Scored(record, self._row(pair, failure, error), None)

    def score(self, pair: Pair, gallery: GalleryIndex | None) -> Scored:
        try:
            started = time.perf_counter()
            target = self.load(pair.target)
            decode_ms = (time.perf_counter() - started) * 1000.0
            source = self.load(pair.source)
        except (InvalidImageError, InputError) as exc:
            return self._failed(pair, "unreadable_image", str(exc))
        try:
            identity = self.pipeline.prepare_source(source, announce=False)
        except NoFaceError as exc:
            return self._failed(pair, "no_face_source", str(exc))
        try:
            result = self.pipeline.swap(target, identity, faces="largest")
        except FaceswapError:
            raise  # a configuration or model problem fails every pair: stop and say so
        except Exception as exc:  # one pair's swap failing must not end the evaluation
            return self._failed(pair, "swap_failed", f"{type(exc).__name__}: {exc}")
        if not result.swapped:
            return self._failed(pair, "no_face_target", "no face found in the target")
        target_face = result.faces[result.swapped[0]]
        result_face = match_face(self.pipeline.detector.detect(result.image), target_face)
        if result_face is None:
            return self._failed(pair, "no_face_result", "no face found where the target face was")
        record = self._record(pair, target, result.image, target_face, result_face, gallery)
        record = attrs.evolve(record, timings_ms={"decode": decode_ms, **result.timings})
        strip = self._strip(source, identity, target, result.image, target_face)
        return Scored(record, self._row(pair, "ok"), strip)

    def _record(
        self,
        pair: Pair,
        target: Image,
        result: Image,
        target_face: Face,
        result_face: Face,
        gallery: GalleryIndex | None,
    ) -> PairRecord:
        fields: dict[str, Any] = {"image_size": (int(target.shape[0]), int(target.shape[1]))}
        if "embeddings" in self.needs:
            assert self.recognizer is not None
            fields["result_embedding"] = self.recognizer.embed(result, result_face)
            fields["source_embedding"] = self.gallery.embedding(pair.source.key)
            fields["target_embedding"] = self.gallery.embedding(pair.target.key)
            if gallery is not None:
                fields["gallery"] = gallery.without((pair.source.key, pair.target.key))
        if "landmarks" in self.needs:
            assert self.landmarker is not None
            fields["result_landmarks"] = self.landmarker.landmarks(result, result_face)
            fields["target_landmarks"] = self.landmarker.landmarks(target, target_face)
        if "crops" in self.needs:
            size, plugins = METRIC_CROP, self.pipeline.plugins
            fields["target_crop"] = align.align(
                target, target_face, size, "arcface", plugins=plugins
            ).crop
            fields["result_crop"] = align.align(
                result, target_face, size, "arcface", plugins=plugins
            ).crop
        return PairRecord(
            pair.pair_id, pair.kind, pair.source.label, pair.target.label, None, **fields
        )

    def _strip(
        self,
        source: Image,
        identity: SourceIdentity,
        target: Image,
        result: Image,
        target_face: Face,
    ) -> list[Image]:
        return [
            align.align(source, identity.face, sheets.DISPLAY_CROP, "classic").crop,
            align.align(target, target_face, sheets.DISPLAY_CROP, "classic").crop,
            align.align(result, target_face, sheets.DISPLAY_CROP, "classic").crop,
        ]


# -- building the scorer (here and on every worker) -------------------------------------------


@attrs.frozen(eq=False)
class ScorerParts:
    """The pipeline, recognizer and landmarker an evaluation scores with, and their report."""

    pipeline: Pipeline
    recognizer: Recognizer | None
    recognizer_info: dict[str, Any] | None
    landmarker: Landmarker | None
    landmarker_ref: ComponentRef


def scoring_pipeline(experiment: ExperimentConfig, manager: FaceswapPlugins) -> Pipeline:
    """The pipeline pairs are swapped with: the experiment's, on the largest face."""
    return Pipeline(attrs.evolve(experiment.pipeline, faces="largest"), manager)


def build_scorer_parts(
    experiment: ExperimentConfig,
    needs: frozenset[Need],
    manager: FaceswapPlugins,
    pipeline: Pipeline | None = None,
) -> ScorerParts:
    """Build what scoring needs and load every model now (a missing file fails here)."""
    settings = experiment.eval
    pipeline = pipeline or scoring_pipeline(experiment, manager)
    recognizer, recognizer_info = (
        build_recognizer(settings.recognizer, manager, pipeline.context)
        if "embeddings" in needs
        else (None, None)
    )
    landmarker = None
    landmarker_ref = settings.landmarker or experiment.pipeline.landmarker
    if "landmarks" in needs:
        landmarker = (
            pipeline.landmarker  # the pipeline's own: loaded once
            if landmarker_ref == experiment.pipeline.landmarker
            else manager.build(
                LANDMARKER, landmarker_ref, context=pipeline.context, path="$.eval.landmarker"
            )
        )
    _ = (pipeline.detector, pipeline.swapper, pipeline.swap_recognizer())
    if pipeline.swapper.needs_landmarks:
        _ = pipeline.landmarker
    return ScorerParts(pipeline, recognizer, recognizer_info, landmarker, landmarker_ref)


__all__ = [
    "MATCH_IOU",
    "METRIC_CROP",
    "PairScorer",
    "Progress",
    "Scored",
    "ScorerParts",
    "build_recognizer",
    "build_scorer_parts",
    "match_face",
    "model_info",
    "scoring_pipeline",
]
