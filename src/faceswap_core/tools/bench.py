"""``faceswap bench``: per-stage latency of the swap pipeline on a real face.

The frame is synthetic but the face is not: the astronaut's face (scikit-image)
is cropped around its detection, scaled to a realistic size and placed
``faces`` times on a blurred background of the requested size. The source
identity (the largest face of insightface's ``t1`` group photo) is prepared
once, as in video, so the numbers are per-frame costs. The frame is encoded
to JPEG once; each iteration decodes those bytes, swaps and encodes again.

The JSON record (:func:`run_bench`) is a stable schema that later benchmarks
extend, never change::

    {"schema": 1,
     "stages": {"decode": {"p50_ms", "p95_ms", "p99_ms", "mean_ms"}, "detect": ..., ...},
     "total": {"p50_ms", "p95_ms", "p99_ms", "mean_ms"}, "fps": float,
     "size": "1280x720", "faces": 1, "faces_found": 1, "repeat": 20, "warmup": 3,
     "model": "classic", "device": "...", "threads": 16, "peak_rss_mb": float,
     "providers": [...], "versions": {"numpy": ..., "opencv": ..., ...},
     "runtime": {"runtime": "onnxruntime", "active": [...], "fallback": false, ...},
     "cold": {"setup_ms": float, "first_frame_ms": float},
     "gpu": {"device", "peak_memory_mb", "method"} | null, "detect_every": 1,
     "reference": {"name", "repeat", "p50_ms", ...},
     "quality": {"pixel_boost", "mask", "enhancer", "enhance_blend",
                 "per_face_ms": {"align", "swap", "mask", "paste", "enhance"}}}

With ``detect_every`` N > 1 the frames run the stream's stages (detection on
every Nth frame, tracking in between: :class:`~faceswap_core.pipeline.stream.FrameAnalyser`
and :class:`~faceswap_core.pipeline.stream.FramePainter`), and ``stages`` also
holds ``track`` and ``select``.

``stages``/``total``/``fps`` are warm numbers (after ``warmup`` frames);
``cold`` is what a fresh process pays: building the pipeline and loading
every model (engine builds and deserialisation included) plus the first
frame. Edge profiles (``--profile jetson``, :mod:`faceswap_core.tools.profiles`)
check a record against their budgets.

``reference`` times a fixed workload between iterations, so
:mod:`faceswap_core.tools.bench_compare` can compare runs on different machines.

The nox ``bench`` session runs ``faceswap bench --size 1280x720 --faces 1
--repeat 30 --warmup 3 --output work_dirs/bench/bench.json`` (see
:data:`NOX_BENCH_ARGS`): the table on screen, the JSON record in the file.
"""

from __future__ import annotations

import itertools
import math
import platform
import re
import resource
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

import attrs
import numpy as np

from faceswap_core.config.schema import PipelineConfig
from faceswap_core.errors import ConfigError, NoFaceError
from faceswap_core.experiment.env import cpu_model, usable_cpus
from faceswap_core.interfaces import DescribedRuntime
from faceswap_core.interfaces.face import Image
from faceswap_core.io.decode import decode
from faceswap_core.io.encode import encode
from faceswap_core.pipeline.image import Pipeline, SourceIdentity
from faceswap_core.pipeline.settings import QualityOptions, resolved_pipeline
from faceswap_core.pipeline.stream import FrameAnalyser, FramePainter, video_config
from faceswap_core.pipeline.timing import percentiles
from faceswap_core.tools.bench_compare import reference_record, reference_workload
from faceswap_core.tools.gpu import GpuMemoryMonitor
from faceswap_core.tools.samples import load_sample
from faceswap_core.vision.crop import crop_around
from faceswap_core.vision.selection import largest

STAGES: tuple[str, ...] = (
    "decode", "detect", "landmarks", "align", "swap", "mask", "paste", "enhance", "encode",
)  # fmt: skip
"""Reported stages, in pipeline order; the pipeline itself times detect..enhance."""

OPTIONAL_STAGES: tuple[str, ...] = ("enhance",)
"""Stages that take time only when configured (``pipeline.enhancer``): 0 in a default run,
so the committed baseline of ratios has none for them."""

SCHEMA_VERSION = 1

DEFAULT_SIZE = "1280x720"
TRACKED_FPS = 25.0
"""Frame rate the tracked path assumes (timestamps of the benchmark frames)."""

MAX_SIDE = 8192
"""Largest frame side accepted by ``--size``."""

FACE_FRACTION = 0.45
"""Height of one placed face crop (hair to chin, with margin) relative to its grid cell."""

NOX_BENCH_ARGS: tuple[str, ...] = (
    "bench", "--size", DEFAULT_SIZE, "--faces", "1", "--repeat", "30", "--warmup", "3",
    "--output", "work_dirs/bench/bench.json",
)  # fmt: skip
"""``faceswap`` arguments of the nox ``bench`` session (``session.run("faceswap", *ARGS)``)."""

_VERSION_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "numpy": ("numpy",),
    "opencv": ("opencv-python", "opencv-python-headless", "opencv-contrib-python"),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "dlib": ("dlib-bin", "dlib"),
    "pillow": ("pillow",),
}


@attrs.frozen
class BenchOptions:
    """What to benchmark; mirrors the ``faceswap bench`` options.

    :ivar model: swapper type (``classic``, ``inswapper``, ``onnx``, a plugin's);
        ``None`` keeps the config's.
    :ivar model_path: model file or store name for ``inswapper`` / ``onnx``.
    :ivar runtime: runtime name (``--runtime``) or ``{type: NAME, ...}``; ``None`` keeps
        the config's.
    :ivar providers: ONNX Runtime providers (``--providers``); empty keeps the config's.
    :ivar overrides: ``--set KEY=VALUE`` config overrides.
    :ivar detect_every: run the detector every N frames and track in between (the stream's
        stages); 1 runs the image pipeline on every frame.
    :ivar quality: ``--pixel-boost``, ``--mask``, ``--enhancer``... over the config's.
    """

    width: int = 1280
    height: int = 720
    faces: int = 1
    repeat: int = 20
    warmup: int = 3
    model: str | None = None
    model_path: str | None = None
    config: str | None = None
    runtime: str | Mapping[str, Any] | None = None
    providers: tuple[str, ...] = ()
    detect_every: int = 1
    overrides: tuple[str, ...] = ()
    quality: QualityOptions = attrs.Factory(QualityOptions)

    def __attrs_post_init__(self) -> None:
        if not (16 <= self.width <= MAX_SIDE and 16 <= self.height <= MAX_SIDE):
            raise ConfigError(
                f"bench size {self.width}x{self.height} is out of range;"
                f" use 16..{MAX_SIDE} pixels per side"
            )
        if not 1 <= self.faces <= 64:
            raise ConfigError(f"bench --faces {self.faces} is out of range; use 1..64")
        if not 1 <= self.detect_every <= 1000:
            raise ConfigError(
                f"bench --detect-every {self.detect_every} is out of range; use 1..1000"
            )
        if self.repeat < 1 or self.warmup < 0:
            raise ConfigError(
                f"bench needs --repeat >= 1 and --warmup >= 0, got {self.repeat} and {self.warmup}"
            )

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` -> ``(1280, 720)``; anything else is a :class:`ConfigError`.

    ASCII digits only (a regex ``\\d`` takes Arabic-Indic and full-width digits
    too), and spaces (not tabs or newlines) around the numbers.
    """
    match = re.fullmatch(r" *([0-9]{1,5}) *[xX] *([0-9]{1,5}) *", text)
    if match is None:
        raise ConfigError(f"bench size {text!r} is not WIDTHxHEIGHT; use e.g. 1280x720")
    return int(match.group(1)), int(match.group(2))


# -- the frame ---------------------------------------------------------------------------


def _background(image: Image, width: int, height: int) -> Image:
    """A heavily blurred full-frame version of ``image``: realistic colours, no faces."""
    import cv2

    small = cv2.resize(image, (32, 18), interpolation=cv2.INTER_AREA)
    frame = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    sigma = max(width, height) / 40
    blurred: Image = np.ascontiguousarray(cv2.GaussianBlur(frame, (0, 0), sigma), dtype=np.uint8)
    return blurred


def make_frame(background_from: Image, crop: Image, width: int, height: int, faces: int) -> Image:
    """``faces`` copies of ``crop`` on a grid over a blurred background, edges feathered."""
    import cv2

    frame = _background(background_from, width, height).astype(np.float32)
    cols = math.ceil(math.sqrt(faces * width / height))
    cols = max(1, min(cols, faces))
    rows = math.ceil(faces / cols)
    cell_w, cell_h = width / cols, height / rows
    scale = min(cell_h * FACE_FRACTION * 2 / crop.shape[0], cell_w * 0.9 / crop.shape[1])
    new_w = max(int(crop.shape[1] * scale), 8)
    new_h = max(int(crop.shape[0] * scale), 8)
    resized = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_AREA).astype(np.float32)
    yy, xx = np.mgrid[0:new_h, 0:new_w].astype(np.float32)
    radius = ((xx - new_w / 2) / (new_w / 2)) ** 2 + ((yy - new_h / 2) / (new_h / 2)) ** 2
    alpha = np.clip((1.0 - radius) / 0.25, 0.0, 1.0)[..., None]  # soft elliptical edge
    for index in range(faces):
        row, col = divmod(index, cols)
        x0 = int(col * cell_w + (cell_w - new_w) / 2)
        y0 = int(row * cell_h + (cell_h - new_h) / 2)
        region = frame[y0 : y0 + new_h, x0 : x0 + new_w]
        region[:] = alpha * resized + (1.0 - alpha) * region
    out: Image = np.clip(frame + 0.5, 0, 255).astype(np.uint8)
    return out


# -- environment -----------------------------------------------------------------------------


def package_versions() -> dict[str, str | None]:
    """Versions of the libraries the numbers depend on, and every faceswap distribution."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for label, candidates in _VERSION_DISTRIBUTIONS.items():
        versions[label] = None
        for name in candidates:
            try:
                versions[label] = metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
    for dist in sorted(metadata.distributions(), key=lambda d: d.metadata["Name"] or ""):
        name = dist.metadata["Name"] or ""
        if name.lower().replace("_", "-").startswith("faceswap"):
            versions[name] = dist.version
    return versions


def _providers() -> list[str]:
    try:
        import onnxruntime

        return list(onnxruntime.get_available_providers())
    except ImportError:
        return []


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024), 1)


# -- the run --------------------------------------------------------------------------------------


def pipeline_config(options: BenchOptions) -> PipelineConfig:
    """The pipeline of ``--config`` (or the defaults) with ``--set``, ``--model`` /
    ``--model-path``, ``--runtime`` / ``--providers`` and the quality options applied, as
    every command reads it."""
    return resolved_pipeline(
        options.config,
        options.overrides,
        model=options.model,
        model_path=options.model_path,
        runtime=options.runtime,
        providers=options.providers,
        quality=options.quality,
    )


@attrs.frozen(eq=False)
class FrameResult:
    """What one benchmark frame produced: the image, the faces, milliseconds per stage."""

    image: Image
    faces: Sequence[Any]
    timings: Mapping[str, float]


FrameSwapper = Callable[[Image], FrameResult]

TRACKED_STAGES: tuple[str, ...] = (
    "decode", "detect", "track", "select", "landmarks", "align", "swap", "paste", "encode",
)  # fmt: skip
"""Reported stages of the tracked path (``--detect-every`` N > 1)."""


def frame_swapper(
    pipeline: Pipeline, identity: SourceIdentity, options: BenchOptions
) -> FrameSwapper:
    """What one benchmark frame runs: the image pipeline (``detect_every`` 1), or the
    stream's stages with detection every N frames and tracking in between."""
    if options.detect_every == 1:

        def swap(image: Image) -> FrameResult:
            result = pipeline.swap(image, identity)
            return FrameResult(result.image, result.faces, result.timings)

        return swap
    config = video_config(pipeline.config.video, {"detect_every": options.detect_every})
    faces = pipeline.config.faces if pipeline.config.faces != "reference" else "all"
    analyser = FrameAnalyser(pipeline, config, faces=faces, reference=None, threshold=None)
    painter = FramePainter(pipeline, identity, config, copy=True)
    counter = itertools.count()

    def track(image: Image) -> FrameResult:
        index = next(counter)
        frame = painter(analyser((image, index, index / TRACKED_FPS)))
        return FrameResult(frame.image, frame.faces, frame.timings)

    return track


def runtime_facts(pipeline: Pipeline) -> dict[str, Any]:
    """The pipeline runtime's own account of what ran (providers, fallback, precision)."""
    runtime = pipeline.context.runtime
    if isinstance(runtime, DescribedRuntime):
        return dict(runtime.describe())
    return {"runtime": runtime.name}


def run_bench(
    options: BenchOptions,
    *,
    plugins: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the benchmark and return its JSON record (schema in the module docstring)."""
    with GpuMemoryMonitor() as gpu:
        record = _run(options, plugins, progress)
    record["gpu"] = gpu.record()
    return record


def _run(
    options: BenchOptions, plugins: Any, progress: Callable[[int, int], None] | None
) -> dict[str, Any]:
    config = pipeline_config(options)
    setup_start = time.perf_counter()
    pipeline = Pipeline(config, plugins)
    target_person = load_sample("astronaut")
    found = largest(pipeline.detector.detect(target_person))
    if found is None:
        raise NoFaceError("bench: the detector found no face in the astronaut sample image")
    frame = make_frame(
        target_person,
        crop_around(target_person, found),
        options.width,
        options.height,
        options.faces,
    )
    identity = pipeline.prepare_source(load_sample("t1"), announce=False)  # once, as in video
    setup_ms = (time.perf_counter() - setup_start) * 1000.0  # includes building the frame
    encoded = encode(frame, "jpg", quality=90, provenance=False)
    swap_frame = frame_swapper(pipeline, identity, options)
    stages = STAGES if options.detect_every == 1 else TRACKED_STAGES

    samples: dict[str, list[float]] = {stage: [] for stage in stages}
    totals: list[float] = []
    faces_found: list[int] = []
    first_frame_ms = 0.0
    reference: list[float] = []  # timed between iterations, so machine load affects both alike
    rounds = options.warmup + options.repeat
    for index in range(rounds):
        start = time.perf_counter()
        image = decode(encoded)
        decoded = time.perf_counter()
        result = swap_frame(image)
        swapped = time.perf_counter()
        encode(result.image, "jpg", quality=90, provenance=False)
        end = time.perf_counter()
        if progress is not None:
            progress(index + 1, rounds)
        if index == 0:
            first_frame_ms = (end - start) * 1000.0
        if index < options.warmup:
            continue
        timings: Mapping[str, float] = result.timings
        samples["decode"].append((decoded - start) * 1000.0)
        samples["encode"].append((end - swapped) * 1000.0)
        for stage in stages[1:-1]:
            samples[stage].append(float(timings.get(stage, 0.0)))
        totals.append((end - start) * 1000.0)
        faces_found.append(len(result.faces))
        reference.append(reference_workload())

    total = percentiles(totals)
    return {
        "schema": SCHEMA_VERSION,
        "stages": {stage: percentiles(values) for stage, values in samples.items()},
        "total": total,
        "fps": round(1000.0 / total["mean_ms"], 3) if total["mean_ms"] > 0 else None,
        "size": options.size,
        "faces": options.faces,
        "faces_found": int(np.median(faces_found)),
        "repeat": options.repeat,
        "warmup": options.warmup,
        "model": str(config.swapper.get("type")),
        "model_path": config.swapper.get("model"),
        "detector": str(config.detector.get("type")),
        "device": cpu_model(),
        "threads": usable_cpus(),
        "providers": _providers(),
        "peak_rss_mb": _peak_rss_mb(),
        "reference": reference_record(reference),
        "versions": package_versions(),
        "runtime": runtime_facts(pipeline),
        "cold": {"setup_ms": round(setup_ms, 3), "first_frame_ms": round(first_frame_ms, 3)},
        "detect_every": options.detect_every,
        "quality": quality_record(config, samples, faces_found),
    }


PER_FACE_STAGES: tuple[str, ...] = ("align", "swap", "mask", "paste", "enhance")
"""Stages whose cost grows with each swapped face: reported per face as well."""


def quality_settings(config: PipelineConfig) -> dict[str, Any]:
    """The quality options a run used (``--pixel-boost``, ``--mask``, ``--enhancer``...)."""
    return {
        "pixel_boost": config.pixel_boost,
        "mask": list(config.paste.mask),
        "enhancer": config.enhancer,
        "enhance_blend": config.enhance_blend,
    }


def quality_record(
    config: PipelineConfig, samples: Mapping[str, list[float]], faces_found: list[int]
) -> dict[str, Any]:
    """What the quality options cost: the settings, and the mean ms per face of each stage.

    Pixel boost shows in ``swap`` (s*s model runs per face) and ``align``; the
    masks in ``mask``; the enhancer in ``enhance`` (its alignment, run and paste).
    """
    faces = max(float(np.mean(faces_found)), 1.0) if faces_found else 1.0
    return {
        **quality_settings(config),
        "per_face_ms": {
            stage: round(float(np.mean(samples[stage])) / faces, 3)
            for stage in PER_FACE_STAGES
            if samples.get(stage)
        },
    }
