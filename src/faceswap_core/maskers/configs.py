"""Config classes of core's maskers; light to import (no cv2, no onnxruntime).

The pipeline fills them from ``pipeline.paste`` (``areas``, ``occluder``,
``parser``, ``regions``), so one config section drives every masker.
"""

from __future__ import annotations

import attrs

from faceswap_core.config.schema import (
    DEFAULT_REGIONS,
    AreaName,
    PasteConfig,
    RegionName,
    names_listed,
)

_PASTE = PasteConfig()


@attrs.frozen
class AreaConfig:
    """The ``area`` masker: the hull of the 68-point landmarks of the listed face areas.

    :ivar areas: ``upper-face``, ``lower-face``, ``mouth`` (FaceFusion's area masks).
    """

    areas: list[AreaName] = attrs.field(factory=lambda: list(_PASTE.areas), validator=names_listed)


@attrs.frozen
class OccluderConfig:
    """The ``occlusion`` masker: an XSeg occluder marks what covers the face.

    :ivar model: a model-store name (``xseg_1``) or a path to the ``.onnx`` file.
    :ivar runtime: a runtime name for this model only; by default the pipeline's.
    """

    model: str = _PASTE.occluder
    runtime: str | None = None


@attrs.frozen
class ParserConfig:
    """The ``region`` masker: a BiSeNet face parser labels each pixel of the swapped face.

    :ivar model: a model-store name (``bisenet_resnet_34``) or a path to the ``.onnx`` file.
    :ivar regions: the CelebAMask-HQ classes pasted (``skin``, ``nose``, ``mouth``...).
    :ivar runtime: a runtime name for this model only; by default the pipeline's.
    """

    model: str = _PASTE.parser
    regions: list[RegionName] = attrs.field(
        factory=lambda: list(DEFAULT_REGIONS), validator=names_listed
    )
    runtime: str | None = None


__all__ = ["AreaConfig", "OccluderConfig", "ParserConfig"]
