"""The enhance stage: restore the swapped faces and paste them back through the swap's masks.

Only swapped faces are enhanced, all of a frame's in one enhancer call. Each
face reaches the enhancer one of two ways:

- **reused**: when the swap's crop is already on the enhancer's template and
  size (a 128 px model boosted to 256 with GPEN-BFR 256), the swapped crop
  itself is enhanced, blended with it and pasted once, under the swap's mask;
- **re-aligned**: otherwise the swapped face is pasted first, then cut out of
  the frame on the enhancer's template from the same (smoothed) keypoints,
  enhanced, and pasted under the swap's mask carried into the enhancer's crop
  (capped by the box there, so no crop edge shows) times the blend.

Either way ``enhance_blend`` 0 leaves the swap as it is, 1 takes the
enhancer's face under the mask, and a pixel the swap's mask does not reach
is never written: the enhancer's paste is confined to the swap's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from faceswap_core.interfaces import Enhancer, Image
from faceswap_core.pipeline.rendered import RenderedFace
from faceswap_core.vision import align as alignment
from faceswap_core.vision.blend import box_mask, paste_back

Paste = Callable[[RenderedFace], None]


def reuses_crop(enhancer: Enhancer, rendered: RenderedFace) -> bool:
    """Whether the swapped crop is already what the enhancer takes (same template and side)."""
    aligned = rendered.aligned
    return aligned.kind == enhancer.template and aligned.size == enhancer.size


def mix(base: Image, other: Image, share: float) -> Image:
    """``base + share * (other - base)``, rounded: 0 gives ``base``, 1 gives ``other`` exactly."""
    if share >= 1.0:
        return other
    if share <= 0.0:
        return base
    moved = base.astype(np.float32) + np.float32(share) * (
        other.astype(np.float32) - base.astype(np.float32)
    )
    out: Image = np.clip(np.rint(moved), 0, 255).astype(np.uint8)
    return out


def carried_mask(rendered: RenderedFace, matrix: alignment.Matrix, size: int) -> np.ndarray:
    """The swap's mask moved into another crop of the same face (``matrix``: frame -> crop)."""
    to_frame = np.vstack([alignment.invert(rendered.aligned.matrix), [0.0, 0.0, 1.0]])
    relative = (np.vstack([matrix, [0.0, 0.0, 1.0]]) @ to_frame)[:2]
    moved = cv2.warpAffine(
        np.asarray(rendered.mask, np.float32),
        relative,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )
    return np.asarray(moved, np.float32)


def enhance_faces(
    output: Image,
    faces: Sequence[RenderedFace],
    enhancer: Enhancer,
    *,
    blend: float,
    erode: float,
    blur: float,
    paste: Paste,
    run: Callable[[list[Image]], list[Image]],
) -> None:
    """Enhance ``faces`` and paste them (and their swaps) into ``output`` in place.

    :param blend: ``pipeline.enhance_blend``.
    :param erode: the paste config's erosion, relative to a 128 px crop (as ``blur``).
    :param paste: pastes one rendered face (the pipeline's paste stage).
    :param run: calls the enhancer on a batch (guarded by the pipeline).
    """
    reused = [face for face in faces if reuses_crop(enhancer, face)]
    others = [face for face in faces if not reuses_crop(enhancer, face)]
    for face in others:
        paste(face)
    size, template = int(enhancer.size), str(enhancer.template)
    cut = [alignment.align(output, face.face, size, template) for face in others]
    restored = run([face.crop for face in reused] + [aligned.crop for aligned in cut])
    for face, better in zip(reused, restored[: len(reused)], strict=True):
        paste(face.evolve(crop=mix(face.crop, better, blend)))
    scale = size / 128.0
    box = box_mask(size, erode=erode * scale, blur=blur * scale)
    for face, aligned, better in zip(others, cut, restored[len(reused) :], strict=True):
        weight = np.minimum(box, carried_mask(face, aligned.matrix, size)) * np.float32(blend)
        paste_back(
            output,
            better,
            aligned.matrix,
            weight,
            inplace=True,
            within=(face.mask, face.aligned.matrix),
        )


__all__ = ["carried_mask", "enhance_faces", "mix", "reuses_crop"]
