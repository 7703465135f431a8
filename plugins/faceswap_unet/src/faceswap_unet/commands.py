"""``faceswap bench-train`` (training throughput, images/s) and ``faceswap bench-export``
(inference speed of the U-Net in torch and in its ONNX export on ONNX Runtime)."""

from __future__ import annotations

from pathlib import Path

import click

from faceswap_core.cli.options import output_option, write_record

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


@click.command("bench-export")
@click.option(
    "--size", "crop_size", type=CROP_SIDE, default=128, show_default=True, help="Crop side."
)
@click.option(
    "--batch",
    "batches",
    type=click.IntRange(1, 256),
    multiple=True,
    help="Batch sizes to time (repeatable; default 1 and 8).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=None,
    help="Threads for both torch and ONNX Runtime (default: every usable CPU).",
)
@click.option("--repeat", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--warmup", type=click.IntRange(0, 1000), default=3, show_default=True)
@output_option
def bench_export(
    crop_size: int,
    batches: tuple[int, ...],
    threads: int | None,
    repeat: int,
    warmup: int,
    output: Path | None,
) -> None:
    """Inference latency of the default U-Net: torch (eager, fp32) vs its ONNX export on
    ONNX Runtime CPU, same inputs, same thread count; prints the ratio per batch."""
    from faceswap_core.experiment.env import usable_cpus
    from faceswap_unet.bench import inference_speed

    record = inference_speed(
        crop_size=crop_size,
        batches=batches or (1, 8),
        threads=threads or usable_cpus(),
        repeat=repeat,
        warmup=warmup,
    )
    for row in record["results"]:
        click.echo(
            f"U-Net {crop_size} px batch {row['batch']}, {record['threads']} threads: torch "
            f"{row['torch_ms']['p50']} ms, onnxruntime {row['onnxruntime_ms']['p50']} ms (p50); "
            f"onnxruntime is {row['speedup']}x torch",
            err=True,
        )
    text = write_record(record, output)
    click.echo(text)
