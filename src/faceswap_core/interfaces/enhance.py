"""Face enhancers: restorers (GFPGAN, CodeFormer, GPEN) run on swapped faces.

An enhancer works on aligned crops of its own ``size`` on its own alignment
``template`` (``ffhq`` for most restorers), and returns restored crops of the
same size. The pipeline aligns the swapped faces for it (reusing the swap's
crop when the templates agree), batches every face of a frame into one
call, and pastes the result back through the swap's masks, blended by
``pipeline.enhance_blend``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from faceswap_core.interfaces.face import Image


@runtime_checkable
class Enhancer(Protocol):
    """Restores a batch of aligned face crops (RGB ``uint8``, ``size`` x ``size``).

    ``template`` names an alignment template of
    :func:`faceswap_core.vision.align.template`; ``enhance`` returns one crop of
    the same shape per input, in order.
    """

    size: int
    template: str

    def enhance(self, crops: Sequence[Image]) -> list[Image]: ...


__all__ = ["Enhancer"]
