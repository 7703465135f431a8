"""``bench-train`` and ``bench-export``: faceswap-unet's operations, declared once like core's.

Registered through ``register_operations`` (so the one-surface contract test
checks them with core's) and made into commands with
:func:`~faceswap_core.cli.spec_command.spec_command`. Light to import: no torch.
"""

from __future__ import annotations

from typing import Literal

import attrs

from faceswap_core.config.ranges import between, each
from faceswap_core.operations import Operation, RuleError, fields
from faceswap_unet.configs import MAX_EXPORT_BATCH

BenchArch = Literal["smoke", "default", "baseline"]
EXPORT_BENCH_ARCHS: tuple[BenchArch, ...] = ("smoke", "default", "baseline")
"""U-Nets ``faceswap bench-export`` knows: the smoke and baseline configs' and the default one."""

CROP_SIDE = between(32, 512)
"""The crop sides a U-Net is built for (``ModelConfig.crop_size``)."""

TRAIN_DEVICES: tuple[str, ...] = ("cpu", "cuda", "all")

RECORD_HELP = "Also write the JSON record to this file (atomically)."


@attrs.frozen(kw_only=True)
class TrainBenchSpec:
    """Images per second of a full training step (forward, losses, backward, Adam)."""

    size: int = fields.option("Crop side.", default=128, validator=CROP_SIDE)
    batch: int = fields.option("Batch size.", default=8, validator=between(1, 4096))
    steps: int = fields.option("Timed steps.", default=10, validator=between(1, 100_000))
    warmup: int = fields.option("Untimed steps first.", default=2, validator=between(0, 10_000))
    device: str = fields.option(
        "all: CPU, plus CUDA with AMP when a GPU is present.", default="all", choices=TRAIN_DEVICES
    )
    output: str | None = fields.output(RECORD_HELP)


@attrs.frozen(kw_only=True)
class ExportBenchSpec:
    """Latency of each U-Net in torch (eager, fp32) and in its ONNX exports (fp32 and int8)
    on ONNX Runtime CPU, same inputs, same thread count; prints the ratios per batch.

    The architectures are seeded random U-Nets of the smoke and baseline configs and the
    default model, exported by faceswap export onnx itself (--int8 calibrated on the
    probe faces). With --video, frames per second of the video path (1280x720,
    detection every 5 frames) with the checkpoint on torch and with each export, each
    swapping one frame at a time and in batches.
    """

    arch: tuple[BenchArch, ...] = fields.option(
        "Architectures to time: smoke, default, baseline (repeatable; default all three).",
        default=EXPORT_BENCH_ARCHS,
        choices=EXPORT_BENCH_ARCHS,
        repeatable=True,
        metavar="NAME",
    )
    size: int | None = fields.option(
        "Crop side (default: each architecture's own).", default=None, validator=CROP_SIDE
    )
    batch: tuple[int, ...] = fields.option(
        "Batch sizes to time (repeatable; default 1 and 4, the video path's swap batch).",
        default=(1, 4),
        validator=each(between(1, MAX_EXPORT_BATCH)),
        repeatable=True,
        metavar="N",
    )
    threads: int | None = fields.option(
        "Threads for torch and ONNX Runtime alike (default: every usable CPU).",
        default=None,
        validator=between(1, 1024),
    )
    repeat: int = fields.option(
        "Timed runs of each runtime per batch, taking turns.",
        default=20,
        validator=between(1, 10_000),
    )
    warmup: int = fields.option(
        "Untimed runs of each first.", default=3, validator=between(0, 1000)
    )
    int8: bool = fields.option("Also export with --int8 and time the int8 graph.", default=True)
    video: bool = fields.flag(
        "Also run the video benchmark (1280x720, detection every 5 frames) with the checkpoint "
        "on torch and with each export, unbatched and batched."
    )
    frames: int | None = fields.option(
        "Clip length of --video (default 100).", default=None, validator=between(10, 10_000)
    )
    output: str | None = fields.output(RECORD_HELP)

    def __attrs_post_init__(self) -> None:
        if self.frames is not None and not self.video:
            raise RuleError("{frames} sets the clip length of {video}; add --video or drop it")


BENCH_TRAIN = Operation(
    "bench-train", TrainBenchSpec, cli=("bench-train",), distribution="faceswap-unet"
)
BENCH_EXPORT = Operation(
    "bench-export", ExportBenchSpec, cli=("bench-export",), distribution="faceswap-unet"
)


__all__ = [
    "BENCH_EXPORT",
    "BENCH_TRAIN",
    "CROP_SIDE",
    "EXPORT_BENCH_ARCHS",
    "BenchArch",
    "ExportBenchSpec",
    "TrainBenchSpec",
]
