"""The ``region`` masker: a BiSeNet face parser keeps only the chosen parts of the face.

The parser labels every pixel of the swapped crop with one of the 19
CelebAMask-HQ classes (background, skin, brows, eyes, glasses, ears, nose,
mouth, lips, neck, hair, hat...); the mask is 1 on the classes named in
``pipeline.paste.regions``. Swapping only skin, brows, eyes, nose and lips
keeps the target's hair line, ears and glasses.

Pre- and post-processing are FaceFusion's (``create_region_mask``), so their
BiSeNet files give their masks: the crop resized to the model's side, RGB in
[0, 1] normalised with the ImageNet mean and std, NCHW; the arg-max class
per pixel, the chosen ones as 1, resized back to the crop, edges softened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from faceswap_core.config.schema import FACE_REGIONS
from faceswap_core.interfaces import FloatArray, Image, MaskInput
from faceswap_core.maskers.configs import ParserConfig
from faceswap_core.maskers.contract import PARSER_CLASSES, check_parser
from faceswap_core.plugin.context import BuildContext
from faceswap_core.runtime.batch import run_batched
from faceswap_core.swappers.contract import check_output
from faceswap_core.vision.blend import feather_edges

REGION_CLASSES: dict[str, int] = {name: index + 1 for index, name in enumerate(FACE_REGIONS)}
"""CelebAMask-HQ class index of each region name (0 is the background), as BiSeNet labels them."""

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def parser_input(crops: Sequence[Image], size: int) -> np.ndarray[Any, Any]:
    """N x 3 x S x S float32: each RGB crop resized to ``size``, ImageNet-normalised."""
    batch = np.stack([cv2.resize(np.ascontiguousarray(crop), (size, size)) for crop in crops])
    normalised = (batch.astype(np.float32) / np.float32(255.0) - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(normalised.transpose(0, 3, 1, 2), dtype=np.float32)


def region_from_output(
    scores: np.ndarray[Any, Any], classes: Sequence[int], crop_size: int
) -> FloatArray:
    """One 19 x S x S score map -> the crop's mask of ``classes`` (resized, edges softened).

    A pixel is chosen when its arg-max class is one of ``classes``: computed as the
    best chosen score against the best other score, plane by plane (an arg-max over
    the class axis of a 512 px map is 8x slower), with exact arg-max ties after.
    """
    planes = np.asarray(scores, np.float32)
    wanted = sorted(set(classes))
    others = [index for index in range(planes.shape[0]) if index not in wanted]
    if not wanted or not others:
        chosen = np.full(planes.shape[1:], bool(wanted))
    else:
        best_in = _plane_max(planes, wanted)
        best_out = _plane_max(planes, others)
        chosen = best_in > best_out
        tied = best_in == best_out
        if tied.any():  # the arg-max takes the first class with the top score
            chosen[tied] = np.isin(planes[:, tied].argmax(axis=0), wanted)
    mask = chosen.astype(np.float32)
    return feather_edges(cv2.resize(mask, (crop_size, crop_size)))


def _plane_max(planes: np.ndarray[Any, Any], indices: Sequence[int]) -> np.ndarray[Any, Any]:
    best: np.ndarray[Any, Any] = np.array(planes[indices[0]], copy=True)
    for index in indices[1:]:
        np.maximum(best, planes[index], out=best)
    return best


class RegionMasker:
    """Runs a BiSeNet face parser on the swapped crops; its contract is checked on load and run."""

    needs_landmarks = False

    def __init__(self, config: ParserConfig, context: BuildContext) -> None:
        self.session, self.origin = context.load_named(
            config.model, config.runtime, path="$.pipeline.paste.parser"
        )
        self.model_path: str | None = self.origin
        self.contract = check_parser(self.session, self.origin)
        self.classes = tuple(REGION_CLASSES[name] for name in config.regions)

    def masks(self, faces: Sequence[MaskInput]) -> list[FloatArray]:
        if not faces:
            return []
        contract = self.contract
        feed = parser_input([face.swapped for face in faces], contract.size)
        out = run_batched(
            self.session,
            {contract.input: feed},
            batched=[contract.input],
            outputs=[contract.output],
        )
        scores = check_output(
            self.origin,
            contract.output,
            out[contract.output],
            (len(faces), PARSER_CLASSES, contract.size, contract.size),
        )
        return [
            region_from_output(scores[k], self.classes, face.size) for k, face in enumerate(faces)
        ]


__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "REGION_CLASSES", "RegionMasker", "parser_input"]
