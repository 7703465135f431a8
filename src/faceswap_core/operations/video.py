"""``video`` (``faceswap.swap_video``, ``POST /v1/jobs/video``) and ``stream``
(``faceswap.stream``, ``WS /v1/stream``): a face through frames, with tracking."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.config.ranges import at_least, frame_rate, video_crf
from faceswap_core.errors import ConfigError
from faceswap_core.io.video.containers import VIDEO_SUFFIXES
from faceswap_core.io.video.reader import parse_time
from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError
from faceswap_core.operations.swap import face_selection

SMOOTH_PARAMS: tuple[str, ...] = (
    "min_cutoff", "beta", "d_cutoff", "alpha", "color_blend", "mask_blend",
)  # fmt: skip
"""Keys ``--smooth-param`` / ``smooth_params`` accept (fields of ``pipeline.video``)."""

VIDEO_FORMATS: tuple[str, ...] = tuple(suffix.lstrip(".") for suffix in VIDEO_SUFFIXES)
"""Containers a video job can write (REST ``format``)."""


def parse_smooth_params(pairs: tuple[str, ...]) -> dict[str, float]:
    """``("beta=0.5", "min_cutoff=1")`` -> ``{"beta": 0.5, "min_cutoff": 1.0}``."""
    params: dict[str, float] = {}
    for pair in pairs:
        key, sep, value = str(pair).partition("=")
        key = key.strip()
        if not sep or key not in SMOOTH_PARAMS:
            raise ConfigError(
                f"smooth_params {pair!r}: expected KEY=VALUE with KEY one of "
                f"{', '.join(SMOOTH_PARAMS)}"
            )
        try:
            params[key] = float(value)
        except ValueError:
            raise ConfigError(f"smooth_params {pair!r}: {value!r} is not a number") from None
    return params


def _video_format(text: str) -> str:
    return text.strip().lower().lstrip(".")


def _smooth_params() -> Any:
    return fields.option(
        f"Smoothing parameter KEY=VALUE, KEY one of {', '.join(SMOOTH_PARAMS)} (repeatable).",
        factory=tuple,
        flag="--smooth-param",
        metavar="KEY=VALUE",
        repeatable=True,
        api_type="Mapping[str, float] | Sequence[str]",
    )


def _pipeline() -> Any:
    return fields.option(
        "A loaded faceswap.Pipeline to run (its models are reused); default: one built from "
        "config, model and runtime.",
        default=None,
        api_type="Pipeline | None",
    )


FILE_OPTIONS: tuple[str, ...] = (
    "faces", "reference", "threshold", "overwrite", "codec", "crf", "preset", "pix_fmt",
    "start", "end", "audio", "provenance",
)  # fmt: skip
"""The fields of :class:`VideoSpec` that ``swap_video`` takes by the same name."""


def video_overrides(spec: Any) -> dict[str, Any]:
    """The ``pipeline.video`` overrides a video or stream spec gives."""
    options: dict[str, Any] = dict(parse_smooth_params(spec.smooth_params))
    for name in ("detect_every", "swap_batch", "smooth"):
        if getattr(spec, name) is not None:
            options[name] = getattr(spec, name)
    return options


@attrs.frozen(kw_only=True)
class VideoSpec:
    """Swap the face of SOURCE into the video TARGET and write OUTPUT.

    Frame rate, timestamps, frame count, rotation and audio are kept (audio is
    copied without re-encoding where the container allows). OUTPUT is written
    to a temporary file and renamed at the end; it is never half-written.

    \b
    Several targets (or a folder of videos) go into the OUTPUT folder, each
    under its own name (a.mov -> OUTPUT/a.mov; a suffix that names no
    container written here gets .mp4 added). Two videos with one output name,
    an output that would replace an input and an existing output (without
    --overwrite or --skip-existing) are refused with exit code 2 before any
    work. A video that cannot be read is reported (its Error line) and the
    others go on; the exit code is the first failure's (--fail-fast stops at
    once). --json prints one object per video, then {"summary": ...}.
    """

    target: Any = fields.option(
        "Input video (or, on the command line, a folder of videos; repeatable).",
        default=None,
        required=True,
        short="-t",
        media=True,
        repeatable=True,
        api_positional=True,
        api_aliases=("in_path",),
        rest_aliases=("video",),
    )
    source: Any = fields.source(api_positional=True, api_aliases=("src",))
    source_id: str | None = fields.option(
        "A source registered with POST /v1/sources (instead of the source file).", default=None
    )
    output: str | None = fields.output(
        "Output video (.mp4, .mov, .mkv, .webm...); on the command line, the folder for several.",
        required=True,
        api_positional=True,
        api_aliases=("out_path",),
    )
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
    detect_every: int | None = fields.detect_every()
    swap_batch: int | None = fields.swap_batch()
    smooth: str | None = fields.smooth()
    smooth_params: tuple[str, ...] = _smooth_params()
    codec: str | None = fields.option("Video encoder (default libx264).", default=None)
    crf: int | None = fields.option(
        "Constant quality (libx264: 18).", default=None, validator=video_crf
    )
    preset: str | None = fields.option("Encoder speed preset (libx264: veryfast).", default=None)
    pix_fmt: str | None = fields.option("Encoder pixel format (default yuv420p).", default=None)
    start: float | None = fields.option(
        "Start time (seconds or [HH:]MM:SS).",
        default=None,
        parse=parse_time,
        metavar="TIME",
        validator=at_least(0),
    )
    end: float | None = fields.option(
        "End time (seconds or [HH:]MM:SS).",
        default=None,
        parse=parse_time,
        metavar="TIME",
        validator=at_least(0),
    )
    audio: bool = fields.option("Keep audio and subtitle streams.", default=True)
    format: str = fields.option(
        "Container of the result.",
        default="mp4",
        choices=VIDEO_FORMATS,
        parse=_video_format,
    )
    overwrite: bool = fields.overwrite("Replace OUTPUT if it exists.")
    skip_existing: bool = fields.flag("Skip videos whose output exists (resume a set of videos).")
    fail_fast: bool = fields.flag("Stop at the first video that fails.")
    provenance: bool | None = fields.option(
        "Mark the file as AI-altered (default: pipeline.provenance).", default=None
    )
    progress: bool | None = fields.option(
        "Progress bar on stderr (default: when stderr is a terminal).", default=None
    )
    on_progress: Any = fields.option(
        "Called as on_progress(frames_done, frames_total) while the video is swapped.",
        default=None,
        api_type="Callable[[int, int | None], None] | None",
        api_aliases=("progress",),
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: each video\'s report when it is written, then {"summary": ...}.'
    )
    config: str | None = fields.config(
        "Config file or shipped config name; its pipeline section is used."
    )
    overrides: tuple[str, ...] = fields.overrides()
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()
    pipeline: Any = _pipeline()
    cluster: str | None = fields.cluster()
    workers: int | None = fields.workers()
    gpus_per_worker: float | None = fields.gpus_per_worker()

    def __attrs_post_init__(self) -> None:
        fields.check_cluster(self.cluster, self.workers, self.gpus_per_worker)
        if self.cluster is not None and self.pipeline is not None:
            raise RuleError(
                "{pipeline} lives in this process and {cluster} runs the video on a worker "
                "(which builds its pipeline from config, model and runtime); drop one of them"
            )
        fields.check_mask_options(self)
        face_selection(self.faces, self.reference)
        parse_smooth_params(self.smooth_params)

    @property
    def selection(self) -> str | None:
        return face_selection(self.faces, self.reference)

    def video_options(self) -> dict[str, Any]:
        """The ``pipeline.video`` overrides given: ``detect_every``, ``swap_batch``, ``smooth``
        and its params."""
        return video_overrides(self)

    def file_options(self) -> dict[str, Any]:
        """The keywords of ``swap_video`` (and of one video of ``swap_videos``) this spec
        sets besides the pipeline and :meth:`video_options`."""
        return {name: getattr(self, name) for name in FILE_OPTIONS}


@attrs.frozen(kw_only=True)
class StreamSpec:
    """Swap the source identity into a stream of frames, in order (detection every N frames,
    tracking in between)."""

    frames: Any = fields.option(
        "Frames: RGB arrays, (array, seconds) pairs, or decoded video frames.",
        default=None,
        required=True,
        api_positional=True,
        api_type="Iterable[Any]",
    )
    source: Any = fields.source(api_positional=True, api_aliases=("src",))
    source_id: str | None = fields.option(
        "A source registered with POST /v1/sources.", default=None, required=True
    )
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
    detect_every: int | None = fields.detect_every()
    swap_batch: int | None = fields.swap_batch()
    smooth: str | None = fields.smooth()
    smooth_params: tuple[str, ...] = _smooth_params()
    fps: float = fields.option(
        "Frame rate assumed for frames without timestamps.", default=25.0, validator=frame_rate
    )
    copy: bool = fields.option(
        "Paste into a copy of each frame (default) rather than into it.", default=True
    )
    format: str | None = fields.image_format(
        "Image format of the frames sent back (default jpg).", default=None
    )
    quality: int | None = fields.quality()
    config: str | None = fields.config(
        "Config file or shipped config name; its pipeline section is used."
    )
    overrides: tuple[str, ...] = fields.overrides()
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()
    pipeline: Any = _pipeline()

    def __attrs_post_init__(self) -> None:
        fields.check_mask_options(self)
        face_selection(self.faces, self.reference)
        parse_smooth_params(self.smooth_params)

    def video_options(self) -> dict[str, Any]:
        """The ``pipeline.video`` overrides given: ``detect_every``, ``swap_batch``, ``smooth``
        and its params."""
        return video_overrides(self)


VIDEO = Operation(
    "video",
    VideoSpec,
    cli=("video",),
    api="swap_video",
    rest=("POST /v1/jobs/video",),
    api_summary="Swap the identity of the largest face in source through the video target into "
    "output; returns the job's report (frames, frames/s, per-stage milliseconds, streams).",
    api_returns="VideoReport",
    api_var_keyword="options",
    api_var_keyword_help="deprecated: pipeline.video settings as keywords (beta=0.5); pass "
    "smooth_params or overrides=['pipeline.video.NAME=VALUE'].",
)


STREAM = Operation(
    "stream",
    StreamSpec,
    api="stream",
    rest=("GET /v1/stream",),
    api_summary="Swapped Frame objects, in order, for any iterable of RGB frames (detection "
    "every N frames, tracking in between).",
    api_returns="Iterator[Frame]",
    api_var_keyword="options",
    api_var_keyword_help="deprecated: pipeline.video settings as keywords (beta=0.5); pass "
    "smooth_params or overrides=['pipeline.video.NAME=VALUE'].",
)


__all__ = [
    "SMOOTH_PARAMS",
    "STREAM",
    "VIDEO",
    "VIDEO_FORMATS",
    "StreamSpec",
    "VideoSpec",
    "parse_smooth_params",
]
