"""Paste masks: where a swapped (or enhanced) crop replaces the frame.

A masker looks at a face in crop coordinates and returns a soft mask of the
crop's size, 1 where the new face is pasted and 0 where the target stays.
The pipeline runs every masker named in ``pipeline.paste.mask`` on all the
faces of a frame at once (one batched model run) and combines their masks
by element-wise minimum, as FaceFusion does: each masker can only take
pixels away. A pixel that any mask sets to 0 keeps the target exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

from faceswap_core.interfaces.face import FloatArray, Image


@attrs.frozen(eq=False)
class MaskInput:
    """One face, as the maskers see it (everything in the same ``S x S`` crop).

    :ivar target: the aligned target crop before the swap (RGB ``uint8``); an
        occluder looks here for what covers the face.
    :ivar swapped: the swapped crop (RGB ``uint8``); a face parser labels this one.
    :ivar landmarks: the target's landmarks in crop pixels (68 points when a
        landmarker ran, else the 5 keypoints), or ``None``.
    :ivar model_mask: the swap model's own mask (0..1), when it has one.
    :ivar erode: the paste config's erosion, in pixels of this crop.
    :ivar blur: the paste config's blur radius, in pixels of this crop.
    """

    target: Image
    swapped: Image
    landmarks: FloatArray | None
    model_mask: FloatArray | None
    erode: float
    blur: float

    @property
    def size(self) -> int:
        """The crop's side in pixels."""
        return int(self.target.shape[0])


@runtime_checkable
class Masker(Protocol):
    """Computes one kind of paste mask for a batch of faces.

    ``needs_landmarks`` asks the pipeline for 68-point landmarks on every
    swapped face. ``masks`` returns one ``S x S`` float32 mask in [0, 1] per
    input, in order.
    """

    needs_landmarks: bool

    def masks(self, faces: Sequence[MaskInput]) -> list[FloatArray]: ...


__all__ = ["MaskInput", "Masker"]
