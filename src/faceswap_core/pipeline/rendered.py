"""A swapped face on its way back into the frame (what the paste and enhance stages take)."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.vision.align import AlignedFace


@attrs.frozen(eq=False)
class RenderedFace:
    """One swapped face ready to paste: the crop, its soft mask and the alignment it came from.

    :ivar face: the target face in frame coordinates (with landmarks when used).
    :ivar crop: the swapped aligned crop (RGB ``uint8``).
    :ivar mask: where the crop replaces the frame (crop pixels, 0 to 1): the
        paste masks combined by element-wise minimum.
    :ivar aligned: the aligned target crop and its transform.
    """

    face: Face
    crop: Image
    mask: FloatArray
    aligned: AlignedFace

    def evolve(self, **changes: Any) -> RenderedFace:
        return attrs.evolve(self, **changes)


__all__ = ["RenderedFace"]
