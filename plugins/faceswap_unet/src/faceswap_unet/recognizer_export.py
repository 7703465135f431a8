"""The recognizer a U-Net was trained with, exported beside it, and the probe faces.

A swap model only understands the embeddings of the network it was trained
with; a deployment that embeds the source with any other network injects a
meaningless identity without an error. So ``faceswap export onnx`` writes
that network too (``NAME.recognizer.onnx``: the checkpoint's frozen
recognizer on the swapper's own aligned crop, as training fed it) and a few
real probe faces with its embeddings of them (``NAME.probes.npz``), in the
format core's ``onnx`` swapper reads (:mod:`faceswap_core.swappers.export_recognizer`).

Why a second graph rather than one graph that takes the source crop: the
embedding is computed once per source image and cached by the pipeline,
while the generator runs for every face of every frame; fused, the
recognizer (6.3 GFLOPs for an ArcFace r50, as much as the U-Net) would run
on every frame. Kept apart, the swapper graph keeps the ``onnx`` contract
(``target``, ``source`` embedding), so TensorRT engines, ``export verify``
and a checked substitute recognizer all still work.

Probe faces come from images installed packages ship (insightface's
``t1.jpg`` and Tom Hanks portrait, scikit-image's astronaut), found by the
registered detector: a square of :data:`PROBE_CONTEXT` times the face box
around each face, resized to :data:`PROBE_SIDE` pixels, so any recognizer can
align them its own way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
import cv2
import numpy as np
import torch
from torch import nn

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ConfigError, UnknownComponentError
from faceswap_core.export.verify import compare_outputs
from faceswap_core.interfaces import Detector, Face, Image
from faceswap_core.io.hashing import sha256_bytes
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import DETECTOR
from faceswap_core.plugin.manager import get_plugins
from faceswap_core.swappers.blobs import to_blob
from faceswap_core.swappers.export_recognizer import (
    MAX_PROBES,
    RECOGNIZER_INPUT,
    RECOGNIZER_OUTPUT,
    Probes,
)
from faceswap_core.tools.samples import load_sample
from faceswap_core.vision.align import align
from faceswap_unet.model.recognizer import FrozenRecognizer

PROBE_SAMPLES: tuple[str, ...] = ("astronaut", "tom_hanks", "t1")
PROBE_SIDE = 160
PROBE_CONTEXT = 2.0
"""A probe is a square of this many face-box sides around the face (hair, chin, ears)."""
PROBE_COUNT = 8


class RecognizerModule(nn.Module):
    """``forward(crop) -> embedding``: the frozen recognizer on the swapper's crop in [0, 1]."""

    input_names = (RECOGNIZER_INPUT,)
    output_names = (RECOGNIZER_OUTPUT,)

    def __init__(self, recognizer: FrozenRecognizer) -> None:
        super().__init__()
        self.recognizer = recognizer

    def forward(self, crop: torch.Tensor) -> torch.Tensor:
        embedding: torch.Tensor = self.recognizer(crop)
        return embedding


def _detector(context: BuildContext | None) -> Detector:
    context = context or build_context(get_plugins())
    ref = PipelineConfig().detector
    try:
        return context.plugins.build(DETECTOR, ref, context=context, path="$.pipeline.detector")
    except UnknownComponentError as exc:
        raise ConfigError(
            f"the export's probe faces need a face detector: {exc}; pip install faceswap-retinaface"
        ) from None


def _square_probe(image: Image, face: Face) -> tuple[Image, Face]:
    """A :data:`PROBE_SIDE` square around ``face`` (black beyond the image), and the face in it."""
    x1, y1, x2, y2 = (float(v) for v in face.bbox)
    side = PROBE_CONTEXT * max(x2 - x1, y2 - y1)
    left, top = (x1 + x2 - side) / 2, (y1 + y2 - side) / 2
    scale = PROBE_SIDE / side
    matrix = np.array([[scale, 0.0, -left * scale], [0.0, scale, -top * scale]], np.float64)
    square = cv2.warpAffine(
        image, matrix, (PROBE_SIDE, PROBE_SIDE), flags=cv2.INTER_AREA, borderValue=(0, 0, 0)
    )
    moved = Face(
        bbox=(face.bbox.reshape(2, 2) - [left, top]).reshape(4) * scale,
        score=face.score,
        kps=(face.kps - [left, top]) * scale,
    )
    return np.ascontiguousarray(square), moved


@attrs.frozen(eq=False)
class ProbeSet:
    """Probe images, their faces, and the aligned crops the recognizer embeds."""

    images: list[Image]
    faces: list[Face]
    crops: np.ndarray[Any, np.dtype[np.float32]]


def probe_set(context: BuildContext | None, crop_size: int, template: str) -> ProbeSet:
    """Up to :data:`PROBE_COUNT` real faces, largest first, as probes and aligned crops."""
    detector = _detector(context)
    found: list[tuple[float, Image, Face]] = []
    for name in PROBE_SAMPLES:
        image = load_sample(name)
        for face in detector.detect(image):
            x1, y1, x2, y2 = (float(v) for v in face.bbox)
            found.append(((x2 - x1) * (y2 - y1), image, face))
    found.sort(key=lambda item: -item[0])
    images, faces, crops = [], [], []
    for _, image, face in found[: min(PROBE_COUNT, MAX_PROBES)]:
        probe, moved = _square_probe(image, face)
        images.append(probe)
        faces.append(moved)
        crops.append(to_blob(align(probe, moved, crop_size, template).crop, crop_size)[0])
    if not images:
        raise ConfigError("the detector found no face in the sample images for the probes")
    return ProbeSet(images, faces, np.stack(crops))


def embed(module: nn.Module, crops: np.ndarray[Any, np.dtype[np.float32]]) -> np.ndarray[Any, Any]:
    with torch.no_grad():
        result: np.ndarray[Any, Any] = module(torch.from_numpy(crops)).float().numpy()
    return result


def probes_of(probes: ProbeSet, embeddings: np.ndarray[Any, Any]) -> Probes:
    """The probe file's content: images, faces and the training recognizer's embeddings."""
    return Probes(
        images=np.stack(probes.images).astype(np.uint8),
        boxes=np.stack([face.bbox for face in probes.faces]).astype(np.float32),
        kps=np.stack([face.kps for face in probes.faces]).astype(np.float32),
        embeddings=np.asarray(embeddings, np.float32),
    )


@attrs.frozen(eq=False)
class RecognizerFiles:
    """What an export writes besides the swapper: the recognizer graph and the probe file."""

    graph: bytes
    probes: Probes
    probe_bytes: bytes
    max_abs_diff: float
    mean_abs_diff: float
    atol: float

    @property
    def sha256(self) -> str:
        return sha256_bytes(self.graph)

    @property
    def probes_sha256(self) -> str:
        return sha256_bytes(self.probe_bytes)

    def record(self, graph_name: str, probes_name: str) -> dict[str, Any]:
        """The export record's ``recognizer_graph`` and ``probes`` entries."""
        return {
            "recognizer_graph": {
                "file": graph_name,
                "sha256": self.sha256,
                "max_abs_diff": self.max_abs_diff,
                "mean_abs_diff": self.mean_abs_diff,
                "atol": self.atol,
            },
            "probes": {
                "file": probes_name,
                "sha256": self.probes_sha256,
                "count": int(self.probes.images.shape[0]),
            },
        }


def validate_recognizer(
    run: Callable[[dict[str, np.ndarray[Any, Any]]], dict[str, Any]],
    module: nn.Module,
    crops: np.ndarray[Any, np.dtype[np.float32]],
    rng: np.random.Generator,
    atol: float,
) -> dict[str, Any]:
    """torch vs ONNX Runtime on the probe crops and on seeded noise, one output."""
    noise = rng.random((2, *crops.shape[1:]), dtype=np.float32)
    batches = [crops, noise]
    worst, total, count = 0.0, 0.0, 0
    for batch in batches:
        want = {RECOGNIZER_OUTPUT: embed(module, batch)}
        (diff,) = compare_outputs(want, run({RECOGNIZER_INPUT: batch}), atol=atol)
        worst = max(worst, diff.max_abs_diff)
        total += diff.mean_abs_diff * want[RECOGNIZER_OUTPUT].size
        count += want[RECOGNIZER_OUTPUT].size
    mean = total / max(count, 1)
    return {"max_abs_diff": worst, "mean_abs_diff": mean if math.isfinite(mean) else worst}


__all__ = [
    "PROBE_CONTEXT",
    "PROBE_COUNT",
    "PROBE_SIDE",
    "ProbeSet",
    "RecognizerFiles",
    "RecognizerModule",
    "embed",
    "probe_set",
    "probes_of",
    "validate_recognizer",
]
