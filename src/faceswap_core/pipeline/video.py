"""The video file job: decode -> :func:`~faceswap_core.pipeline.stream.stream` -> encode.

``faceswap video`` and ``faceswap.swap_video`` both run :func:`swap_video`.
Frames are decoded in one thread, analysed and swapped in the stream's two
threads, and encoded in the caller's thread, with a few frames in flight
between them. Frame timestamps (variable rates included), the frame count,
the display rotation and the audio (copied packet for packet where the output
container takes its codec) are kept.

The output is written to a hidden temporary file next to it and renamed
only when the whole video is done: an error, Ctrl-C, SIGTERM or SIGHUP leaves
no partial file, and an existing file is replaced only with
``overwrite=True`` (without it the rename cannot replace a file that appeared
meanwhile). Devices, FIFOs, sockets and symbolic links are never outputs. The
container is marked with the swapper's IPTC digital source type (as images
are) when at least one face was swapped; with a signer configured
(``pipeline.c2pa``) the finished temporary file is also signed with a C2PA
manifest before it is renamed, so a signed output is never seen unsigned. Only
containers C2PA can embed a manifest in (MP4, MOV, M4V, AVI) are signed; asking
to sign a Matroska or WebM output is refused before any work.

:func:`swap_videos` runs several videos on a
:class:`~faceswap_core.interfaces.WorkRunner` (this process, or one video per
cluster task): this process checks every output and option first, reads each
input, a worker runs :func:`swap_video` on it (:class:`VideoWork`, the pipeline
built once per worker), and this process writes each result atomically, under
the same no-clobber rule. A video that fails for its own reason (damaged, no
video stream, an output that appeared meanwhile) is reported and the others go
on.

``faceswap video`` with several targets or a folder plans them with
:func:`plan_videos` (the naming and refusal rules of image batches,
:func:`~faceswap_core.pipeline.batch.plan_outputs`), checks them with
:func:`check_videos`, and runs them with :func:`run_videos` (one after another on
one loaded pipeline) or, on a cluster, with :func:`swap_videos`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np

from faceswap_core.config.ranges import check_value, video_crf
from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import (
    ConfigError,
    FaceswapError,
    InputError,
    InvalidImageError,
    InvalidVideoError,
    OutputPathError,
    error_named,
)
from faceswap_core.interfaces.jobs import ItemProgress, WorkRunner
from faceswap_core.io.atomic import atomic_path, atomic_write_bytes, refuse_special
from faceswap_core.io.provenance import VIDEO_MIME_TYPES, video_tags
from faceswap_core.io.read import FileBytes, read_file_bytes
from faceswap_core.io.video.containers import VIDEO_SUFFIXES
from faceswap_core.io.video.orientation import stored, upright
from faceswap_core.io.video.reader import DecodedFrame, VideoReader
from faceswap_core.io.video.remux import remux
from faceswap_core.io.video.writer import CRF_CODECS, PRESET_CODECS, VideoWriter, check_preset
from faceswap_core.pipeline.batch import (
    BatchItem,
    BatchPlan,
    check_resume_flags,
    expand_targets,
    plan_outputs,
)
from faceswap_core.pipeline.image import (
    ImageInput,
    Pipeline,
    SourceIdentity,
    check_threshold,
    unchanged_note,
)
from faceswap_core.pipeline.item_progress import item_reporter
from faceswap_core.pipeline.stream import STREAM_STAGES, stream
from faceswap_core.plugin.manager import FaceswapPlugins, loaded_distributions

VIDEO_STAGES: tuple[str, ...] = ("decode", *STREAM_STAGES, "encode")
"""Stages a video job reports, in order."""

Progress = Callable[[int, int | None], None]
"""Called after each written frame with (frames done, expected total or None)."""


@attrs.frozen
class VideoReport:
    """What a video job did (``faceswap video --json`` prints :meth:`to_dict`).

    :ivar frames_in: frames decoded.
    :ivar frames_out: frames written (equal to ``frames_in``).
    :ivar frames_with_faces: frames where at least one face was tracked.
    :ivar frames_swapped: frames where at least one face was swapped.
    :ivar frames_skipped: damaged frames the decoder rejected, skipped.
    :ivar truncated: reading stopped early at unreadable data.
    :ivar tracks: distinct face tracks seen.
    :ivar fps: frames written per second of wall time, from the first decoded frame
        to the finished file (models are loaded and the source prepared before).
    :ivar seconds: that wall time; ``setup_seconds``: loading models, preparing the source.
    :ivar stages: median milliseconds of each stage over the frames where it ran.
    :ivar stages_mean: milliseconds of each stage per frame, averaged over all frames.
    :ivar streams: what happened to each audio / subtitle stream (copy, encode, drop).
    :ivar provenance: whether the file is marked with the swapper's IPTC source type.
    :ivar signed: whether it also carries a signed C2PA manifest.
    :ivar warning: why the video came out unchanged (no face found, or none selected:
        a reference that never matched), as ``faceswap swap`` says it for an image.
    """

    input: str
    output: str
    frames_in: int
    frames_out: int
    frames_with_faces: int
    frames_swapped: int
    frames_skipped: int
    truncated: bool
    tracks: int
    fps: float
    seconds: float
    setup_seconds: float
    stages: dict[str, float]
    stages_mean: dict[str, float]
    streams: list[dict[str, Any]]
    width: int
    height: int
    rotation: int
    codec: str
    provenance: bool
    signed: bool = False
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def check_output(
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    overwrite: bool,
) -> Path:
    """Refuse an output that would replace the input, a folder, a device, FIFO, socket or
    symbolic link, or (without ``overwrite``) an existing file, or that has no video
    suffix; checked before any model loads."""
    out = Path(output)
    refuse_special(out)
    if out.suffix.lower() not in VIDEO_SUFFIXES:
        raise ConfigError(
            f"output {os.fspath(out)!r} needs a video suffix: {', '.join(VIDEO_SUFFIXES)}"
        )
    if out.is_dir():
        raise ConfigError(f"output {os.fspath(out)!r} is a folder; pass a file name")
    source = Path(input_path)
    if out.exists() and source.exists() and os.path.samefile(out, source):
        raise ConfigError(f"output {os.fspath(out)!r} is the input video; write to another file")
    if os.path.lexists(out) and not overwrite:
        raise OutputPathError(
            f"output {os.fspath(out)!r} exists; pass --overwrite (overwrite=True) to replace it"
        )
    return out


def _check_encoder_options(codec: str | None, crf: int | None, preset: str | None) -> None:
    check_value("crf", crf, video_crf)
    check_preset(preset)
    if codec is None:
        return
    if crf is not None and codec not in CRF_CODECS:
        raise ConfigError(f"--crf applies to {', '.join(CRF_CODECS)}; encoder {codec} has none")
    if preset is not None and codec not in PRESET_CODECS:
        raise ConfigError(
            f"--preset applies to {', '.join(PRESET_CODECS)}; encoder {codec} has none"
        )


class _Frames:
    """Decoded frames, upright, for the stream; keeps each frame's timestamp and packets."""

    def __init__(self, reader: VideoReader) -> None:
        self.reader = reader
        self.rotation = reader.info.rotation
        self.fps = float(reader.info.fps or 25)
        self.side: dict[int, tuple[DecodedFrame, float]] = {}

    def __iter__(self) -> Iterator[tuple[Any, float]]:
        frames = iter(self.reader)
        while True:
            start = time.perf_counter()
            decoded = next(frames, None)
            if decoded is None:
                return
            image = upright(decoded.image, self.rotation)
            self.side[decoded.index] = (decoded, (time.perf_counter() - start) * 1000.0)
            yield image, decoded.time if decoded.time is not None else decoded.index / self.fps


def _summaries(
    samples: Mapping[str, list[float]], frames: int
) -> tuple[dict[str, float], dict[str, float]]:
    medians = {k: round(float(np.median(v)), 3) for k, v in samples.items() if v}
    means = {k: round(float(np.sum(v)) / max(frames, 1), 3) for k, v in samples.items() if v}
    return medians, means


def swap_video(
    input_path: str | os.PathLike[str],
    source: ImageInput | SourceIdentity,
    output: str | os.PathLike[str],
    *,
    pipeline: Pipeline | None = None,
    faces: str | None = None,
    reference: ImageInput | None = None,
    threshold: float | None = None,
    overwrite: bool = False,
    codec: str | None = None,
    crf: int | None = None,
    preset: str | None = None,
    pix_fmt: str | None = None,
    start: float | None = None,
    end: float | None = None,
    audio: bool = True,
    provenance: bool | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> VideoReport:
    """Swap ``source``'s identity through a whole video file; returns a :class:`VideoReport`.

    :param faces: ``all``, ``largest`` or ``reference`` (decided per track).
    :param reference: image of the person to replace (implies ``faces="reference"``).
    :param overwrite: replace an existing ``output``.
    :param codec: video encoder (default libx264 where the container takes H.264).
    :param crf: constant quality (libx264 default 18); ``preset``: x264 speed preset.
    :param start: first second to keep; ``end``: second to stop at.
    :param audio: keep audio and subtitle streams (copied where the container allows).
    :param provenance: mark the file with the swapper's source type (default: the
        pipeline config's); with a signer configured it cannot be turned off.
    :param options: :class:`~faceswap_core.config.schema.VideoConfig` overrides
        (``detect_every``, ``smooth``, ``min_cutoff``, ``beta``, ...).
    :raises InvalidVideoError: the input is empty, not a video, truncated or has
        no video stream; no frame decodes.
    :raises NoFaceError: the source image has no face.
    :raises ConfigError: bad options, or the output exists without ``overwrite``.
    :raises SignerError: a signer is configured and the output's container cannot
        carry a C2PA manifest (before any work), or signing failed (nothing written).
    """
    started = time.perf_counter()
    out = check_output(input_path, output, overwrite=overwrite)
    check_threshold(threshold)
    _check_encoder_options(codec, crf, preset)
    pipe = pipeline if pipeline is not None else Pipeline()
    limits = pipe.config.limits
    mark = pipe.config.provenance if provenance is None else provenance
    wanted_mark = mark
    signer = pipe.signer
    mime = VIDEO_MIME_TYPES.get(out.suffix.lower(), "video/unknown")
    if signer is not None:
        if not mark:
            raise ConfigError(
                "provenance is off but pipeline.c2pa configures a signer: signed outputs carry "
                "provenance; drop --no-provenance or unset pipeline.c2pa"
            )
        signer.check_format(mime, f"output {os.fspath(out)!r}")
    with VideoReader(
        input_path, start=start, end=end, max_pixels=limits.max_pixels, copy_streams=audio
    ) as reader:
        info = reader.info
        identity = pipe.prepare_source(source)
        feed = _Frames(reader)
        frames = stream(
            feed,
            identity,
            pipeline=pipe,
            faces=faces,
            reference=reference,
            threshold=threshold,
            fps=float(info.fps or 25),
            copy=False,
            **options,
        )
        tags = dict(info.metadata)
        if mark:  # ours replace the input's provenance tags, whatever their case
            ours = video_tags(
                model=str(pipe.config.swapper.get("type")), digital_source_type=pipe.source_type
            )
            tags = {k: v for k, v in tags.items() if k.lower() not in ours} | ours
        samples: dict[str, list[float]] = {stage: [] for stage in VIDEO_STAGES}
        setup = time.perf_counter() - started
        started = time.perf_counter()
        counts = {"faces": 0, "swapped": 0}
        tracks: set[int] = set()
        with atomic_path(out, replace=overwrite) as temp, contextlib.closing(frames):
            writer = VideoWriter(
                temp,
                width=info.width,
                height=info.height,
                fps=info.fps or Fraction(25),
                time_base=info.time_base,
                codec=codec,
                crf=crf,
                preset=preset,
                pix_fmt=pix_fmt,
                rotation=info.rotation,
                streams=reader.streams,
                metadata=tags,
            )
            with writer:
                for frame in frames:
                    decoded, decode_ms = feed.side.pop(frame.index)
                    begin = time.perf_counter()
                    writer.write(stored(frame.image, info.rotation), decoded.pts, decoded.packets)
                    samples["encode"].append((time.perf_counter() - begin) * 1000.0)
                    samples["decode"].append(decode_ms)
                    for stage, value in frame.timings.items():
                        if value > 0:
                            samples.setdefault(stage, []).append(value)
                    counts["faces"] += bool(frame.faces)
                    counts["swapped"] += bool(frame.swapped)
                    tracks.update(f.track_id for f in frame.faces if f.track_id is not None)
                    if progress is not None:
                        progress(writer.frames, info.frames)
                if writer.frames == 0:
                    raise InvalidVideoError(
                        f"cannot decode {reader.label}: no frame could be decoded"
                        + (" in the chosen --start/--end range" if start or end else "")
                    )
                writer.close(reader.tail_packets)
            if mark and counts["swapped"] == 0:
                # Nothing was changed: the output is not an AI composite, so it is not marked.
                remux(temp, dict(info.metadata))
                mark = False
            if mark and signer is not None:  # signed before the rename: never seen unsigned
                signer.sign_file(temp, mime, pipe.mark(target=Path(input_path), source=identity))
        frames_out = writer.frames
        skipped, truncated = reader.skipped, reader.truncated
    seconds = time.perf_counter() - started
    medians, means = _summaries(samples, frames_out)
    return VideoReport(
        input=os.fspath(input_path),
        output=os.fspath(out),
        frames_in=frames_out,
        frames_out=frames_out,
        frames_with_faces=counts["faces"],
        frames_swapped=counts["swapped"],
        frames_skipped=skipped,
        truncated=truncated,
        tracks=len(tracks),
        fps=round(frames_out / seconds, 3) if seconds > 0 else 0.0,
        seconds=round(seconds, 3),
        setup_seconds=round(setup, 3),
        stages=medians,
        stages_mean=means,
        streams=[report.to_dict() for report in writer.reports],
        width=info.width,
        height=info.height,
        rotation=info.rotation,
        codec=writer.codec,
        provenance=mark,
        signed=mark and signer is not None,
        warning=unchanged_note(
            f"video {os.fspath(input_path)!r}",
            found=counts["faces"] > 0,
            changed=counts["swapped"] > 0,
            marked=bool(wanted_mark),
        ),
    )


VIDEO_FAILURES: tuple[type[FaceswapError], ...] = (InputError, InvalidVideoError, InvalidImageError)
"""Errors that fail one video of a set and let the others go on."""

SET_FAILURES: tuple[type[FaceswapError], ...] = (*VIDEO_FAILURES, OutputPathError)
"""Those and an output that appeared since the plan (:func:`run_videos`; :func:`swap_videos`
reports it when it writes)."""


@attrs.frozen
class VideoTask:
    """One video as a worker gets it: its bytes (read by the driver) and where it will go."""

    input: FileBytes
    output: str


@attrs.frozen
class VideoRecord:
    """What happened to one video of a set (:func:`swap_videos`).

    :ivar report: the job's :class:`VideoReport` when it is done.
    :ivar status: ``skipped`` when the output exists and ``skip_existing`` keeps it.
    :ivar error: the one-line reason of a failure; ``exit_code`` its code.
    """

    input: str
    output: str
    status: Literal["done", "failed", "skipped"]
    report: VideoReport | None = None
    exit_code: int = 0
    error: str | None = None
    data: bytes | None = attrs.field(default=None, repr=False)
    error_type: str | None = None

    def raise_failure(self) -> VideoReport:
        """The report of a done video; a failed one raises its error as :func:`swap_video` would
        (the same class and exit code)."""
        if self.status == "done" and self.report is not None:
            return self.report
        raise error_named(self.error_type, self.error or "the video failed", self.exit_code)

    def to_dict(self) -> dict[str, Any]:
        if self.report is not None:
            return {"status": self.status, **self.report.to_dict()}
        if self.status == "skipped":
            return {"input": self.input, "output": self.output, "status": self.status}
        return {
            "input": self.input,
            "output": self.output,
            "status": self.status,
            "exit_code": self.exit_code,
            "error": self.error,
        }


@attrs.frozen
class VideoWork:
    """:func:`swap_video` on a worker, for :class:`VideoTask` items (picklable).

    Each video reports its frames to the runner's reporter when there is one
    (:func:`~faceswap_core.pipeline.item_progress.item_reporter`).

    :ivar options: :func:`swap_video`'s keywords (``faces``, ``codec``, ``crf``,
        ``detect_every``...), except the paths, ``pipeline`` and ``overwrite``.
    """

    pipeline: PipelineConfig
    source: FileBytes | bytes | SourceIdentity
    options: Mapping[str, Any] = attrs.field(factory=dict)
    plugins: tuple[str, ...] | None = None

    def start(self) -> Callable[[VideoTask], VideoRecord]:
        pipeline = Pipeline(self.pipeline, FaceswapPlugins(only=self.plugins))
        identity = pipeline.prepare_source(self.source)
        reference = self.options.get("reference")
        if reference is not None:
            pipeline.reference_embedding(reference)

        def run(task: VideoTask) -> VideoRecord:
            reporter, own = item_reporter(), self.options.get("progress")
            if reporter is None:
                return run_video_task(pipeline, identity, task, self.options)

            def progress(done: int, total: int | None) -> None:
                if own is not None:
                    own(done, total)
                reporter(done, total)

            return run_video_task(pipeline, identity, task, {**self.options, "progress": progress})

        return run


def run_video_task(
    pipeline: Pipeline, identity: SourceIdentity, task: VideoTask, options: Mapping[str, Any]
) -> VideoRecord:
    """Swap one shipped video in a private folder; messages name the driver's paths.

    ``options`` are :func:`swap_video`'s keywords (``progress`` included), so
    a job that reports progress or can be cancelled runs through here too.
    """
    name = Path(task.input.path).name
    with tempfile.TemporaryDirectory(prefix="faceswap-video-") as folder:
        local_in = Path(folder) / "in" / name
        local_out = Path(folder) / "out" / f"video{Path(task.output).suffix}"
        local_in.parent.mkdir()
        try:
            local_in.write_bytes(task.input.read())
            report = swap_video(local_in, identity, local_out, pipeline=pipeline, **options)
        except VIDEO_FAILURES as exc:
            text = str(exc).replace(os.fspath(local_in), task.input.path)
            text = text.replace(os.fspath(local_out), task.output)
            return VideoRecord(
                task.input.path,
                task.output,
                "failed",
                exit_code=exc.exit_code,
                error=text,
                error_type=type(exc).__name__,
            )
        data = local_out.read_bytes()
    report = attrs.evolve(report, input=task.input.path, output=task.output)
    return VideoRecord(task.input.path, task.output, "done", report, data=data)


def swap_videos(
    runner: WorkRunner,
    videos: Sequence[tuple[str | os.PathLike[str], str | os.PathLike[str]]],
    source: str | os.PathLike[str],
    *,
    pipeline: PipelineConfig | None = None,
    plugins: FaceswapPlugins | None = None,
    overwrite: bool = False,
    item_progress: ItemProgress | None = None,
    **options: Any,
) -> Iterator[VideoRecord]:
    """Swap ``source`` into each ``(input, output)`` video on ``runner``; records in order.

    ``item_progress(index, frames_done, frames_total)`` is called here while
    the video at ``index`` runs (the videos run at once on several workers).

    Every output is checked before any work (:func:`check_output`: a clash,
    a device, FIFO, socket or symbolic link, an existing file without
    ``overwrite``), and so are the threshold and encoder options; two videos
    may not share an output. Each output is written atomically by this process
    when its video is done; without ``overwrite`` that write cannot replace a
    file that appeared meanwhile (the video is reported failed, exit code 2,
    and the file kept). ``options`` are :func:`swap_video`'s (``faces``,
    ``codec``...).
    """
    outputs = [check_output(i, o, overwrite=overwrite) for i, o in videos]
    check_threshold(options.get("threshold"))
    _check_encoder_options(options.get("codec"), options.get("crf"), options.get("preset"))
    seen: dict[str, str] = {}
    for (given, _), out in zip(videos, outputs, strict=True):
        key = os.path.normcase(os.path.abspath(out))
        if key in seen:
            raise ConfigError(
                f"videos {seen[key]} and {os.fspath(given)} would both be written to {out}; "
                "give each its own output"
            )
        seen[key] = os.fspath(given)
    config = pipeline or PipelineConfig()
    limit = config.limits.max_bytes
    if isinstance(options.get("reference"), str | os.PathLike):
        options["reference"] = read_file_bytes(options["reference"], "reference", limit)
    work = VideoWork(
        config,
        read_file_bytes(source, "source", limit),
        options,
        None if plugins is None else loaded_distributions(plugins),
    )
    tasks = (
        VideoTask(read_file_bytes(given, "video", 1 << 40, kind="a video file"), os.fspath(out))
        for (given, _), out in zip(videos, outputs, strict=True)
    )
    for record in runner.map(work, tasks, large=True, progress=item_progress):
        if record.data is None:
            yield record
            continue
        try:
            atomic_write_bytes(record.output, record.data, replace=overwrite)
        except OutputPathError as exc:  # a file appeared there since the check: it is kept
            yield VideoRecord(
                record.input,
                record.output,
                "failed",
                exit_code=exc.exit_code,
                error=str(exc),
                error_type=type(exc).__name__,
            )
            continue
        yield attrs.evolve(record, data=None)


DEFAULT_CONTAINER = ".mp4"
"""The container of an output whose input's suffix names none :func:`swap_video` writes."""


def plan_videos(
    targets: Sequence[str | os.PathLike[str]],
    folder: str | os.PathLike[str],
    *,
    inputs: Sequence[str | os.PathLike[str]] = (),
    overwrite: bool = False,
    skip_existing: bool = False,
) -> BatchPlan:
    """Several videos (files or folders of files with a video suffix) into ``folder``.

    Each output keeps its input's name (``a.mov`` -> ``OUT/a.mov``: the same
    container); an input whose suffix names no container :func:`swap_video`
    writes gets ``.mp4`` added (``a.ts`` -> ``OUT/a.ts.mp4``). The refusals are
    :func:`~faceswap_core.pipeline.batch.plan_batch`'s, before any work: two
    videos with one output name, an output replacing an input, an output folder
    inside an input folder (without ``overwrite``), an existing output (without
    ``overwrite`` or ``skip_existing``), a device, FIFO, socket or symbolic link.
    """
    check_resume_flags(overwrite, skip_existing)
    files, folders, _ = expand_targets([Path(t) for t in targets], VIDEO_SUFFIXES, noun="videos")
    names = [
        f.name if f.suffix.lower() in VIDEO_SUFFIXES else f.name + DEFAULT_CONTAINER for f in files
    ]
    return plan_outputs(
        files,
        folders,
        Path(folder),
        names,
        [Path(name).suffix.lower().lstrip(".") for name in names],
        inputs=[Path(i) for i in inputs],
        overwrite=overwrite,
        skip_existing=skip_existing,
    )


def check_videos(plan: BatchPlan, pipeline: Pipeline, options: Mapping[str, Any]) -> None:
    """What :func:`swap_video` would refuse for every video of ``plan``, checked before the
    first runs: the threshold, the encoder options, and a signer's output containers."""
    check_threshold(options.get("threshold"))
    _check_encoder_options(options.get("codec"), options.get("crf"), options.get("preset"))
    signer = pipeline.signer
    if signer is None or options.get("provenance") is False:
        return  # (provenance off with a signer is refused by the first video, before any work)
    for item in plan.items:
        mime = VIDEO_MIME_TYPES.get(item.output.suffix.lower(), "video/unknown")
        signer.check_format(mime, f"output {os.fspath(item.output)!r}")


def run_videos(
    pipeline: Pipeline,
    source: ImageInput | SourceIdentity,
    plan: BatchPlan,
    *,
    progress: Callable[[BatchItem], Progress | None] | None = None,
    **options: Any,
) -> Iterator[VideoRecord]:
    """The videos of ``plan`` one after another in this process, on one loaded pipeline.

    A video that fails for its own reason (damaged, no video stream, an output
    that appeared meanwhile) is a failed record and the next one runs; a
    skipped item is a ``skipped`` record. ``options`` are :func:`swap_video`'s
    but ``overwrite`` (the plan's); :func:`check_videos` checks them first.

    :param progress: the frame callback for each video (``None``: none).
    """
    identity = pipeline.prepare_source(source)
    for item in plan.items:
        given, out = os.fspath(item.target), os.fspath(item.output)
        if item.skip:
            yield VideoRecord(given, out, "skipped")
            continue
        try:
            report = swap_video(
                item.target,
                identity,
                item.output,
                pipeline=pipeline,
                overwrite=plan.overwrite,
                progress=None if progress is None else progress(item),
                **options,
            )
        except SET_FAILURES as exc:
            yield VideoRecord(
                given,
                out,
                "failed",
                exit_code=exc.exit_code,
                error=str(exc),
                error_type=type(exc).__name__,
            )
            continue
        yield VideoRecord(given, out, "done", report)


__all__ = [
    "DEFAULT_CONTAINER",
    "VIDEO_FAILURES",
    "VIDEO_STAGES",
    "VideoRecord",
    "VideoReport",
    "VideoTask",
    "VideoWork",
    "check_output",
    "check_videos",
    "plan_videos",
    "run_video_task",
    "run_videos",
    "swap_video",
    "swap_videos",
]
