"""``faceswap bench --video``: frames per second of the video path, end to end and streaming.

The clip is made here: the astronaut's face (scikit-image) on a blurred
background (the same frame as ``faceswap bench``, ``faces`` copies of it),
drifting a few pixels per frame so the tracker has real work, encoded with
PyAV as H.264 at 25 fps. The pipeline is the one every command reads
(``--config``, ``--set``, ``--model``, ``--runtime``, ``--providers``). The
source identity (the largest face of insightface's ``t1``) is prepared
once. Then:

- ``swap_video`` from the clip to a new file, once per ``detect_every``
  value (default 1 and 5): frames per second of wall time from the first
  decoded frame to the finished file, and the per-stage milliseconds;
- ``stream`` over the same frames already decoded into memory (what a camera
  loop sees), with ``detect_every`` 5 (or the one value given): frames per
  second. That is the record's ``fps``, which an edge profile checks
  (``--profile jetson --video``), with the runtime's facts and the peak GPU
  memory.

The JSON record (:func:`run_video_bench`)::

    {"schema": 1, "kind": "video", "size": "1280x720", "frames": 100, "fps_in": 25,
     "runs": [{"detect_every": 1, "fps": ..., "stages": {...}, "stages_mean": {...}}, ...],
     "stream": {"detect_every": 5, "fps": ..., "stages_mean": {...}},
     "fps": <the stream's>, "faces": 1, "runtime": {...}, "gpu": {...} | null,
     "model": "classic", "swapper": {"type": "classic", "precision": null, "max_batch": 1},
     "swap_batch": 4, "quality": {"pixel_boost", "mask", "enhancer", "enhance_blend"},
     "codec": "libx264", "preset": "veryfast",
     "device": "...", "threads": 2, "peak_rss_mb": ..., "versions": {...}}

``swapper`` says what swapped: its ``precision`` (an export's ``faceswap.precision``:
``fp32``, ``fp16``, ``int8``) and the most crops it swaps in one run (``max_batch``, 0 for
any); ``swap_batch`` is ``pipeline.video.swap_batch``, the most frames whose faces are
swapped together when they wait for the swapper.
"""

from __future__ import annotations

import math
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import cv2
import numpy as np

from faceswap_core.config.ranges import swap_batch_size
from faceswap_core.errors import ConfigError, NoFaceError
from faceswap_core.experiment.env import cpu_model, usable_cpus
from faceswap_core.interfaces import BatchSwapper
from faceswap_core.interfaces.face import Image
from faceswap_core.io.video.reader import VideoReader
from faceswap_core.io.video.writer import PRESET_CODECS, write_video
from faceswap_core.pipeline.image import Pipeline
from faceswap_core.pipeline.settings import QualityOptions
from faceswap_core.pipeline.stream import stream
from faceswap_core.pipeline.video import VIDEO_STAGES, swap_video
from faceswap_core.tools.bench import (
    BenchOptions,
    make_frame,
    package_versions,
    pipeline_config,
    quality_settings,
    runtime_facts,
)
from faceswap_core.tools.gpu import GpuMemoryMonitor
from faceswap_core.tools.samples import load_sample
from faceswap_core.vision.crop import crop_around
from faceswap_core.vision.selection import largest

SCHEMA_VERSION = 1
DEFAULT_FRAMES = 100
DEFAULT_DETECT_EVERY: tuple[int, ...] = (1, 5)
CLIP_FPS = 25
DRIFT_PX = 6.0
"""How far (pixels) the face drifts back and forth over the clip."""

__all__ = ["VideoBenchOptions", "make_clip", "print_table", "run_video_bench"]


@attrs.frozen
class VideoBenchOptions:
    """What to benchmark; mirrors ``faceswap bench --video``.

    :ivar faces: faces placed in every frame of the clip.
    :ivar detect_every: one ``swap_video`` run per value; the stream runs the last one
        (the default pair 1, 5 streams at 5).
    :ivar swap_batch: ``pipeline.video.swap_batch`` of every run (``None``: the config's).
    :ivar quality: ``--pixel-boost``, ``--mask``, ``--enhancer``... over the config's.
    """

    width: int = 1280
    height: int = 720
    frames: int = DEFAULT_FRAMES
    detect_every: tuple[int, ...] = DEFAULT_DETECT_EVERY
    model: str | None = None
    model_path: str | None = None
    config: str | None = None
    codec: str = "libx264"
    faces: int = 1
    runtime: str | Mapping[str, Any] | None = None
    providers: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()
    swap_batch: int | None = attrs.field(default=None, validator=swap_batch_size)
    quality: QualityOptions = attrs.Factory(QualityOptions)

    def __attrs_post_init__(self) -> None:
        if not 10 <= self.frames <= 10_000:
            raise ConfigError(f"video bench frames {self.frames} is out of range; use 10..10000")
        if not self.detect_every or min(self.detect_every) < 1:
            raise ConfigError("video bench --detect-every values must be 1 or more")
        # the same size and face-count checks as the image bench
        BenchOptions(width=self.width, height=self.height, faces=self.faces)

    @property
    def stream_detect_every(self) -> int:
        """``detect_every`` of the stream run: the last value (5 of the default 1 and 5)."""
        return self.detect_every[-1]

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


def make_clip(path: Path, pipeline: Pipeline, options: VideoBenchOptions) -> Path:
    """The benchmark clip: one real face on a blurred background, drifting, H.264 at 25 fps."""
    person = load_sample("astronaut")
    found = largest(pipeline.detector.detect(person))
    if found is None:
        raise NoFaceError("video bench: the detector found no face in the astronaut sample image")
    base = make_frame(
        person, crop_around(person, found), options.width, options.height, options.faces
    )

    def frames() -> Iterator[Image]:
        for index in range(options.frames):
            phase = 2 * math.pi * index / options.frames
            shift = np.array(
                [[1, 0, DRIFT_PX * math.sin(phase)], [0, 1, DRIFT_PX / 2 * math.cos(phase)]]
            )
            yield np.asarray(
                cv2.warpAffine(
                    base, shift, (options.width, options.height), borderMode=cv2.BORDER_REFLECT
                ),
                dtype=np.uint8,
            )

    return write_video(path, frames(), fps=CLIP_FPS, codec=options.codec, crf=18)


def _decoded(path: Path) -> list[Image]:
    with VideoReader(path) as reader:
        return [frame.image for frame in reader]


def run_video_bench(
    options: VideoBenchOptions,
    *,
    plugins: Any = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the video benchmark and return its JSON record (schema in the module docstring)."""
    with GpuMemoryMonitor() as gpu:
        record = _run(options, plugins, progress)
    record["gpu"] = gpu.record()
    return record


def _run(
    options: VideoBenchOptions, plugins: Any, progress: Callable[[str], None] | None
) -> dict[str, Any]:
    config = pipeline_config(
        BenchOptions(
            model=options.model,
            model_path=options.model_path,
            config=options.config,
            runtime=options.runtime,
            providers=options.providers,
            overrides=options.overrides,
            quality=options.quality,
        )
    )
    if options.swap_batch is not None:
        video = attrs.evolve(config.video, swap_batch=options.swap_batch)
        config = attrs.evolve(config, video=video)
    pipeline = Pipeline(config, plugins)
    identity = pipeline.prepare_source(load_sample("t1"), announce=False)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="faceswap-video-bench-") as folder:
        clip = make_clip(Path(folder) / "clip.mp4", pipeline, options)
        for every in options.detect_every:
            if progress is not None:
                progress(f"swap_video --detect-every {every}")
            report = swap_video(
                clip, identity, Path(folder) / f"out-{every}.mp4", pipeline=pipeline,
                detect_every=every, codec=options.codec, overwrite=True,
            )  # fmt: skip
            runs.append(
                {
                    "detect_every": every,
                    "fps": report.fps,
                    "seconds": report.seconds,
                    "frames_swapped": report.frames_swapped,
                    "stages": report.stages,
                    "stages_mean": report.stages_mean,
                }
            )
        streamed = options.stream_detect_every
        if progress is not None:
            progress(f"stream --detect-every {streamed}")
        frames = _decoded(clip)
    start = time.perf_counter()
    totals: dict[str, float] = {}
    swapped = 0
    for frame in stream(frames, identity, pipeline=pipeline, detect_every=streamed):
        swapped += bool(frame.swapped)
        for stage, value in frame.timings.items():
            totals[stage] = totals.get(stage, 0.0) + value
    seconds = time.perf_counter() - start
    count = len(frames)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stream_fps = round(count / seconds, 3) if seconds > 0 else None
    return {
        "schema": SCHEMA_VERSION,
        "kind": "video",
        "size": options.size,
        "frames": count,
        "fps_in": CLIP_FPS,
        "faces": options.faces,
        "runs": runs,
        "stream": {
            "detect_every": streamed,
            "fps": stream_fps,
            "frames_swapped": swapped,
            "stages_mean": {k: round(v / count, 3) for k, v in totals.items()},
        },
        "fps": stream_fps,
        "runtime": runtime_facts(pipeline),
        "model": str(config.swapper.get("type")),
        "swapper": _swapper_facts(pipeline),
        "swap_batch": pipeline.config.video.swap_batch,
        "quality": quality_settings(pipeline.config),
        "codec": options.codec,
        "preset": PRESET_CODECS.get(options.codec),
        "device": cpu_model(),
        "threads": usable_cpus(),
        "peak_rss_mb": round(peak / 1024 if sys.platform != "darwin" else peak / 2**20, 1),
        "versions": package_versions(),
    }


def _swapper_facts(pipeline: Pipeline) -> dict[str, Any]:
    swapper = pipeline.swapper
    session = getattr(swapper, "session", None)
    metadata = getattr(session, "metadata", None) or {}
    return {
        "type": str(pipeline.config.swapper.get("type")),
        "precision": metadata.get("faceswap.precision"),
        "max_batch": swapper.max_batch if isinstance(swapper, BatchSwapper) else 1,
    }


def _quality_title(quality: Mapping[str, Any]) -> str:
    """``, pixel boost 256, enhancer gfpgan_1.4`` for the options that are on."""
    parts = []
    if quality.get("pixel_boost"):
        parts.append(f"pixel boost {quality['pixel_boost']}")
    if quality.get("enhancer"):
        parts.append(f"enhancer {quality['enhancer']}")
    return "".join(f", {part}" for part in parts)


def print_table(record: dict[str, Any], stages: Sequence[str] = VIDEO_STAGES) -> None:
    """The record as a table: one column per run, a row per stage (ms per frame), FPS last."""
    from rich.console import Console
    from rich.table import Table

    precision = (record.get("swapper") or {}).get("precision")
    table = Table(
        title=f"faceswap bench --video {record['size']} @ {record['fps_in']} fps, "
        f"{record['frames']} frames, {record.get('faces', 1)} face(s), {record['model']}"
        + (f" ({precision})" if precision else "")
        + f", swap batch up to {record.get('swap_batch', 1)}"
        + _quality_title(record.get("quality") or {})
    )
    table.add_column("ms per frame")
    for run in record["runs"]:
        table.add_column(f"video\nevery {run['detect_every']}", justify="right")
    table.add_column(f"stream\nevery {record['stream']['detect_every']}", justify="right")
    columns = [run["stages_mean"] for run in record["runs"]] + [record["stream"]["stages_mean"]]
    for stage in stages:
        table.add_row(stage, *(f"{col[stage]:.2f}" if stage in col else "-" for col in columns))
    fps = [run["fps"] for run in record["runs"]] + [record["stream"]["fps"]]
    table.add_row("[bold]FPS[/]", *(f"[bold]{value:.1f}[/]" for value in fps))
    console = Console()
    console.print(table)
    console.print(
        "Columns: the video file job and the stream on decoded frames, detecting every N "
        "frames. Stages overlap in threads (decode | analyse | swap+paste | encode), so FPS "
        "is above 1000 / (sum of stages)."
    )
    console.print(
        f"codec {record['codec']} ({record['preset']}), device {record['device']}, "
        f"{record['threads']} threads, peak RSS {record['peak_rss_mb']} MB"
    )
    versions = ", ".join(f"{k} {v}" for k, v in record["versions"].items() if v)
    console.print(f"versions: {versions}", soft_wrap=True)
