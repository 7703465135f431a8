"""``bench``: per-stage latency of the image pipeline, or frames per second of the video path."""

from __future__ import annotations

from typing import Any

import attrs

from faceswap_core.config.ranges import at_least, between, detect_interval
from faceswap_core.operations import fields
from faceswap_core.operations.operation import Operation
from faceswap_core.operations.rules import RuleError
from faceswap_core.tools.bench import DEFAULT_SIZE
from faceswap_core.tools.profiles import PROFILES
from faceswap_core.tools.video_bench import DEFAULT_FRAMES


@attrs.frozen(kw_only=True)
class BenchSpec:
    """Per-stage latency (decode, detect ... swap, mask, paste, enhance, encode) and FPS.

    The quality options (--pixel-boost, --mask, --enhancer...) are swap's: the
    record gives their cost per face (docs/quality.md).

    With --video, frames per second of the video path instead: swap_video from
    a synthetic clip (detecting every 1 and 5 frames, or every --detect-every)
    and the stream on decoded frames. With --profile, the run uses the
    profile's frame size and runtime and ends with PASS / FAIL / NOT CHECKED per
    budget (for --video: the stream's FPS); it exits 1 when one fails. With
    --baseline (a baseline of stage ratios, benchmarks/baseline.json), a stage
    more than 1 + DELTA times slower than the baseline fails the gate: exit 6
    (--tolerance STAGE=DELTA, or DELTA for every stage; default 1.0, twice as
    slow).
    """

    size: str | None = fields.option(
        f"Frame WIDTHxHEIGHT (default {DEFAULT_SIZE}).", default=None, metavar="WxH"
    )
    faces: int = fields.option(
        "Faces placed in the frame (or the clip).", default=1, validator=between(1, 64)
    )
    repeat: int | None = fields.option(
        "Timed iterations of the image bench (default 20).", default=None, validator=at_least(1)
    )
    warmup: int | None = fields.option(
        "Untimed iterations first (default 3).", default=None, validator=between(0, 10_000)
    )
    model: str | None = fields.model()
    model_path: str | None = fields.model_path()
    config: str | None = fields.config(
        "Config file or shipped config name; its pipeline section is used."
    )
    overrides: tuple[str, ...] = fields.overrides()
    runtime: Any = fields.runtime()
    providers: tuple[str, ...] = fields.providers()
    pixel_boost: int | None = fields.pixel_boost()
    mask: tuple[str, ...] = fields.mask()
    areas: tuple[str, ...] = fields.areas()
    regions: tuple[str, ...] = fields.regions()
    occluder: str | None = fields.occluder()
    parser: str | None = fields.parser()
    enhancer: str | None = fields.enhancer()
    enhance_blend: float | None = fields.enhance_blend()
    profile: str | None = fields.option(
        "Edge profile: its frame size and runtime, then pass/fail per budget (FPS, GPU memory).",
        default=None,
        choices=tuple(sorted(PROFILES)),
    )
    detect_every: int | None = fields.option(
        "Detect every N frames and track in between (the stream path); with --video, the "
        "runs' N (default 1 and 5).",
        default=None,
        validator=detect_interval,
        metavar="N",
    )
    video: bool = fields.flag("Benchmark the video path (swap_video and stream) instead.")
    swap_batch: int | None = fields.swap_batch(
        "With --video: swap the faces of up to N waiting frames in one model run (1: frame by "
        "frame; default pipeline.video.swap_batch, 4). The record names the swapper's "
        "precision and batch."
    )
    frames: int | None = fields.option(
        f"Clip length for --video (default {DEFAULT_FRAMES}).",
        default=None,
        validator=between(10, 10_000),
    )
    cluster: str | None = fields.cluster(
        "Also swap a folder of generated targets on a Ray cluster (faceswap-ray; local, auto, "
        "ray://HOST:PORT or HOST:PORT) and with the local runner, in one run: throughput, "
        "the ratio and the per-image overhead."
    )
    workers: tuple[int, ...] = fields.workers(repeatable=True)
    gpus_per_worker: float | None = fields.gpus_per_worker()
    images: int | None = fields.option(
        "Targets of the --cluster bench (default 24).", default=None, validator=between(1, 100_000)
    )
    output: str | None = fields.output("Also write the JSON record to this file (atomically).")
    baseline: str | None = fields.baseline(
        "Baseline of stage ratios (benchmarks/baseline.json): exit 6 when a stage got slower "
        "than its tolerance allows."
    )
    tolerance: tuple[str, ...] = fields.tolerance(
        "Allowed slowdown per stage for --baseline, STAGE=DELTA or DELTA (1.0 = twice as "
        "slow, the default)."
    )
    json: bool = fields.json_lines(
        'Print only JSON Lines: one object per stage (or video run), then {"summary": RECORD}.'
    )

    def __attrs_post_init__(self) -> None:
        fields.check_cluster(self.cluster, self.workers, self.gpus_per_worker)
        fields.check_mask_options(self)
        if self.images is not None and self.cluster is None:
            raise RuleError("{images} sets the folder of the {cluster} bench; add it or drop it")
        if self.cluster is not None:
            for name in ("video", "profile", "baseline"):
                if getattr(self, name) not in (None, False):
                    raise RuleError(f"{{cluster}} benchmarks batches; drop {{{name}}}")
        if self.profile is not None:
            for name in ("size", "runtime"):
                if getattr(self, name) is not None:
                    raise RuleError(f"{{profile}} {self.profile} sets {{{name}}}; drop one of them")
        if self.video:
            for name in ("repeat", "warmup", "baseline"):
                if getattr(self, name) not in (None, ()):
                    raise RuleError(
                        f"{{{name}}} applies to the image bench; {{video}} runs each "
                        "detect_every once and has no baseline; drop it"
                    )
            if self.tolerance:
                raise RuleError("{tolerance} applies to the image bench's {baseline}; drop it")
        else:
            if self.frames is not None:
                raise RuleError("{frames} sets the clip length of {video}; add --video or drop it")
            if self.swap_batch is not None:
                raise RuleError("{swap_batch} sets the video path's batch; add --video or drop it")
        if self.tolerance and self.baseline is None:
            raise RuleError("{tolerance} needs {baseline} FILE to compare against")


BENCH = Operation("bench", BenchSpec, cli=("bench",))


__all__ = ["BENCH", "BenchSpec"]
