"""Typed config of the inference pipeline (the ``pipeline:`` section of a config file).

Components are references ``{type: NAME, **params}``; their params are
structured into the component's own config class when the pipeline builds it.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

ComponentRef = dict[str, Any]

DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


@attrs.frozen
class PasteConfig:
    """How a swapped crop goes back into the frame.

    :ivar mask: ``auto`` (the model's mask if it has one, else the landmark
        hull, else the box), or force ``model``, ``hull`` or ``box``.
    :ivar erode: erosion of the mask in crop pixels, relative to a 128 px crop.
    :ivar blur: Gaussian blur of the mask edge in crop pixels, relative to 128 px.
    :ivar color_match: shift the swapped face's colour statistics to the target's.
    """

    mask: Literal["auto", "model", "hull", "box"] = "auto"
    erode: int = 6
    blur: int = 9
    color_match: bool = False


@attrs.frozen
class LimitsConfig:
    """Resource limits on inputs, checked before full decode.

    :ivar max_pixels: largest accepted image (width x height), default 50 MP.
    :ivar max_bytes: largest accepted encoded input, default 200 MiB.
    """

    max_pixels: int = DEFAULT_MAX_PIXELS
    max_bytes: int = DEFAULT_MAX_BYTES


@attrs.frozen
class PipelineConfig:
    """Which components run and how faces are chosen and pasted back.

    :ivar faces: ``all`` faces of the target, the ``largest``, or those within
        ``threshold`` of a ``reference`` image's face.
    :ivar threshold: identity distance for ``reference``; ``None`` uses the
        recognizer's own same-person threshold.
    """

    detector: ComponentRef = attrs.field(factory=lambda: {"type": "retinaface"})
    recognizer: ComponentRef = attrs.field(factory=lambda: {"type": "dlib"})
    landmarker: ComponentRef = attrs.field(factory=lambda: {"type": "dlib68"})
    swapper: ComponentRef = attrs.field(factory=lambda: {"type": "classic"})
    runtime: ComponentRef = attrs.field(factory=lambda: {"type": "onnxruntime"})
    faces: Literal["all", "largest", "reference"] = "all"
    threshold: float | None = None
    paste: PasteConfig = attrs.Factory(PasteConfig)
    limits: LimitsConfig = attrs.Factory(LimitsConfig)
    provenance: bool = True
