"""Alignment templates: where a face goes in the crop a model sees.

A swap model (or a recognizer, or a face restorer) was trained on crops cut a
certain way: the ArcFace 5-point layout, the inswapper shift, a wider crop
with the whole face. An :class:`AlignmentTemplate` is that layout, registered
by name (``register_alignment_templates``), so a swapper names its
``template`` and the pipeline cuts, and pastes back, with it. Core registers
``arcface``, ``inswapper``, ``classic`` and ``native``; a plugin brings its
own without editing core.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from faceswap_core.interfaces.face import Face, FloatArray, Image

Matrix = npt.NDArray[np.float64]
"""A 2 x 3 affine transform from image to crop coordinates."""


@runtime_checkable
class AlignmentTemplate(Protocol):
    """A crop layout.

    ``cut(image, face, size)`` returns the crop and the 2 x 3 transform that
    maps image coordinates to crop coordinates; the pipeline pastes a
    swapped crop back through that transform's exact inverse, so the
    transform must be the one the crop was cut with.

    ``points(size)`` gives the five destination keypoints (left eye, right
    eye, nose, mouth corners) of a ``size`` x ``size`` crop for layouts that
    are a fixed set of points, the kind a model's ``faceswap.template``
    metadata may name; ``None`` for layouts that are not (``native`` cuts the
    face at its own resolution and returns crops of varying size).
    """

    def cut(self, image: Image, face: Face, size: int) -> tuple[Image, Matrix]: ...

    def points(self, size: int) -> FloatArray | None: ...


__all__ = ["AlignmentTemplate", "Matrix"]
