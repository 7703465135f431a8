"""Fields of operation specs: one ``attrs.field`` per option, with what every surface needs.

A spec field carries a :class:`Surface` in its metadata: the help text, the
short flag, old spellings kept as hidden aliases, the metavar, whether it is
positional or repeatable, its choices and whether it is a media input (a file
on the command line, an upload part in REST, an image in Python). The
generators (:mod:`faceswap_core.cli.spec_command`, :mod:`.openapi`,
:mod:`.pysig`, :mod:`.structure`) read only this, the field's type, its
default and its validator (always from :mod:`faceswap_core.config.ranges`).

The fields shared by several operations are declared once here (``output``,
``overwrite``, ``config``, ``overrides``, ``runtime``, ``providers``,
``json``, ``faces``, ``reference``, ``threshold``, ``format``, ``quality``,
``detect_every``, ``swap_batch``, ``smooth``, ``baseline``, ``tolerance``, ``model``,
``model_path``...). Adding an option to an operation is one line in its spec;
adding one to every operation that runs the pipeline is one factory here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from faceswap_core.config.convert import short_repr
from faceswap_core.config.ranges import (
    Validator,
    cluster_workers,
    detect_interval,
    distinct,
    each,
    identity_threshold,
    image_quality,
    one_of,
    swap_batch_size,
    unit_interval,
)
from faceswap_core.config.ranges import gpus_per_worker as gpu_share
from faceswap_core.config.schema import FACE_REGIONS, MASK_AREAS
from faceswap_core.errors import ConfigError
from faceswap_core.io.encode import ENCODE_FORMATS, normalize_format
from faceswap_core.operations.rules import SURFACE_KEY, RuleError
from faceswap_core.vision.selection import SELECTIONS
from faceswap_core.vision.smoothing import SMOOTHING_METHODS

SURFACE = SURFACE_KEY
"""The metadata key of a field's :class:`Surface`."""


@attrs.frozen
class Surface:
    """How one spec field appears on the command line, in Python and in REST.

    :ivar help: one or two sentences; the CLI help, the API docstring and the
        OpenAPI description.
    :ivar short: a short flag (``-o``).
    :ivar flag: the CLI spelling when it is not ``--field-name`` (``--set`` for
        ``overrides``, ``--target`` for ``targets``).
    :ivar aliases: old CLI spellings, hidden; each prints one ``Warning:`` line
        naming the new one (``--out`` for ``output``).
    :ivar api_aliases: old Python keyword names, accepted with a
        :class:`~faceswap_core.errors.FaceswapWarning` (``out`` for ``output``).
    :ivar rest_aliases: old REST field names, accepted as the new one.
    :ivar metavar: the CLI's placeholder (``KEY=VALUE``).
    :ivar positional: a CLI argument rather than an option.
    :ivar api_positional: a positional parameter of the Python function.
    :ivar repeatable: given several times on the command line (a tuple).
    :ivar choices: the allowed values (an enum in OpenAPI, a click choice).
    :ivar media: an input file on the command line, an upload part in REST, an
        image (path, bytes, PIL image or RGB array) in Python.
    :ivar required: must be given on every surface that has the field.
    :ivar parse: text to value for a field whose text form is not its type's
        (``start`` as ``1:02.5``); runs for command-line and REST text.
    :ivar api_type: the annotation of the Python parameter, when it is wider
        than the spec's type (``str | Path | None`` for a path).
    :ivar hidden: kept out of ``--help`` (an option on its way out).
    :ivar flag_value: the value of an option given without its (optional)
        value, such as ``--resume`` alone (``--resume RUN_DIR`` names one).
    """

    help: str
    short: str | None = None
    flag: str | None = None
    aliases: tuple[str, ...] = ()
    api_aliases: tuple[str, ...] = ()
    rest_aliases: tuple[str, ...] = ()
    metavar: str | None = None
    positional: bool = False
    api_positional: bool = False
    repeatable: bool = False
    choices: tuple[str, ...] | None = None
    media: bool = False
    required: bool = False
    parse: Callable[[str], Any] | None = None
    api_type: str | None = None
    hidden: bool = False
    flag_value: str | None = None

    def cli_flag(self, name: str) -> str:
        """The long option of field ``name`` (``--model-path`` for ``model_path``)."""
        return self.flag or "--" + name.replace("_", "-")


def surface_of(field: attrs.Attribute[Any]) -> Surface | None:
    """A field's :class:`Surface`; ``None`` for a field no surface shows."""
    found = field.metadata.get(SURFACE)
    return found if isinstance(found, Surface) else None


_NO_DEFAULT: Any = attrs.NOTHING


def option(
    help: str,
    *,
    default: Any = _NO_DEFAULT,
    factory: Callable[[], Any] | None = None,
    validator: Validator | None = None,
    converter: Callable[[Any], Any] | None = None,
    **surface: Any,
) -> Any:
    """A spec field: ``attrs.field`` with a :class:`Surface` (keywords as its attributes).

    Without ``default`` or ``factory`` the field is required on every surface;
    ``required=True`` with a default makes it required on the command line and
    in Python but lets another surface do without (a REST request may name a
    registered ``source_id`` instead of sending the ``source``). ``converter``
    normalises what every surface gives (comma lists into one tuple).
    """
    info = Surface(help=help, **surface)
    if info.choices is not None:
        chosen: Validator = one_of(info.choices)
        if info.repeatable:  # each value given is one of the choices
            chosen = each(chosen)
        validator = chosen if validator is None else attrs.validators.and_(chosen, validator)
    extra: dict[str, Any] = {"validator": validator, "metadata": {SURFACE: info}}
    if converter is not None:
        extra["converter"] = converter
    if default is _NO_DEFAULT and factory is None:
        extra["metadata"] = {SURFACE: attrs.evolve(info, required=True)}
        return attrs.field(**extra)
    if factory is not None:
        return attrs.field(factory=factory, **extra)
    return attrs.field(default=default, **extra)


def flag(help: str, **surface: Any) -> Any:
    """A yes/no option that is off unless given (``--overwrite``)."""
    return option(help, default=False, **surface)


def _choices(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(values)


# -- what a command writes and how ------------------------------------------------------------


def output(help: str, *, required: bool = False, **surface: Any) -> Any:
    """``-o/--output``: every file or folder an operation writes (old ``--out``, ``--work-dir``)."""
    surface = {"short": "-o", "api_type": "str | Path | None", **surface}
    return option(help, default=None, required=required, **surface)


def overwrite(help: str = "Replace existing outputs.", **surface: Any) -> Any:
    """``--overwrite``: replace an existing output (old ``--force``)."""
    return flag(help, **surface)


def json_lines(help: str = "") -> Any:
    """``--json``: stdout holds only JSON Lines, one object per finished item, then a summary."""
    text = help or (
        'Print only JSON Lines on stdout: one object per finished item, then {"summary": ...}.'
    )
    return flag(text, flag="--json")


# -- which config, which runtime ------------------------------------------------------------


def config(help: str = "") -> Any:
    """``--config``: a YAML file or a shipped config's name."""
    text = help or "Config file or shipped config name (baseline, smoke)."
    return option(text, default=None, metavar="CONFIG", api_type="str | Path | None")


def overrides(help: str = "") -> Any:
    """``--set KEY=VALUE`` (repeatable); ``overrides=[...]`` in Python."""
    text = help or "Override a config value, e.g. pipeline.faces=largest (repeatable)."
    return option(
        text,
        factory=tuple,
        flag="--set",
        metavar="KEY=VALUE",
        repeatable=True,
        api_type="Sequence[str]",
    )


RUNTIME_HELP = (
    "Runtime every model runs on: onnxruntime (default) or a plugin's, e.g. tensorrt "
    "(faceswap-trt). Overrides pipeline.runtime."
)
PROVIDERS_HELP = (
    "ONNX Runtime execution providers in order, comma-separated or repeated: "
    "cuda,cpu / coreml / openvino / tensorrt, or full names. A GPU provider that is "
    "missing or fails to start falls back to CPU with a warning."
)


def runtime() -> Any:
    """``--runtime NAME``; ``runtime="tensorrt"`` or ``{"type": NAME, ...}`` in Python."""
    return option(
        RUNTIME_HELP, default=None, metavar="NAME", api_type="str | Mapping[str, Any] | None"
    )


def providers() -> Any:
    """``--providers cuda,cpu`` (repeatable); ``providers=["cuda", "cpu"]`` in Python."""
    return option(
        PROVIDERS_HELP,
        factory=tuple,
        metavar="LIST",
        repeatable=True,
        api_type="Sequence[str]",
    )


# -- which model ---------------------------------------------------------------------------


def model(help: str = "", *, default: Any = None) -> Any:
    """``--model NAME``: the swapper (``classic``, ``inswapper``, ``onnx``, a plugin's)."""
    text = help or "Swapper: classic (default), inswapper, onnx, or a plugin's."
    return option(text, default=default, metavar="NAME")


def model_path(help: str = "") -> Any:
    """``--model-path FILE``: the model file (or model-store name) of the swapper."""
    text = help or "Model file (or model-store name) for inswapper/onnx."
    return option(text, default=None, metavar="FILE", api_type="str | Path | None")


# -- which faces ------------------------------------------------------------------------------


def source(help: str = "", **surface: Any) -> Any:
    """``-s/--source``: the image whose largest face gives the identity."""
    text = help or "Image whose (largest) face identity is used."
    return option(text, default=None, short="-s", media=True, required=True, **surface)


def faces() -> Any:
    """``--faces all|largest|reference``."""
    return option(
        "Which target faces to swap: all, largest, or reference ({reference} alone implies it).",
        default=None,
        choices=SELECTIONS,
    )


def reference() -> Any:
    """``--reference IMG``: the person to replace (implies ``faces=reference``)."""
    return option(
        "Image of the person to replace (implies {faces} reference).",
        default=None,
        media=True,
        metavar="IMG",
    )


def threshold() -> Any:
    """``--threshold D``: the identity distance for ``faces=reference``, in (0, 2]."""
    return option(
        "Identity distance for {faces} reference: above 0, at most 2 (default: the recognizer's).",
        default=None,
        validator=identity_threshold,
    )


# -- how images and videos are written --------------------------------------------------------


def image_format(help: str = "", *, default: Any = None) -> Any:
    """``--format png|jpg|webp`` (``jpeg`` and ``.JPG`` are read as ``jpg``)."""
    text = help or "Output image format; must agree with the output file's suffix."
    return option(
        text, default=default, choices=ENCODE_FORMATS, flag="--format", parse=normalize_format
    )


def quality() -> Any:
    """``--quality Q``: JPEG / WebP quality 1..100."""
    return option("JPEG / WebP quality, 1-100 (default 95).", default=None, validator=image_quality)


def detect_every() -> Any:
    """``--detect-every N``: detection every N frames, tracking in between."""
    return option(
        "Run the detector every N frames and track faces in between (default: "
        "pipeline.video.detect_every).",
        default=None,
        validator=detect_interval,
        metavar="N",
    )


def swap_batch(help: str = "") -> Any:
    """``--swap-batch N``: the most frames whose faces one swapper run takes."""
    text = help or (
        "Swap the faces of up to N waiting frames in one model run when the swapper batches "
        "(an onnx export with a dynamic batch); 1 swaps frame by frame. The output is the same "
        "(default: pipeline.video.swap_batch, 4)."
    )
    return option(
        text,
        default=None,
        validator=swap_batch_size,
        metavar="N",
    )


def smooth() -> Any:
    """``--smooth none|ema|one-euro``: temporal smoothing of boxes and landmarks."""
    return option(
        "Temporal smoothing of face boxes and landmarks (default: pipeline.video.smooth).",
        default=None,
        choices=_choices(SMOOTHING_METHODS),
    )


# -- where the work runs ---------------------------------------------------------------------

CLUSTER_HELP = (
    "Run on a Ray cluster (faceswap-ray): local (a Ray instance on this machine), auto "
    "(the cluster this machine joined), ray://HOST:PORT or HOST:PORT. Default: this process."
)


def cluster(help: str = "") -> Any:
    """``--cluster ADDRESS``: where the items run; ``None`` is this process (the local runner)."""
    return option(help or CLUSTER_HELP, default=None, metavar="ADDRESS")


def workers(*, repeatable: bool = False) -> Any:
    """``--workers N``: cluster workers, each with its own loaded pipeline (with ``cluster``).

    ``repeatable``: one run per count given (``faceswap bench --workers 1 --workers 2``).
    """
    if repeatable:
        return option(
            "Cluster workers of one run, each with its own loaded pipeline (repeatable: one "
            "run per count; default 1; needs {cluster}).",
            factory=tuple,
            validator=each(cluster_workers),
            metavar="N",
            repeatable=True,
            api_type="Sequence[int]",
        )
    return option(
        "Cluster workers, each with its own loaded pipeline (default 1; needs {cluster}).",
        default=None,
        validator=cluster_workers,
        metavar="N",
    )


def gpus_per_worker() -> Any:
    """``--gpus-per-worker G``: GPUs each cluster worker reserves (fractions share one)."""
    return option(
        "GPUs each cluster worker reserves; 0.5 puts two workers on one GPU (default 0; "
        "needs {cluster}).",
        default=None,
        validator=gpu_share,
        metavar="G",
    )


def check_cluster(cluster: str | None, workers: Any, gpus: float | None) -> None:
    """``workers`` and ``gpus_per_worker`` mean nothing without ``cluster``."""
    if cluster is None:
        for name, value in (("workers", workers), ("gpus_per_worker", gpus)):
            if value not in (None, ()):
                raise RuleError(f"{{{name}}} needs {{cluster}} ADDRESS (or local)")


# -- how a swapped face looks: pixel boost, paste masks, enhancer (docs/quality.md) ----------

PIXEL_BOOST_SIDES: tuple[int, ...] = (256, 384, 512)
"""``--pixel-boost``: the sides a fixed-size model's crop may be boosted to."""


def _pixel_boost_text(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        sides = ", ".join(str(side) for side in PIXEL_BOOST_SIDES)
        raise ConfigError(f"pixel_boost: expected one of {sides}, got {short_repr(text)}") from None


def comma_list(value: Any) -> tuple[str, ...]:
    """``"box,occlusion"``, ``["box", "area"]`` or ``("box,area",)`` -> one tuple of names."""
    items = [value] if isinstance(value, str) else list(value or ())
    return tuple(
        part.strip() if isinstance(part, str) else part
        for item in items
        for part in (item.split(",") if isinstance(item, str) else [item])
        if not isinstance(part, str) or part.strip()
    )


def _names(help: str, metavar: str, validator: Validator) -> Any:
    """A repeatable list of names, also one comma-separated text (a REST field)."""
    return option(
        help,
        factory=tuple,
        metavar=metavar,
        repeatable=True,
        parse=comma_list,
        converter=comma_list,
        validator=validator,
        api_type="str | Sequence[str]",
    )


def pixel_boost() -> Any:
    """``--pixel-boost 256|384|512``: a fixed-size model works on a larger crop, sub-grid by
    sub-grid (``pipeline.pixel_boost``)."""
    return option(
        "Align faces at this side and run a fixed-size model (inswapper 128, onnx, unet) on its "
        "interleaved sub-grids as one batch: sharper faces (default: pipeline.pixel_boost).",
        default=None,
        validator=one_of(PIXEL_BOOST_SIDES),
        parse=_pixel_boost_text,
        metavar="SIDE",
    )


def mask() -> Any:
    """``--mask box,occlusion`` (repeatable): maskers combined by element-wise minimum."""
    return _names(
        "Paste masks combined by minimum: box, hull, model, auto, area, occlusion, region or a "
        "plugin's; comma-separated or repeated (default: pipeline.paste.mask).",
        "NAME[,NAME]",
        distinct,
    )


def areas() -> Any:
    """``--areas upper-face,lower-face,mouth``: what the ``area`` mask keeps."""
    return _names(
        "Face areas the area mask swaps (implies area when {mask} is not given).",
        "AREA[,AREA]",
        attrs.validators.and_(distinct, each(one_of(MASK_AREAS))),
    )


def regions() -> Any:
    """``--regions skin,nose,mouth``: the face parser's classes the ``region`` mask keeps."""
    return _names(
        "Face parser classes the region mask swaps (implies region when {mask} is not given).",
        "REGION[,REGION]",
        attrs.validators.and_(distinct, each(one_of(FACE_REGIONS))),
    )


def occluder() -> Any:
    """``--occluder NAME|PATH``: the XSeg occluder of the ``occlusion`` mask."""
    return option(
        "XSeg occluder of the occlusion mask: a model name (xseg_1) or a .onnx path (implies "
        "occlusion when {mask} is not given).",
        default=None,
        metavar="NAME|PATH",
    )


def parser() -> Any:
    """``--parser NAME|PATH``: the BiSeNet face parser of the ``region`` mask."""
    return option(
        "BiSeNet face parser of the region mask: a model name (bisenet_resnet_34) or a .onnx "
        "path (implies region when {mask} is not given).",
        default=None,
        metavar="NAME|PATH",
    )


def enhancer() -> Any:
    """``--enhancer NAME|PATH``: a face enhancer run on every swapped face (``none``: off)."""
    return option(
        "Face enhancer on every swapped face: gfpgan_1.4, codeformer, gpen_bfr_256, "
        "gpen_bfr_512, an enhancer's name, a .onnx path (GFPGAN's contract), or none "
        "(default: pipeline.enhancer).",
        default=None,
        metavar="NAME|PATH",
    )


def enhance_blend() -> Any:
    """``--enhance-blend 0..1``: how much of the enhancer's face replaces the swap."""
    return option(
        "Share of the enhancer's face under the paste mask: 0 keeps the swap, 1 takes the "
        "enhancer's (default: pipeline.enhance_blend, 0.8).",
        default=None,
        validator=unit_interval,
    )


_IMPLIED_MASKS: tuple[tuple[str, str], ...] = (
    ("areas", "area"),
    ("regions", "region"),
    ("parser", "region"),
    ("occluder", "occlusion"),
)


def check_mask_options(spec: Any) -> None:
    """A mask's settings with ``mask`` given that leaves that mask out: say which to add."""
    masks = tuple(getattr(spec, "mask", ()) or ())
    if not masks:
        return  # the settings add their mask to the config's (QualityOptions.masks)
    for name, needed in _IMPLIED_MASKS:
        if getattr(spec, name, None) not in (None, ()) and needed not in masks:
            rule = f"{{{name}}} applies to the {needed} mask; add {needed} to {{mask}}"
            raise RuleError(rule)


# -- the regression gate ----------------------------------------------------------------------


def baseline(help: str) -> Any:
    """``--baseline RUN``: what the regression gate compares against (exit 6)."""
    return option(help, default=None, metavar="RUN", api_type="str | Path | None")


def tolerance(help: str = "") -> Any:
    """``--tolerance METRIC=DELTA`` (repeatable): slack of the regression gate."""
    text = help or (
        "Allowed slack for --baseline, METRIC=DELTA in the metric's unit, or DELTA for "
        "every gated metric (repeatable)."
    )
    return option(
        text,
        factory=tuple,
        metavar="METRIC=DELTA",
        repeatable=True,
        api_type="Mapping[str, float] | Sequence[str]",
    )


__all__ = [
    "CLUSTER_HELP",
    "PIXEL_BOOST_SIDES",
    "PROVIDERS_HELP",
    "RUNTIME_HELP",
    "SURFACE",
    "Surface",
    "areas",
    "baseline",
    "check_cluster",
    "check_mask_options",
    "cluster",
    "comma_list",
    "config",
    "detect_every",
    "enhance_blend",
    "enhancer",
    "faces",
    "flag",
    "gpus_per_worker",
    "image_format",
    "json_lines",
    "mask",
    "model",
    "model_path",
    "occluder",
    "option",
    "output",
    "overrides",
    "overwrite",
    "parser",
    "pixel_boost",
    "providers",
    "quality",
    "reference",
    "regions",
    "runtime",
    "smooth",
    "source",
    "surface_of",
    "swap_batch",
    "threshold",
    "tolerance",
    "workers",
]
