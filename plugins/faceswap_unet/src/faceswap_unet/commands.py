"""``faceswap bench-train`` (training throughput, images/s) and ``faceswap bench-export``
(inference speed of the U-Net in torch and in its ONNX exports on ONNX Runtime).

Both are made from their specs (:mod:`faceswap_unet.specs`) by core's one generator."""

from __future__ import annotations

from pathlib import Path

import click

from faceswap_core.cli.options import write_record
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.io.atomic import refuse_special
from faceswap_unet.specs import BENCH_EXPORT, BENCH_TRAIN, ExportBenchSpec, TrainBenchSpec


def _output(spec: TrainBenchSpec | ExportBenchSpec) -> Path | None:
    """The record's file, refused up front when it is a device, FIFO, socket or symlink."""
    if spec.output is None:
        return None
    path = Path(spec.output)
    refuse_special(path)
    return path


def _bench_train(_: click.Context, spec: TrainBenchSpec) -> None:
    import torch

    from faceswap_unet.bench import train_throughput

    output = _output(spec)
    runs = []
    if spec.device in ("cpu", "all"):
        runs.append(("cpu", "off"))
    if spec.device in ("cuda", "all") and torch.cuda.is_available():
        runs.append(("cuda", "off"))
        runs.append(("cuda", "bf16" if torch.cuda.is_bf16_supported() else "fp16"))
    if spec.device == "cuda" and not torch.cuda.is_available():
        raise click.UsageError("--device cuda: torch sees no CUDA device")
    records = [
        train_throughput(
            crop_size=spec.size,
            batch_size=spec.batch,
            steps=spec.steps,
            warmup=spec.warmup,
            device=device,
            amp=amp,
        )
        for device, amp in runs
    ]
    for record in records:
        click.echo(
            f"train throughput {record['device']} amp={record['amp']}: "
            f"{record['images_per_s']} images/s ({record['step_ms']} ms/step, "
            f"{record['crop_size']} px, batch {record['batch_size']})",
            err=True,
        )
    click.echo(write_record(records, output))


def _bench_export(_: click.Context, spec: ExportBenchSpec) -> None:
    from faceswap_core.experiment.env import usable_cpus
    from faceswap_unet.bench import inference_speed

    output = _output(spec)
    threads = spec.threads or usable_cpus()
    record = inference_speed(
        archs=tuple(dict.fromkeys(spec.arch)),
        crop_size=spec.size,
        batches=tuple(dict.fromkeys(spec.batch)),
        threads=threads,
        repeat=spec.repeat,
        warmup=spec.warmup,
        int8=spec.int8,
        video=spec.video,
        frames=spec.frames or 100,
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
                    f"U-Net {arch['arch']} video 1280x720, detect every 5: {name} {run['fps']} FPS"
                    f" (swap batch {run.get('swap_batch')})",
                    err=True,
                )
    click.echo(write_record(record, output))


bench_train = spec_command(BENCH_TRAIN, _bench_train)
bench_export = spec_command(BENCH_EXPORT, _bench_export)
