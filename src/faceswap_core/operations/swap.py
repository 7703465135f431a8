"""``swap``: the face of a source image into one or many targets (CLI, ``faceswap.swap``,
``POST /v1/swap``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from faceswap_core.errors import ConfigError
from faceswap_core.io.encode import OUTPUT_FORMATS, normalize_format
from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError

LOSSY: tuple[str, ...] = tuple(name for name, fmt in OUTPUT_FORMATS.items() if fmt.lossy)
"""Formats ``quality`` applies to (jpg, webp)."""


def format_named_by(output: str | None) -> str | None:
    """The image format an output file's suffix names, if it names one."""
    if output is None or not Path(output).suffix:
        return None
    try:
        return normalize_format(Path(output).suffix)
    except ConfigError:
        return None


def face_selection(faces: str | None, reference: Any) -> str | None:
    """``faces``, or ``reference`` when only a reference image is given (it implies it)."""
    if faces is None and reference is not None:
        return "reference"
    if faces == "reference" and reference is None:
        raise RuleError("{faces} reference needs {reference} IMG (the person to replace)")
    return faces


def check_quality(quality: int | None, chosen: str) -> None:
    """``quality`` only for a lossy format."""
    if quality is not None and chosen not in LOSSY:
        raise RuleError(
            "{quality} applies to " + " and ".join(LOSSY) + f" output; {chosen} is lossless"
        )


@attrs.frozen(kw_only=True)
class SwapSpec:
    """Swap the face of SOURCE into each TARGET and write the result to OUTPUT.

    \b
    Several targets (or a folder) go into the OUTPUT folder: x.jpg becomes
    OUTPUT/x.png (or the --format suffix). Targets sharing a stem keep their
    suffix: x.jpg -> x.jpg.png, x.png -> x.png.png. A clash that remains, an
    output that would replace an input, an output folder inside an input folder
    (without --overwrite) and an existing output (without --overwrite or
    --skip-existing) are refused with exit code 2 before any work.

    \b
    A batch goes on past a target that cannot be read (its Error line is printed)
    and exits with the first failure's code at the end; --fail-fast stops at once.
    A target without a face is written unchanged, without the provenance mark
    (exit 0; 4 with --require-face). With a signer configured (--set
    pipeline.c2pa.cert=CHAIN.pem --set pipeline.c2pa.key=KEY.pem), every changed
    output also carries a signed C2PA manifest; a signer that cannot sign stops
    with exit 5 before any work. --json prints one JSON
    object per target as it finishes, then {"summary": {...}}.
    """

    target: Any = fields.option(
        "Target image (or, on the command line, a folder; repeatable).",
        default=None,
        required=True,
        short="-t",
        media=True,
        repeatable=True,
        api_positional=True,
        api_aliases=("img",),
    )
    source: Any = fields.source(api_positional=True, api_aliases=("src",))
    source_id: str | None = fields.option(
        "A source registered with POST /v1/sources (instead of the source file).", default=None
    )
    output: str | None = fields.output("Output file, or folder for several targets.", required=True)
    model: str | None = fields.model()
    model_path: str | None = fields.model_path()
    faces: str | None = fields.faces()
    reference: Any = fields.reference()
    threshold: float | None = fields.threshold()
    pixel_boost: int | None = fields.pixel_boost()
    mask: tuple[str, ...] = fields.mask()
    areas: tuple[str, ...] = fields.areas()
    regions: tuple[str, ...] = fields.regions()
    occluder: str | None = fields.occluder()
    parser: str | None = fields.parser()
    enhancer: str | None = fields.enhancer()
    enhance_blend: float | None = fields.enhance_blend()
    format: str | None = fields.image_format()
    quality: int | None = fields.quality()
    overwrite: bool = fields.overwrite("Replace existing outputs (never an input).")
    skip_existing: bool = fields.flag("Skip targets whose output exists (resume a batch).")
    fail_fast: bool = fields.flag("Stop at the first target that fails.")
    require_face: bool = fields.flag(
        "A target without a face fails (exit 4; 422 no_face in REST) instead of being kept."
    )
    provenance: bool = fields.option(
        "Mark changed outputs as AI-altered (IPTC XMP; refused off when a C2PA signer is "
        "configured).",
        default=True,
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: one object per target as it finishes, then {"summary": ...}.'
    )
    config: str | None = fields.config(
        "Config file or shipped config name (baseline, smoke); its pipeline section is used."
    )
    overrides: tuple[str, ...] = fields.overrides()
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()
    cluster: str | None = fields.cluster()
    workers: int | None = fields.workers()
    gpus_per_worker: float | None = fields.gpus_per_worker()

    def __attrs_post_init__(self) -> None:
        fields.check_cluster(self.cluster, self.workers, self.gpus_per_worker)
        fields.check_mask_options(self)
        face_selection(self.faces, self.reference)
        if self.quality is not None:
            check_quality(self.quality, self.chosen_format)

    @property
    def selection(self) -> str | None:
        """The face selection in force (``reference`` when only a reference is given)."""
        return face_selection(self.faces, self.reference)

    @property
    def chosen_format(self) -> str:
        """``format``, else the output's suffix, else png."""
        return self.format or format_named_by(self.output) or "png"


SWAP = Operation(
    "swap",
    SwapSpec,
    cli=("swap",),
    api="swap",
    rest=("POST /v1/swap",),
    api_summary="Swap the identity of the largest face in source into the faces of target; "
    "returns the image (RGB uint8, target's shape; unchanged without a face).",
    api_returns="Image",
    api_var_keyword="params",
    api_var_keyword_help="deprecated: swapper parameters as keywords; pass "
    "overrides=['pipeline.swapper.NAME=VALUE'].",
)


__all__ = ["LOSSY", "SWAP", "SwapSpec", "check_quality", "face_selection", "format_named_by"]
