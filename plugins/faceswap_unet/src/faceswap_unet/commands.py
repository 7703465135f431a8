"""``faceswap bench-train`` (training throughput, images/s) and ``faceswap bench-export``
(inference speed of the U-Net in torch and in its ONNX export on ONNX Runtime)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from faceswap_core.cli.config_options import given_values, options_for
from faceswap_core.cli.options import output_option, write_record
from faceswap_unet.configs import ExportBenchConfig

CROP_SIDE = click.IntRange(32, 512)
"""The crop sides a U-Net is built for (``ModelConfig.crop_size``)."""


@click.command("bench-train")
@click.option(
    "--size", "crop_size", type=CROP_SIDE, default=128, show_default=True, help="Crop side."
)
@click.option(
    "--batch", "batch_size", type=click.IntRange(1, 4096), default=8, show_default=True,
    help="Batch size.",
)  # fmt: skip
@click.option(
    "--steps", type=click.IntRange(1, 100_000), default=10, show_default=True, help="Timed steps."
)
@click.option(
    "--warmup", type=click.IntRange(0, 10_000), default=2, show_default=True,
    help="Untimed steps first.",
)  # fmt: skip
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda", "all"]),
    default="all",
    show_default=True,
    help="all: CPU, plus CUDA with AMP when a GPU is present.",
)
@output_option
def bench_train(
    crop_size: int, batch_size: int, steps: int, warmup: int, device: str, output: Path | None
) -> None:
    """Images per second of a full training step (forward, losses, backward, Adam)."""
    import torch

    from faceswap_unet.bench import train_throughput

    runs = []
    if device in ("cpu", "all"):
        runs.append(("cpu", "off"))
    if device in ("cuda", "all") and torch.cuda.is_available():
        runs.append(("cuda", "off"))
        runs.append(("cuda", "bf16" if torch.cuda.is_bf16_supported() else "fp16"))
    if device == "cuda" and not torch.cuda.is_available():
        raise click.UsageError("--device cuda: torch sees no CUDA device")
    records = [
        train_throughput(
            crop_size=crop_size, batch_size=batch_size, steps=steps, warmup=warmup, device=d, amp=a
        )
        for d, a in runs
    ]
    for record in records:
        click.echo(
            f"train throughput {record['device']} amp={record['amp']}: "
            f"{record['images_per_s']} images/s ({record['step_ms']} ms/step, "
            f"{record['crop_size']} px, batch {record['batch_size']})",
            err=True,
        )
    text = write_record(records, output)
    click.echo(text)


def _bench_export(ctx: click.Context, /, **params: Any) -> None:
    """Latency of each U-Net in torch (eager, fp32) and in its ONNX exports (fp32 and int8)
    on ONNX Runtime CPU, same inputs, same thread count; prints the ratios per batch."""
    from faceswap_core.config.convert import structure
    from faceswap_core.experiment.env import usable_cpus
    from faceswap_unet.bench import inference_speed

    output = params.pop("output", None)
    config = structure(given_values(ctx, ExportBenchConfig), ExportBenchConfig, path="$")
    threads = config.threads or usable_cpus()
    record = inference_speed(
        archs=tuple(dict.fromkeys(config.arch)),
        crop_size=config.size,
        batches=tuple(config.batch),
        threads=threads,
        repeat=config.repeat,
        warmup=config.warmup,
        int8=config.int8,
        video=config.video,
        frames=config.frames,
        progress=lambda step: click.echo(f"bench-export: {step}", err=True),
    )
    for arch in record["architectures"]:
        for row in arch["results"]:
            int8 = (
                f", int8 {row['onnxruntime_int8_ms']['p50']} ms ({row['int8_speedup']}x fp32)"
                if "int8_speedup" in row
                else ""
            )
            click.echo(
                f"U-Net {arch['arch']} {arch['crop_size']} px batch {row['batch']}, {threads} "
                f"threads: torch {row['torch_ms']['p50']} ms, onnxruntime "
                f"{row['onnxruntime_ms']['p50']} ms (p50; {row['onnxruntime_spin_ms']['p50']} ms "
                f"with spinning threads){int8}; onnxruntime is {row['speedup']}x torch "
                f"({row['speedup_spin']}x spinning)",
                err=True,
            )
        for name, run in (arch.get("video") or {}).items():
            if isinstance(run, dict):
                click.echo(
                    f"U-Net {arch['arch']} video 1280x720, detect every 5: {name} {run['fps']} FPS",
                    err=True,
                )
    text = write_record(record, output)
    click.echo(text)


bench_export = output_option(
    click.Command(
        "bench-export",
        callback=click.pass_context(_bench_export),
        params=list[click.Parameter](options_for(ExportBenchConfig)),
        help=_bench_export.__doc__,
    )
)
