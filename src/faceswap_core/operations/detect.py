"""``detect``: faces with boxes, scores and five keypoints (CLI, ``faceswap.detect``)."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation


@attrs.frozen(kw_only=True)
class DetectSpec:
    """Detect faces in IMAGE (with the detector and limits of --config / --set).

    With -o, also write a copy of IMAGE with the faces drawn on it.
    """

    image: Any = fields.option(
        "The image to look for faces in.",
        default=None,
        required=True,
        media=True,
        positional=True,
        api_positional=True,
        metavar="IMAGE",
        api_aliases=("img",),
    )
    output: str | None = fields.output(
        "Write a copy of IMAGE with the faces drawn on it.", aliases=("--draw",)
    )
    overwrite: bool = fields.overwrite("Replace an existing output file.")
    json: bool = fields.json_lines(
        'Print only JSON Lines: {"image", "faces"} for the image, then {"summary": ...}.'
    )
    config: str | None = fields.config(
        "Config file or shipped config name; its pipeline section (detector, limits) is used."
    )
    overrides: tuple[str, ...] = fields.overrides()
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()


DETECT = Operation(
    "detect",
    DetectSpec,
    cli=("detect",),
    api="detect",
    api_summary="Faces in image with boxes, scores and five keypoints.",
    api_returns="list[Face]",
)


__all__ = ["DETECT", "DetectSpec"]
