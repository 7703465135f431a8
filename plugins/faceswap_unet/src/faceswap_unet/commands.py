"""``faceswap bench-train``: training throughput of the U-Net swapper (images/s)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("bench-train")
@click.option("--size", "crop_size", type=int, default=128, show_default=True, help="Crop side.")
@click.option("--batch", "batch_size", type=int, default=8, show_default=True, help="Batch size.")
@click.option("--steps", type=int, default=10, show_default=True, help="Timed steps.")
@click.option("--warmup", type=int, default=2, show_default=True, help="Untimed steps first.")
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda", "all"]),
    default="all",
    show_default=True,
    help="all: CPU, plus CUDA with AMP when a GPU is present.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the JSON records to this file (atomically).",
)
def bench_train(
    crop_size: int, batch_size: int, steps: int, warmup: int, device: str, output: Path | None
) -> None:
    """Images per second of a full training step (forward, losses, backward, Adam)."""
    import torch

    from faceswap_core.io.atomic import atomic_write_text
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
    text = json.dumps(records, indent=2)
    if output is not None:
        atomic_write_text(output, text + "\n")
    click.echo(text)
